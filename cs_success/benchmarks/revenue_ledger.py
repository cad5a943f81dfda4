"""Benchmark 6, the revenue ledger (data from data.grow_ledger_to): the full rebuild from an empty ledger
and over unchanged documents, in this process and by 1 and 2 worker processes, against bare aggregates
over the same tables in the same run; then the ledger's reports."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import time
from contextlib import contextmanager

import frappe
from frappe.utils import add_months, get_bench_path, getdate, today

from cs_success.benchmarks.data import LEDGER_TABLES, not_at_ledger_scale
from cs_success.benchmarks.harness import bench_execute, median_of, peak_rss_mb


def ledger_rebuild(scale: int, runs: int = 3, worker_rounds: int = 2) -> dict:
	"""The full rebuild (rebuild_all(1), as `cs-success ledger --rebuild` runs it) in this process, against
	the bare aggregates over the same tables: first from an empty ledger (every row inserted), then over
	unchanged documents (the rebuild compares and writes nothing); then the same rebuilds by 1 and by 2
	worker processes (rebuild_shard(i, n) each, wall time), alternated; then the ledger reports."""
	from cs_success.ledger.build import ledger_settings, rebuild_all
	from cs_success.ledger.sources import customer_books_inputs

	if skipped := not_at_ledger_scale(scale):
		figures = {"skipped": skipped}
		print(f"6. revenue ledger at {scale}: skipped", figures)
		return figures

	def once():
		built = rebuild_all(1)
		frappe.db.commit()
		return built

	def timed_first_build():
		empty_ledger()
		started = time.perf_counter()
		once()
		return time.perf_counter() - started

	load_before = os.getloadavg()  # the machine is shared: was anything else running?
	empty_ledger()
	built = once()
	counts = ledger_counts()
	first_builds = [timed_first_build() for _ in range(2)]
	counts_first = ledger_counts()
	with counting_ledger_writes() as writes:
		rebuild = median_of(once, runs)
	counts_again = ledger_counts()
	excluded = ledger_settings().excluded_item_groups
	company = frappe.defaults.get_global_default("company")
	bare = median_of(lambda: ledger_bare_aggregates(excluded), runs)
	bare_with_stored = median_of(lambda: (ledger_bare_aggregates(excluded), ledger_stored_aggregates()), runs)
	read_path = median_of(lambda: customer_books_inputs(None, excluded, company), runs)
	with timing_phases() as phases:
		instrumented = median_of(once, 1)
	empty_ledger()
	with timing_phases() as first_phases:
		first_instrumented = median_of(once, 1)
	rounds = [(ledger_in_workers(1), ledger_in_workers(2)) for _ in range(worker_rounds)]
	counts_sharded = ledger_counts()
	from_empty = []
	for shards in (1, 2):
		empty_ledger()
		from_empty.append(ledger_in_workers(shards))
	counts_sharded_from_empty = ledger_counts()
	one = [run["wall_s"] for run, _two in rounds if "wall_s" in run]
	two = [run["wall_s"] for _one, run in rounds if "wall_s" in run]
	first_build = statistics.median(first_builds)
	figures = {
		"customers": scale,
		"customers_with_a_ledger": built,
		"invoice_lines": frappe.db.count("Sales Invoice Item"),
		"rows": counts,
		"first_build_s": first_builds,
		"first_build_median_s": first_build,
		"first_build_ratio_to_bare_aggregates": first_build / bare,
		"rebuild_unchanged_median_s": rebuild,
		"rebuild_unchanged_ratio_to_bare_aggregates": rebuild / bare,
		"bare_aggregates_with_stored_rows_median_s": bare_with_stored,
		"rebuild_unchanged_ratio_to_bare_aggregates_with_stored_rows": rebuild / bare_with_stored,
		"rows_written_by_rebuilds_over_unchanged_documents": writes,
		"runs": runs,
		"bare_aggregates_median_s": bare,
		"read_path_median_s": read_path,
		"read_path_ratio_to_bare_aggregates": read_path / bare,
		"phases_of_one_instrumented_rebuild_unchanged_s": {"total": instrumented, **phases},
		"phases_of_one_instrumented_first_build_s": {"total": first_instrumented, **first_phases},
		"unchanged_one_worker_median_wall_s": statistics.median(one) if one else None,
		"unchanged_two_workers_median_wall_s": statistics.median(two) if two else None,
		"unchanged_speedup_two_workers": statistics.median(one) / statistics.median(two)
		if one and two
		else None,
		"worker_runs_unchanged": [run for pair in rounds for run in pair],
		"first_build_one_worker_wall_s": from_empty[0].get("wall_s"),
		"first_build_two_workers_wall_s": from_empty[1].get("wall_s"),
		"worker_runs_first_build": from_empty,
		"same_rows_after_building_again_from_empty": counts == counts_first,
		"same_rows_after_rebuilding_unchanged": counts == counts_again,
		"same_rows_after_worker_rebuilds": counts == counts_sharded,
		"same_rows_after_worker_builds_from_empty": counts == counts_sharded_from_empty,
		"reports": ledger_report_latency(runs),
		"load_average_before": load_before,
		"load_average_after": os.getloadavg(),
	}
	print(f"6. revenue ledger at {scale}", json.dumps(figures, indent=1, default=str))
	return figures


def ledger_bare_aggregates(excluded: list[str]) -> None:
	"""The baseline: one plain aggregate per table the rebuild reads, with the same filters as sources.py and
	build.py, in one pass each and with nothing done with the result. Invoice lines summed per customer and
	company; contracts, subscriptions with their plans, the customer list with billing overrides, and the
	kept churn reasons read as they are."""
	frappe.db.sql(
		f"""SELECT si.customer, si.company, COUNT(*), SUM(item.base_net_amount), MIN(si.posting_date),
			MAX(si.posting_date)
		FROM `tabSales Invoice Item` item JOIN `tabSales Invoice` si ON si.name = item.parent
		WHERE si.docstatus = 1 AND IFNULL(si.subscription, '') = ''
			{" AND IFNULL(item.item_group, '') NOT IN %(excluded)s" if excluded else ""}
		GROUP BY si.customer, si.company""",
		{"excluded": tuple(excluded) or ("",)},
	)
	frappe.db.sql(
		"""SELECT party_name, name, start_date, end_date, cs_contract_value FROM `tabContract`
		WHERE party_type = 'Customer' AND docstatus = 1 AND is_signed = 1 AND start_date IS NOT NULL"""
	)
	frappe.db.sql(
		"""SELECT name, party, company, start_date, end_date, cancelation_date, trial_period_end,
			additional_discount_percentage
		FROM `tabSubscription` WHERE party_type = 'Customer' AND start_date IS NOT NULL"""
	)
	frappe.db.sql(
		"""SELECT detail.parent, detail.qty, plan.cost, plan.currency, plan.billing_interval,
			plan.billing_interval_count
		FROM `tabSubscription Plan Detail` detail JOIN `tabSubscription Plan` plan ON plan.name = detail.plan
		WHERE detail.parenttype = 'Subscription'"""
	)
	frappe.db.sql("SELECT name, cs_billing_period FROM `tabCustomer`")
	frappe.db.sql(
		"""SELECT customer, event_type, event_date, churn_reason FROM `tabCustomer Lifecycle Event`
		WHERE IFNULL(churn_reason, '') != '' OR IFNULL(churn_notes, '') != ''"""
	)


def ledger_stored_aggregates() -> None:
	"""The rest of the baseline for a rebuild over unchanged documents, which also reads what it compares
	against in the stored ledger (as benchmark 3's baseline reads the stored health rows): the same plain
	aggregate per ledger table and customer as the rebuild, the count and sum of the stored row digests,
	from the same (customer, row_digest) index, in one pass."""
	from cs_success.ledger.build import DIGEST, TABLES

	for doctype in TABLES:
		frappe.db.sql(f"SELECT customer, COUNT(*), SUM({DIGEST}) FROM `tab{doctype}` GROUP BY customer")


def ledger_counts() -> dict:
	"""Rows per ledger table, and the money in them: what two rebuilds must agree on."""
	frappe.db.commit()  # a fresh snapshot: other processes may have written
	money = {"MRR Interval": "mrr", "MRR Movement": "amount", "Agreement Renewal": "mrr"}
	counts = {}
	for table in LEDGER_TABLES:
		total = f"ROUND(SUM(`{money[table]}`), 2)" if table in money else "NULL"
		rows, amount = frappe.db.sql(f"SELECT COUNT(*), {total} FROM `tab{table}`")[0]
		counts[table] = {"rows": rows, "money": float(amount) if amount is not None else None}
	return counts


def empty_ledger() -> None:
	"""The first build's starting point: no ledger rows at all. TRUNCATE, not DELETE: InnoDB would purge
	700,000 deleted rows in the background while the build runs, and slow it (3x at 2,000 customers)."""
	frappe.db.commit()
	for table in LEDGER_TABLES:
		frappe.db.sql_ddl(f"TRUNCATE TABLE `tab{table}`")


@contextmanager
def counting_ledger_writes():
	"""Rows the rebuilds insert and delete, per table (a rebuild over unchanged documents: none)."""
	from cs_success.ledger import build

	written = {"inserted": 0, "deleted": 0}
	insert, delete = build.insert_rows, build._delete_rows

	def counted_insert(doctype, columns, rows, *args, **kwargs):
		written["inserted"] += len(rows)
		return insert(doctype, columns, rows, *args, **kwargs)

	def counted_delete(doctype, names):
		written["deleted"] += len(names)
		return delete(doctype, names)

	build.insert_rows, build._delete_rows = counted_insert, counted_delete
	try:
		yield written
	finally:
		build.insert_rows, build._delete_rows = insert, delete


@contextmanager
def timing_phases():
	"""Seconds spent in each step of the rebuild (one instrumented run), and in SQL overall."""
	from cs_success.ledger import build, sources

	spent = {}
	steps = [
		(build, "shard_customers", "list customers"),
		(build, "_delete_orphans", "delete orphans"),
		(build, "_lock", "lock customers"),
		(build, "customer_books_inputs", "read inputs"),
		(sources, "invoice_lines", "  of which invoice lines"),
		(sources, "subscriptions", "  of which subscriptions"),
		(sources, "contracts", "  of which contracts"),
		(build, "billing_period_overrides", "read billing overrides"),
		(build, "ledger_rows", "engine and rows (ledger_rows)"),
		(build, "customer_books", "  of which engine (customer_books)"),
		(build, "_changed_customers", "sum stored rows' digests per customer (FOR UPDATE)"),
		(build, "_stored_rows", "read changed customers' stored rows (FOR UPDATE)"),
		(build, "_changes", "compare new and stored rows"),
		(build, "_delete_rows", "delete rows no longer produced"),
		(build, "insert_rows", "insert new rows"),
		(build, "fill_churn_reasons_from_exit_surveys", "churn reasons from exit surveys"),
		(build, "refresh_snapshot_outcomes", "refresh what followed the snapshots of customers that moved"),
		(frappe.db, "sql", "all SQL (within the above)"),
	]

	def timed(original, label):
		def wrapper(*args, **kwargs):
			started = time.perf_counter()
			try:
				return original(*args, **kwargs)
			finally:
				spent[label] = spent.get(label, 0.0) + time.perf_counter() - started

		return wrapper

	originals = [(owner, name, getattr(owner, name)) for owner, name, _label in steps]
	for (owner, name, label), (_owner, _name, original) in zip(steps, originals, strict=True):
		setattr(owner, name, timed(original, label))
	try:
		yield spent
	finally:
		for owner, name, original in originals:
			setattr(owner, name, original)


def ledger_in_workers(shards: int, timeout: int = 3600) -> dict:
	"""rebuild_shard(i, shards) in `shards` processes at once (`bench execute`, as a worker would run it):
	each connects and says it is ready, then all start together on a go-file. Wall time from the first
	start to the last end, on the machine's clock; process start-up is not in it."""
	go = os.path.join(get_bench_path(), "sites", f".cs-bench-go-{os.getpid()}-{shards}")
	ready = [f"{go}.ready{shard}" for shard in range(shards)]
	frappe.db.commit()
	processes = [
		subprocess.Popen(
			bench_execute(
				"cs_success.benchmarks.revenue_ledger.ledger_worker",
				{"shard": shard, "shards": shards, "go": go},
			),
			cwd=get_bench_path(),
			stdout=subprocess.PIPE,
			stderr=subprocess.PIPE,
			text=True,
		)
		for shard in range(shards)
	]
	try:
		deadline = time.monotonic() + 300
		while not all(os.path.exists(path) for path in ready) and time.monotonic() < deadline:
			if any(process.poll() is not None for process in processes):
				break
			time.sleep(0.05)
		with open(go, "w"):
			pass
		outputs = [process.communicate(timeout=timeout) for process in processes]
	finally:
		for process in processes:
			if process.poll() is None:
				process.kill()
		for path in (go, *ready):
			if os.path.exists(path):
				os.remove(path)
	workers = []
	for stdout, stderr in outputs:
		lines = [line for line in stdout.splitlines() if line.startswith("{")]
		workers.append(json.loads(lines[-1]) if lines else {"error": (stderr or stdout)[-2000:]})
	result = {"shards": shards, "workers": workers}
	if all("ended" in worker for worker in workers):
		result["wall_s"] = max(w["ended"] for w in workers) - min(w["started"] for w in workers)
		result["customers"] = sum(w["built"] for w in workers)
	return result


def ledger_worker(shard: int, shards: int, go: str) -> dict:
	"""One process of ledger_in_workers, run by `bench execute`. Errors are returned, not raised: bench
	execute runs a function that raised a second time."""
	from cs_success.ledger.build import rebuild_shard

	with open(f"{go}.ready{shard}", "w"):
		pass
	while not os.path.exists(go):
		time.sleep(0.01)
	started = time.time()
	try:
		built = rebuild_shard(shard, shards)
		frappe.db.commit()
	except Exception as error:
		frappe.db.rollback()
		return {"shard": shard, "error": repr(error)[:1000], "after_s": time.time() - started}
	ended = time.time()
	return {
		"shard": shard,
		"built": built,
		"started": started,
		"ended": ended,
		"seconds": ended - started,
		"peak_rss_mb": peak_rss_mb(),
	}


LEDGER_REPORTS = {
	"mrr_movements": ({},),
	"cohort_retention": ({"measure": "Logos", "months": 12}, {"measure": "Revenue", "months": 12}),
	"revenue_retention": ({"periodicity": "Quarterly"},),
	"retention_and_churn": ({"periodicity": "Quarterly"},),
	"renewal_rate": ({"upcoming_days": 30},),
	"customer_lifetime_value": ({},),
	"churned_customer_audit": ({"view": "Customers"},),
}


def ledger_report_latency(runs: int) -> dict:
	"""Median seconds of each report on the ledger, over all the generated data."""
	base = frappe._dict(
		company=frappe.defaults.get_global_default("company"),
		from_date=str(add_months(getdate(today()), -24)),
		to_date=today(),
	)
	figures = {}
	for report, variants in LEDGER_REPORTS.items():
		execute = frappe.get_attr(f"cs_success.cs_success.report.{report}.{report}.execute")
		for extra in variants:
			label = f"{report}_{extra['measure'].lower()}" if "measure" in extra else report
			filters = frappe._dict(base, **extra)
			figures[f"{label}_s"] = median_of(lambda run=execute, f=filters: run(frappe._dict(f)), runs)
	return figures
