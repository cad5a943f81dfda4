"""The benchmark suite (on demand, never in CI's test run): `bench --site S cs-success benchmark`.

Run it on a throw-away site with ERPNext set up: it bulk-inserts synthetic customers, tickets, invoices,
payments and contracts (named BENCH-...), and removes them at the end. It refuses a site with customers
it did not create unless told `--force`, and matches its prefix case-sensitively ("Bench-Craft Ltd" is
not its own). Every figure is a median of repeated runs and, where the issue asks for it, a ratio
against a baseline measured in the same run.
"""

from __future__ import annotations

import json
import os
import random
import resource
import socket
import statistics
import subprocess
import sys
import threading
import time
import tracemalloc
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager

import frappe
from frappe.utils import add_days, add_months, get_bench_path, getdate, now_datetime, today

PREFIX = "BENCH-"
SURVEY_CAMPAIGN = "BENCH Survey Load"
# Benchmark 6 (revenue ledger): its own customers, a subscription plan and a one-off item group.
LEDGER_PREFIX = f"{PREFIX}L"
LEDGER_PLAN = "BENCH-PLAN"
ONE_OFF_GROUP = "BENCH-One-off"
LEDGER_TABLES = (
	"MRR Interval",
	"MRR Movement",
	"Customer Active Span",
	"Customer Lifecycle Event",
	"Agreement Renewal",
)
# MariaDB's LIKE ignores case under the site's collation; BINARY makes "BENCH-%" miss "Bench-Craft Ltd".
OURS = "LIKE BINARY %s"
RESULTS: dict = {}


class BenchmarkRefused(frappe.ValidationError):
	pass


def run_all(
	scales: list[int], skip: set[int], output: str | None = None, force: bool = False, keep: bool = False
) -> dict:
	# Before anything is written: the benchmark bulk-inserts and bulk-deletes, which a real site must
	# never see by accident.
	if not force and (others := customers_not_ours()):
		raise BenchmarkRefused(
			frappe._(
				"This site has {0} customers that the benchmark did not create. Run it on a throw-away "
				"site, or use --force to run it anyway (it then removes only records named {1}... at the end)."
			).format(others, PREFIX)
		)
	RESULTS.clear()
	RESULTS["machine"] = machine()
	if remove_bench_api_user():
		print(
			frappe._("Removed {0} and its API key, left by an earlier run that did not finish.").format(
				BENCH_API_USER
			)
		)
	try:
		if 1 not in skip:
			hook_overhead()
			request_overhead()
		if 2 not in skip:
			single_customer_recompute()
		if 3 not in skip or 4 not in skip:
			for scale in sorted(scales):
				grow_to(scale)
				if 3 not in skip:
					full_recompute(scale)
				if 4 not in skip:
					report_latency(scale)
		if 6 not in skip or 7 not in skip:
			# The ledger is rebuilt for every customer on the site: benchmark 3's must go first (a ledger
			# benchmark's customers stay, and are grown from where they are).
			if others_than_ledger_customers():
				cleanup()
		if 6 not in skip:
			for scale in sorted(scales):
				grow_ledger_to(scale)
				ledger_rebuild(scale)
		if 7 not in skip:
			for scale in sorted(scales):
				grow_ledger_to(scale)
				score_validation(scale)
		if 5 not in skip:
			survey_load()
	finally:
		if not keep:
			cleanup()
		elif remove_bench_api_user():
			# The data stays for another run; a System Manager with an API key must not.
			print(
				frappe._("--keep-data: the data stays, but {0} and its API key were removed.").format(
					BENCH_API_USER
				)
			)
	print(json.dumps(RESULTS, indent=1, default=str))
	if output:
		with open(output, "w") as fh:
			json.dump(RESULTS, fh, indent=1, default=str)
	return RESULTS


def machine() -> dict:
	return {
		"cpus": os.cpu_count(),
		"memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
		"python": sys.version.split()[0],
		"mariadb": frappe.db.sql("SELECT VERSION()")[0][0],
		"frappe": frappe.__version__,
		"site": frappe.local.site,
		"when": str(now_datetime()),
	}


def median_of(fn, runs: int) -> float:
	times = []
	for _ in range(runs):
		started = time.perf_counter()
		fn()
		times.append(time.perf_counter() - started)
	return statistics.median(times)


@contextmanager
def counting_queries():
	counter = {"queries": 0}
	original = frappe.db.sql

	def sql(*args, **kwargs):
		counter["queries"] += 1
		return original(*args, **kwargs)

	frappe.db.sql = sql
	try:
		yield counter
	finally:
		frappe.db.sql = original


def without_cs_success(doc_hooks: dict) -> dict:
	return {
		doctype: {
			event: [m for m in methods if not m.startswith("cs_success.")]
			for event, methods in events.items()
		}
		for doctype, events in doc_hooks.items()
	}


@contextmanager
def without_our_hooks():
	"""The same operation with cs_success's doc_events removed: the baseline for hook overhead."""
	hooks = frappe.get_doc_hooks()
	frappe.local.doc_events_hooks = without_cs_success(hooks)
	try:
		yield
	finally:
		frappe.local.doc_events_hooks = hooks


# 1. Hook overhead -------------------------------------------------------------------------------


def hook_overhead(runs: int = 100) -> None:
	customer = bench_customer("BENCH-HOOKS")
	item = bench_item()
	company = frappe.defaults.get_global_default("company")

	def save_issue():
		frappe.get_doc({"doctype": "Issue", "subject": "bench", "customer": customer}).insert(
			ignore_permissions=True
		)
		frappe.db.commit()

	def submit_invoice():
		invoice = frappe.new_doc("Sales Invoice")
		invoice.update({"customer": customer, "company": company, "due_date": today()})
		invoice.append("items", {"item_code": item, "qty": 1, "rate": 100})
		invoice.insert(ignore_permissions=True)
		frappe.db.commit()
		started = time.perf_counter()
		with counting_queries() as counter:
			invoice.submit()
			frappe.db.commit()
		return time.perf_counter() - started, counter["queries"]

	def timed(operation, mode):
		context = without_our_hooks() if mode == "without_hooks" else nullcontext()
		with context:
			if operation is submit_invoice:
				return operation()
			with counting_queries() as counter:
				started = time.perf_counter()
				operation()
				return time.perf_counter() - started, counter["queries"]

	results = {}
	modes = ("without_hooks", "with_hooks")
	for label, operation in (("issue_save", save_issue), ("invoice_submit", submit_invoice)):
		times, queries = {mode: [] for mode in modes}, {mode: [] for mode in modes}
		for _ in range(runs):  # alternating, so drift on the machine affects both alike
			for mode in modes:
				elapsed, count = timed(operation, mode)
				times[mode].append(elapsed)
				queries[mode].append(count)
		measured = {
			mode: {
				"median_ms": statistics.median(times[mode]) * 1000,
				"median_queries": statistics.median(queries[mode]),
			}
			for mode in modes
		}
		measured["time_ratio"] = measured["with_hooks"]["median_ms"] / measured["without_hooks"]["median_ms"]
		measured["extra_queries"] = (
			measured["with_hooks"]["median_queries"] - measured["without_hooks"]["median_queries"]
		)
		measured["runs_each"] = runs
		results[label] = measured
	RESULTS["1_hook_overhead"] = results
	print("1. hook overhead", json.dumps(results, indent=1))


@contextmanager
def nullcontext():
	yield


def request_overhead(runs: int = 100) -> None:
	"""The same through the real web server: one gunicorn worker serving the plain application and
	one serving it without our doc_events, the same requests sent to each in turn (A, B, A, B...)
	so that drift on the machine affects both alike."""
	customer = bench_customer("BENCH-HOOKS")
	item = bench_item()
	authorization = bench_api_user()
	try:
		_request_overhead(runs, customer, item, authorization)
	finally:
		# Only while the requests run: a System Manager with an API key is not left on the site.
		remove_bench_api_user()


def _request_overhead(runs: int, customer: str, item: str, authorization: str) -> None:
	company = frappe.defaults.get_global_default("company")
	servers = {
		"with_hooks": start_gunicorn("frappe.app:application", workers=1),
		"without_hooks": start_gunicorn("cs_success.benchmarks.wsgi_without_hooks:application", workers=1),
	}

	def draft_invoice() -> str:
		invoice = frappe.new_doc("Sales Invoice")
		invoice.update({"customer": customer, "company": company, "due_date": today()})
		invoice.append("items", {"item_code": item, "qty": 1, "rate": 100})
		invoice.insert(ignore_permissions=True)
		frappe.db.commit()
		return invoice.name

	operations = {
		"issue_save": lambda port: api_call(
			port, "POST", "Issue", {"subject": "bench", "customer": customer}, authorization
		),
		"invoice_submit": lambda port: api_call(
			port, "PUT", f"Sales Invoice/{draft_invoice()}", {"docstatus": 1}, authorization
		),
	}
	results = {}
	try:
		for port, _process in servers.values():
			wait_for(f"http://127.0.0.1:{port}/api/method/ping")
			for operation in operations.values():  # warm both workers' caches
				operation(port)
		for label, operation in operations.items():
			times = {mode: [] for mode in servers}
			for _ in range(runs):
				for mode, (port, _process) in servers.items():
					times[mode].append(operation(port))
			measured = {mode: {"median_ms": statistics.median(t) * 1000} for mode, t in times.items()}
			measured["time_ratio"] = (
				measured["with_hooks"]["median_ms"] / measured["without_hooks"]["median_ms"]
			)
			measured["requests_each"] = runs
			results[label] = measured
	finally:
		for _port, process in servers.values():
			process.terminate()
			process.wait(timeout=30)
	RESULTS["1_request_overhead"] = results
	print("1. request overhead", json.dumps(results, indent=1))


def api_call(port: int, method: str, resource: str, data: dict, authorization: str) -> float:
	"""One REST call; returns its latency. A failed call aborts the benchmark."""
	request = urllib.request.Request(
		f"http://127.0.0.1:{port}/api/resource/{urllib.parse.quote(resource)}",
		data=json.dumps(data).encode(),
		method=method,
		headers={
			"Host": frappe.local.site,
			"Authorization": authorization,
			"Content-Type": "application/json",
			"Accept": "application/json",
		},
	)
	started = time.perf_counter()
	with urllib.request.urlopen(request, timeout=60) as response:
		response.read()
	return time.perf_counter() - started


BENCH_API_USER = "bench-api@example.com"


def bench_api_user() -> str:
	"""A System Manager with an API key, for request_overhead only (it removes it when done, run_all at
	the start and the end, cleanup() too); returns the Authorization header."""
	email = BENCH_API_USER
	if not frappe.db.exists("User", email):
		frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": "BENCH API",
				"send_welcome_email": 0,
				"roles": [{"role": "System Manager"}, {"role": "Accounts Manager"}, {"role": "Support Team"}],
			}
		).insert(ignore_permissions=True)
	user = frappe.get_doc("User", email)
	secret = frappe.generate_hash(length=15)
	user.api_key = user.api_key or frappe.generate_hash(length=15)
	user.api_secret = secret
	user.save(ignore_permissions=True)
	frappe.db.commit()
	return f"token {user.api_key}:{secret}"


def remove_bench_api_user() -> bool:
	"""Delete the benchmark's API user (with its API key and secret), committed. True if there was one."""
	if not frappe.db.exists("User", BENCH_API_USER):
		return False
	# delete_permanently: no Deleted Document copy of a System Manager with its API key.
	frappe.delete_doc("User", BENCH_API_USER, force=True, ignore_permissions=True, delete_permanently=True)
	frappe.db.commit()
	return True


def start_gunicorn(application: str, workers: int) -> tuple[int, subprocess.Popen]:
	port = free_port()
	process = subprocess.Popen(
		[
			os.path.join(get_bench_path(), "env", "bin", "gunicorn"),
			"-b",
			f"127.0.0.1:{port}",
			"-w",
			str(workers),
			"-t",
			"120",
			"--preload",
			application,
		],
		cwd=os.path.join(get_bench_path(), "sites"),
		stdout=subprocess.DEVNULL,
		stderr=subprocess.DEVNULL,
	)
	return port, process


# 2. One customer with a long history -----------------------------------------------------------


def single_customer_recompute(history: int = 1000, runs: int = 20) -> None:
	from cs_success.health.recompute import recompute_customers

	customer = bench_customer("BENCH-BIG")
	rng = random.Random(2)
	insert_issues([customer], history, rng, prefix="BENCH-BIGI")
	insert_invoices([customer], history, rng, prefix="BENCH-BIGS")
	frappe.db.commit()
	recompute_customers([customer])  # first run creates the record
	frappe.db.commit()
	median = median_of(lambda: recompute_customers([customer]), runs)
	frappe.db.rollback()
	RESULTS["2_single_customer"] = {
		"tickets": history,
		"invoices": history,
		"median_ms": median * 1000,
		"runs": runs,
	}
	print("2. single customer", RESULTS["2_single_customer"])


# 3. Full recompute at scale ---------------------------------------------------------------------


def grow_to(customers: int) -> None:
	"""Bulk-insert synthetic customers up to `customers`, each with 10 tickets and 10 invoices."""
	existing = frappe.db.sql(f"SELECT COUNT(*) FROM `tabCustomer` WHERE name {OURS}", f"{PREFIX}C%")[0][0]
	if existing >= customers:
		return
	rng = random.Random(customers)
	group = frappe.db.get_value("Customer Group", {"is_group": 0}, "name")
	territory = frappe.db.get_value("Territory", {"is_group": 0}, "name")
	started = time.perf_counter()
	batch = 5000
	for start in range(existing, customers, batch):
		names = [f"{PREFIX}C{n:07d}" for n in range(start, min(customers, start + batch))]
		now = now_datetime()
		insert_customers(names, group, territory, [add_days(now, -rng.randint(30, 900)) for _ in names])
		insert_issues(names, 10, rng, prefix=f"{PREFIX}I{start:07d}-")
		insert_invoices(names, 10, rng, prefix=f"{PREFIX}S{start:07d}-")
		insert_contracts(names, rng, prefix=f"{PREFIX}K{start:07d}-")
		frappe.db.commit()
	RESULTS.setdefault("data_generation_s", {})[customers] = time.perf_counter() - started
	frappe.db.sql(
		"ANALYZE TABLE `tabCustomer`, `tabIssue`, `tabSales Invoice`, `tabContract`, `tabPayment Entry Reference`"
	)


def insert_customers(names: list[str], group: str, territory: str, created: list) -> None:
	"""Bulk-insert company customers, each created at its entry of `created`."""
	now = now_datetime()
	frappe.db.bulk_insert(
		"Customer",
		[
			"name",
			"customer_name",
			"customer_group",
			"territory",
			"customer_type",
			"creation",
			"modified",
			"owner",
			"modified_by",
		],
		[
			(name, name, group, territory, "Company", on, now, "Administrator", "Administrator")
			for name, on in zip(names, created, strict=True)
		],
	)


def insert_issues(customers, per_customer, rng, prefix):
	now = now_datetime()
	rows, n = [], 0
	for customer in customers:
		for _ in range(per_customer):
			opened = add_days(getdate(today()), -rng.randint(0, 365))
			closed = rng.random() < 0.75
			rows.append(
				(
					f"{prefix}{n}", "bench ticket", customer, "Closed" if closed else "Open", opened,
					rng.choice(("", "", "Fulfilled", "Failed")), rng.randint(3600, 400000) if closed else 0,
					add_days(now, -rng.randint(0, 365)), now, "Administrator", "Administrator",
				)
			)  # fmt: skip
			n += 1
	frappe.db.bulk_insert(
		"Issue",
		[
			"name",
			"subject",
			"customer",
			"status",
			"opening_date",
			"agreement_status",
			"resolution_time",
			"creation",
			"modified",
			"owner",
			"modified_by",
		],
		rows,
	)


def insert_invoices(customers, per_customer, rng, prefix):
	company = frappe.defaults.get_global_default("company")
	now = now_datetime()
	invoices, payments, references, n = [], [], [], 0
	for customer in customers:
		for _ in range(per_customer):
			posted = add_days(getdate(today()), -rng.randint(0, 400))
			total = float(rng.choice((100, 250, 900, 3000)))
			paid = rng.random() < 0.8
			name = f"{prefix}{n}"
			invoices.append(
				(
					name,
					customer,
					company,
					posted,
					add_days(posted, 30),
					1,
					0,
					total,
					total,
					total,
					0 if paid else total,
					now,
					now,
					"Administrator",
					"Administrator",
				)
			)
			if paid and rng.random() < 0.5:
				payments.append(
					(
						f"{name}-P",
						"Receive",
						"Customer",
						customer,
						company,
						add_days(posted, rng.randint(5, 60)),
						1,
						total,
						now,
						now,
						"Administrator",
						"Administrator",
					)
				)
				references.append(
					(
						f"{name}-R",
						f"{name}-P",
						"Payment Entry",
						"references",
						1,
						"Sales Invoice",
						name,
						total,
						now,
						now,
						"Administrator",
						"Administrator",
					)
				)
			n += 1
	frappe.db.bulk_insert(
		"Sales Invoice",
		[
			"name",
			"customer",
			"company",
			"posting_date",
			"due_date",
			"docstatus",
			"is_return",
			"grand_total",
			"base_grand_total",
			"base_net_total",
			"outstanding_amount",
			"creation",
			"modified",
			"owner",
			"modified_by",
		],
		invoices,
	)
	frappe.db.bulk_insert(
		"Payment Entry",
		[
			"name",
			"payment_type",
			"party_type",
			"party",
			"company",
			"posting_date",
			"docstatus",
			"paid_amount",
			"creation",
			"modified",
			"owner",
			"modified_by",
		],
		payments,
	)
	frappe.db.bulk_insert(
		"Payment Entry Reference",
		[
			"name",
			"parent",
			"parenttype",
			"parentfield",
			"idx",
			"reference_doctype",
			"reference_name",
			"allocated_amount",
			"creation",
			"modified",
			"owner",
			"modified_by",
		],
		references,
	)


def insert_contracts(customers, rng, prefix):
	now = now_datetime()
	rows = []
	for n, customer in enumerate(customers):
		if rng.random() < 0.7:
			start = add_days(getdate(today()), -rng.randint(30, 700))
			end = add_days(start, 365 * rng.choice((1, 2)))
			status = "Active" if getdate(end) >= getdate(today()) else "Inactive"
			rows.append(
				(
					f"{prefix}{n}",
					"Customer",
					customer,
					start,
					end,
					status,
					1,
					1,
					"bench",
					now,
					now,
					"Administrator",
					"Administrator",
				)
			)
	frappe.db.bulk_insert(
		"Contract",
		[
			"name",
			"party_type",
			"party_name",
			"start_date",
			"end_date",
			"status",
			"is_signed",
			"docstatus",
			"contract_terms",
			"creation",
			"modified",
			"owner",
			"modified_by",
		],
		rows,
	)


def bare_aggregates() -> None:
	"""The baseline: one plain GROUP BY customer over each table the recompute reads, nothing else.
	(Earlier runs used only the first three: tickets, invoices and contracts; `core_aggregates` keeps
	that figure for comparison.)"""
	core_aggregates()
	frappe.db.sql("SELECT name, customer_group, territory, creation FROM `tabCustomer` WHERE disabled = 0")
	frappe.db.sql(
		"""SELECT per.reference_name, MAX(pe.posting_date) FROM `tabPayment Entry Reference` per
		JOIN `tabPayment Entry` pe ON pe.name = per.parent WHERE pe.docstatus = 1 GROUP BY per.reference_name"""
	)
	frappe.db.sql("SELECT party, MAX(end_date) FROM `tabSubscription` GROUP BY party")
	for table, column in (
		("Customer Usage Record", "recorded_on"),
		("Survey Response", "submitted_on"),
		("Touchpoint", "touchpoint_date"),
		("Success Plan", "modified"),
		("Customer Health Snapshot", "snapshot_date"),
	):
		frappe.db.sql(f"SELECT customer, MAX(`{column}`) FROM `tab{table}` GROUP BY customer")
	# The previous state the recompute compares against.
	frappe.db.sql("SELECT name, score, band, contributions FROM `tabCustomer Health`")


def core_aggregates() -> None:
	frappe.db.sql(
		"SELECT customer, COUNT(*), SUM(status = 'Open'), AVG(resolution_time) FROM `tabIssue` GROUP BY customer"
	)
	frappe.db.sql(
		"SELECT customer, COUNT(*), SUM(outstanding_amount), SUM(grand_total) FROM `tabSales Invoice` WHERE docstatus = 1 GROUP BY customer"
	)
	frappe.db.sql("SELECT party_name, MAX(end_date) FROM `tabContract` GROUP BY party_name")


def read_measures() -> None:
	"""What the recompute reads: every measure source for every customer, without computing or writing."""
	from cs_success.health.measure_data import gather_raw_values, get_customers

	on = getdate(today())
	gather_raw_values(get_customers(None, on), None, on)


def full_recompute(scale: int, runs: int = 3) -> None:
	"""Timed without tracemalloc (it slows Python several-fold); memory from one extra traced run."""
	from cs_success.jobs import refresh_all

	def once():
		refresh_all()
		frappe.db.commit()

	started = time.perf_counter()
	once()  # the first scoring also creates every record and breakdown row
	first = time.perf_counter() - started
	steady_median = median_of(once, runs)
	bare = median_of(bare_aggregates, runs)
	core = median_of(core_aggregates, runs)
	read_path = median_of(read_measures, runs)
	tracemalloc.start()
	once()
	_current, steady_peak = tracemalloc.get_traced_memory()
	tracemalloc.stop()
	RESULTS.setdefault("3_full_recompute", {})[scale] = {
		"customers": frappe.db.count("Customer", {"disabled": 0}),
		"first_run_s": first,
		"steady_median_s": steady_median,
		"bare_aggregates_median_s": bare,
		"ratio_to_bare_aggregates": steady_median / bare,
		"core_aggregates_median_s": core,
		"ratio_to_core_aggregates": steady_median / core,
		"read_path_median_s": read_path,
		"read_path_ratio_to_bare_aggregates": read_path / bare,
		"python_peak_mb_steady": steady_peak / 2**20,
		"process_max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
	}
	print(f"3. full recompute at {scale}", RESULTS["3_full_recompute"][scale])


# 4. Report latency ------------------------------------------------------------------------------


def report_latency(scale: int, runs: int = 3, erpnext_timeout: int = 600) -> None:
	from cs_success.cs_success.report.customer_health_overview.customer_health_overview import (
		execute as overview,
	)
	from cs_success.cs_success.report.retention_and_churn.retention_and_churn import execute as retention

	year_ago = str(add_days(getdate(today()), -365))
	figures = {
		"customer_health_overview_s": median_of(lambda: overview(frappe._dict()), runs),
		"retention_and_churn_s": median_of(
			lambda: retention(frappe._dict(from_date=year_ago, to_date=today(), periodicity="Quarterly")),
			runs,
		),
	}
	# ERPNext's report is run once, in a child process that is stopped at the time limit: it looks up
	# each invoice's customer in a list of customers seen so far, so its time grows with invoices x
	# customers and at 100,000 customers it does not finish in any reasonable time.
	erpnext_s = time_erpnext_report_in_child(year_ago, erpnext_timeout)
	figures["erpnext_customer_acquisition_and_loyalty_s"] = erpnext_s
	figures["erpnext_timeout_s"] = erpnext_timeout
	for ours in ("customer_health_overview_s", "retention_and_churn_s"):
		# With ERPNext's report stopped at the limit, the ratio is an upper bound.
		figures[ours.replace("_s", "_ratio_to_erpnext")] = figures[ours] / (erpnext_s or erpnext_timeout)
	RESULTS.setdefault("4_report_latency", {})[scale] = figures
	print(f"4. report latency at {scale}", figures)


def time_erpnext_report_in_child(from_date: str, timeout: int) -> float | None:
	"""Seconds ERPNext's Customer Acquisition and Loyalty report took, or None if stopped at `timeout`."""
	kwargs = {"from_date": from_date, "to_date": today()}
	try:
		completed = subprocess.run(
			[
				"bench",
				"--site",
				frappe.local.site,
				"execute",
				"cs_success.benchmarks.run.time_erpnext_report",
				"--kwargs",
				json.dumps(kwargs),
			],
			cwd=get_bench_path(),
			capture_output=True,
			text=True,
			timeout=timeout,
			check=True,
		)
	except subprocess.TimeoutExpired:
		return None
	return float(completed.stdout.strip().splitlines()[-1])


def time_erpnext_report(from_date: str, to_date: str) -> float:
	from erpnext.selling.report.customer_acquisition_and_loyalty.customer_acquisition_and_loyalty import (
		execute,
	)

	company = frappe.defaults.get_global_default("company")
	started = time.perf_counter()
	execute(frappe._dict(company=company, from_date=from_date, to_date=to_date, view_type="Monthly"))
	return time.perf_counter() - started


# 5. Guest survey submissions under load ---------------------------------------------------------


def survey_load(invitations: int = 400, concurrency: int = 16) -> None:
	from cs_success.surveys.delivery import Recipient, create_invitation
	from cs_success.surveys.links import token_for

	campaign_name = SURVEY_CAMPAIGN
	if not frappe.db.exists("Survey Campaign", campaign_name):
		frappe.get_doc(
			{
				"doctype": "Survey Campaign",
				"campaign_name": campaign_name,
				"template": "Net Promoter Score",
				"purpose": "Periodic",
				"audience": "All Customers",
				"status": "Completed",
			}
		).insert(ignore_permissions=True)
	campaign = frappe.get_doc("Survey Campaign", campaign_name)
	customers = frappe.db.sql_list(
		f"SELECT name FROM `tabCustomer` WHERE name {OURS} LIMIT %s", (f"{PREFIX}C%", invitations)
	)
	if len(customers) < invitations:
		customers = [bench_customer(f"BENCH-SURVEY-{n}") for n in range(invitations)]
	tokens = []
	for n, customer in enumerate(customers):
		invitation = create_invitation(campaign, Recipient(customer, None, f"bench-{n}@example.com"))
		invitation.db_set(
			{"status": "Sent", "sent_on": now_datetime(), "expires_on": add_days(now_datetime(), 7)}
		)
		tokens.append((invitation.name, token_for(invitation)))
	frappe.db.commit()

	port, server = start_gunicorn("frappe.app:application", workers=2)
	try:
		wait_for(f"http://127.0.0.1:{port}/api/method/ping")
		# Every token twice: the second must be refused. Spread over addresses, as real respondents are.
		work = [(i, token) for i, (_name, token) in enumerate(tokens)] * 2
		random.Random(5).shuffle(work)
		latencies, statuses, lock = [], [], threading.Lock()
		site = frappe.local.site  # frappe.local is per thread: the workers get the site passed in

		def worker(items):
			for i, token in items:
				status, elapsed = post_answer(site, port, token, i % 10, f"10.{i // 250}.{i % 250}.1")
				with lock:
					latencies.append(elapsed)
					statuses.append(status)

		chunks = [work[i::concurrency] for i in range(concurrency)]
		threads = [threading.Thread(target=worker, args=(chunk,)) for chunk in chunks]
		started = time.perf_counter()
		for thread in threads:
			thread.start()
		for thread in threads:
			thread.join()
		wall = time.perf_counter() - started
	finally:
		server.terminate()
		server.wait(timeout=30)

	frappe.db.rollback()
	names = [name for name, _token in tokens]
	stored = frappe.db.sql(
		"SELECT invitation, COUNT(*) FROM `tabSurvey Response` WHERE invitation IN %(names)s GROUP BY invitation",
		{"names": tuple(names)},
	)
	per_invitation = [count for _invitation, count in stored]
	latencies.sort()
	RESULTS["5_survey_load"] = {
		"requests": len(work),
		"concurrency": concurrency,
		"gunicorn_workers": 2,
		"throughput_rps": len(work) / wall,
		"p50_ms": latencies[len(latencies) // 2] * 1000,
		"p95_ms": latencies[int(len(latencies) * 0.95)] * 1000,
		"accepted": statuses.count(200),
		"refused": len(statuses) - statuses.count(200),
		"invitations_with_one_response": sum(1 for c in per_invitation if c == 1),
		"invitations_with_more_than_one": sum(1 for c in per_invitation if c > 1),
		"invitations": len(tokens),
	}
	print("5. survey load", RESULTS["5_survey_load"])


def post_answer(site: str, port: int, token: str, score: int, ip: str) -> tuple[int, float]:
	data = {
		"doctype": "Survey Response",
		"token": token,
		"answers_json": json.dumps({"1": score}),
		"comment": "",
	}
	body = urllib.parse.urlencode({"web_form": "survey", "data": json.dumps(data)}).encode()
	request = urllib.request.Request(
		f"http://127.0.0.1:{port}/api/method/frappe.website.doctype.web_form.web_form.accept",
		data=body,
		headers={"Host": site, "X-Forwarded-For": ip, "Accept": "application/json"},
	)
	started = time.perf_counter()
	try:
		with urllib.request.urlopen(request, timeout=60) as response:
			status = response.status
	except urllib.error.HTTPError as error:
		status = error.code
	return status, time.perf_counter() - started


def free_port() -> int:
	with socket.socket() as sock:
		sock.bind(("127.0.0.1", 0))
		return sock.getsockname()[1]


def wait_for(url: str, seconds: int = 60) -> None:
	deadline = time.monotonic() + seconds
	while time.monotonic() < deadline:
		try:
			urllib.request.urlopen(
				urllib.request.Request(url, headers={"Host": frappe.local.site}), timeout=2
			)
			return
		except OSError:
			time.sleep(0.5)
	raise RuntimeError(f"{url} did not answer")


# 6. Revenue ledger ------------------------------------------------------------------------------

# How each ledger customer is billed: the share of customers up to each bound.
LEDGER_CADENCES = ((0.55, "monthly"), (0.80, "quarterly"), (0.92, "annual"), (1.0, "subscription"))


def grow_ledger_to(customers: int) -> None:
	"""Bulk-insert ledger customers up to `customers`, each with 10 submitted invoices of one item line over
	the last two years: billed monthly (55 %: 30 % of them change their amount once, 10 % pause for three
	months, a fifth have a signed contract), quarterly with two one-off invoices (25 %, 40 % under a
	two-year contract with a value), annually under a signed contract per year with eight one-off invoices
	(12 %), or by an ERPNext Subscription whose invoices name it (8 %: the ledger takes the subscription's
	plan, not its invoices). One-off invoices are of an item group that CS Settings lists as one-off."""
	ours = f"{LEDGER_PREFIX}%"
	existing = frappe.db.sql(f"SELECT COUNT(*) FROM `tabCustomer` WHERE name {OURS}", ours)[0][0]
	if existing >= customers:
		return
	item = ledger_fixtures()
	group = frappe.db.get_value("Customer Group", {"is_group": 0}, "name")
	territory = frappe.db.get_value("Territory", {"is_group": 0}, "name")
	started = time.perf_counter()
	batch = 5000
	for start in range(existing, customers, batch):
		rng = random.Random(start)
		names = [f"{LEDGER_PREFIX}{n:07d}" for n in range(start, min(customers, start + batch))]
		now = now_datetime()
		insert_customers(names, group, territory, [now] * len(names))
		insert_ledger_documents(names, rng, f"{PREFIX}LS{start:07d}-", item)
		frappe.db.commit()
	RESULTS.setdefault("ledger_data_generation_s", {})[customers] = time.perf_counter() - started
	frappe.db.sql(
		"ANALYZE TABLE `tabCustomer`, `tabSales Invoice`, `tabSales Invoice Item`, `tabContract`, "
		"`tabSubscription`, `tabSubscription Plan Detail`"
	)


def ledger_fixtures() -> str:
	"""The subscription plan, and the one-off item group listed in CS Settings (written directly, so that
	no settings hook queues a ledger rebuild). Returns the item every invoice line bills."""
	item = bench_item()
	now = now_datetime()
	standard = ["creation", "modified", "owner", "modified_by"]
	if not frappe.db.exists("Subscription Plan", LEDGER_PLAN):
		frappe.db.bulk_insert(
			"Subscription Plan",
			[
				"name",
				"plan_name",
				"currency",
				"item",
				"price_determination",
				"cost",
				"billing_interval",
				"billing_interval_count",
				*standard,
			],
			[
				(
					LEDGER_PLAN,
					LEDGER_PLAN,
					company_currency(),
					item,
					"Fixed Rate",
					100,
					"Month",
					1,
					now,
					now,
					"Administrator",
					"Administrator",
				)
			],
		)
	if not frappe.db.exists("Item Group", ONE_OFF_GROUP):
		frappe.get_doc(
			{
				"doctype": "Item Group",
				"item_group_name": ONE_OFF_GROUP,
				"parent_item_group": frappe.db.get_value("Item Group", {"is_group": 1}, "name"),
				"is_group": 0,
			}
		).insert(ignore_permissions=True)
	if not frappe.db.exists("CS One-off Item Group", {"parent": "CS Settings", "item_group": ONE_OFF_GROUP}):
		frappe.db.bulk_insert(
			"CS One-off Item Group",
			["name", "parent", "parenttype", "parentfield", "idx", "item_group", *standard],
			[
				(
					frappe.generate_hash(length=10),
					"CS Settings",
					"CS Settings",
					"one_off_item_groups",
					99,
					ONE_OFF_GROUP,
					now,
					now,
					"Administrator",
					"Administrator",
				)
			],
		)
		frappe.clear_document_cache("CS Settings", "CS Settings")
	frappe.db.commit()
	return item


def remove_one_off_group() -> None:
	frappe.db.delete("CS One-off Item Group", {"parent": "CS Settings", "item_group": ONE_OFF_GROUP})
	frappe.clear_document_cache("CS Settings", "CS Settings")
	if frappe.db.exists("Item Group", ONE_OFF_GROUP):
		frappe.delete_doc("Item Group", ONE_OFF_GROUP, force=True, ignore_permissions=True)


def company_currency() -> str:
	return frappe.get_cached_value(
		"Company", frappe.defaults.get_global_default("company"), "default_currency"
	)


def insert_ledger_documents(customers, rng, prefix, item):
	company = frappe.defaults.get_global_default("company")
	currency = company_currency()
	recurring = frappe.db.get_value("Item", item, "item_group")
	window = add_days(getdate(today()), -730)
	now = now_datetime()
	audit = (now, now, "Administrator", "Administrator")
	invoices, lines, contracts, subscriptions, plans = [], [], [], [], []

	def contract(name, customer, start, months, value):
		end = add_days(add_months(start, months), -1)
		status = "Active" if end >= getdate(today()) else "Inactive"
		contracts.append((name, "Customer", customer, start, end, status, 1, 1, "bench", value, *audit))

	for c, customer in enumerate(customers):
		roll = rng.random()
		kind = next(k for bound, k in LEDGER_CADENCES if roll < bound)
		subscription, bills = None, []  # bills: (posting date, amount, item group)
		if kind in ("monthly", "subscription"):
			# a tenth pause for three months after the fifth invoice: churn, then reactivation
			pause = 3 if kind == "monthly" and rng.random() < 0.1 else 0
			first = add_days(window, rng.randint(0, 430 - 31 * pause))
			amount = float(rng.choice((50, 100, 250, 500)))
			step = rng.randint(3, 8) if rng.random() < 0.3 else 10
			factor = rng.choice((0.5, 1.5, 2.0))
			bills = [
				(
					add_months(first, i + (pause if i >= 5 else 0)),
					amount * (factor if i >= step else 1),
					recurring,
				)
				for i in range(10)
			]
			if kind == "subscription":
				subscription = f"{prefix}U{c}"
				cancelled = add_months(first, 10) if rng.random() < 0.3 else None
				subscriptions.append(
					(
						subscription,
						"Customer",
						customer,
						company,
						first,
						add_days(add_months(first, 12), -1),
						cancelled,
						"Cancelled" if cancelled else "Active",
						*audit,
					)
				)
				plans.append(
					(
						f"{subscription}-P",
						subscription,
						"Subscription",
						"plans",
						1,
						LEDGER_PLAN,
						rng.randint(1, 5),
						*audit,
					)
				)
			elif rng.random() < 0.2:
				contract(f"{prefix}K{c}", customer, first, 12, 0)
		elif kind == "quarterly":
			first = add_days(window, rng.randint(0, 60))
			amount = float(rng.choice((300, 750, 1500, 3000)))
			bills = [(add_months(first, 3 * i), amount, recurring) for i in range(8)]
			if rng.random() < 0.4:
				contract(f"{prefix}K{c}", customer, first, 24, 8 * amount)
		else:
			first = add_days(window, rng.randint(0, 60))
			amount = float(rng.choice((1200, 6000, 12000, 24000)))
			for year in range(2):
				bills.append((add_months(first, 12 * year), amount, recurring))
				contract(f"{prefix}K{c}-{year}", customer, add_months(first, 12 * year), 12, amount)
		while len(bills) < 10:  # one-off: setup fees, services
			bills.append(
				(add_days(first, rng.randint(0, 700)), float(rng.choice((200, 500, 1000))), ONE_OFF_GROUP)
			)
		for i, (posted, amount, item_group) in enumerate(bills):
			name = f"{prefix}{c}-{i}"
			invoices.append(
				(
					name,
					customer,
					company,
					currency,
					posted,
					add_days(posted, 30),
					1,
					0,
					subscription,
					amount,
					amount,
					amount,
					amount,
					0,
					*audit,
				)
			)
			lines.append(
				(
					f"{name}-1",
					name,
					"Sales Invoice",
					"items",
					1,
					item,
					item,
					item_group,
					1,
					amount,
					amount,
					amount,
					amount,
					amount,
					amount,
					*audit,
				)
			)

	standard = ["creation", "modified", "owner", "modified_by"]
	frappe.db.bulk_insert(
		"Sales Invoice",
		[
			"name",
			"customer",
			"company",
			"currency",
			"posting_date",
			"due_date",
			"docstatus",
			"is_return",
			"subscription",
			"grand_total",
			"base_grand_total",
			"net_total",
			"base_net_total",
			"outstanding_amount",
			*standard,
		],
		invoices,
	)
	frappe.db.bulk_insert(
		"Sales Invoice Item",
		[
			"name",
			"parent",
			"parenttype",
			"parentfield",
			"idx",
			"item_code",
			"item_name",
			"item_group",
			"qty",
			"rate",
			"amount",
			"base_rate",
			"base_amount",
			"net_amount",
			"base_net_amount",
			*standard,
		],
		lines,
	)
	frappe.db.bulk_insert(
		"Contract",
		[
			"name",
			"party_type",
			"party_name",
			"start_date",
			"end_date",
			"status",
			"is_signed",
			"docstatus",
			"contract_terms",
			"cs_contract_value",
			*standard,
		],
		contracts,
	)
	frappe.db.bulk_insert(
		"Subscription",
		[
			"name",
			"party_type",
			"party",
			"company",
			"start_date",
			"end_date",
			"cancelation_date",
			"status",
			*standard,
		],
		subscriptions,
	)
	frappe.db.bulk_insert(
		"Subscription Plan Detail",
		["name", "parent", "parenttype", "parentfield", "idx", "plan", "qty", *standard],
		plans,
	)


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


def ledger_rebuild(scale: int, runs: int = 3, worker_rounds: int = 2) -> None:
	"""The full rebuild (rebuild_all(1), as `cs-success ledger --rebuild` runs it) in this process, against
	the bare aggregates over the same tables: first from an empty ledger (every row inserted), then over
	unchanged documents (the rebuild compares and writes nothing); then the same rebuilds by 1 and by 2
	worker processes (rebuild_shard(i, n) each, wall time), alternated; then the ledger reports."""
	from cs_success.ledger.build import ledger_settings, rebuild_all
	from cs_success.ledger.sources import customer_books_inputs

	ledger_customers = frappe.db.sql(
		f"SELECT COUNT(*) FROM `tabCustomer` WHERE name {OURS}", f"{LEDGER_PREFIX}%"
	)[0][0]
	everyone = frappe.db.count("Customer")
	if ledger_customers != scale or everyone != scale:
		# Data left from an earlier run, or other customers (--force): the rebuild reads every customer,
		# and its figures would not be this scale's.
		RESULTS.setdefault("6_revenue_ledger", {})[scale] = {
			"skipped": f"the site has {everyone} customers, {ledger_customers} of them the ledger benchmark's"
		}
		print(f"6. revenue ledger at {scale}: skipped", RESULTS["6_revenue_ledger"][scale])
		return

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
		"customers": ledger_customers,
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
	RESULTS.setdefault("6_revenue_ledger", {})[scale] = figures
	print(f"6. revenue ledger at {scale}", json.dumps(figures, indent=1, default=str))


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


def ledger_in_workers(shards: int, timeout: int = 3600) -> dict:
	"""rebuild_shard(i, shards) in `shards` processes at once (`bench execute`, as a worker would run it):
	each connects and says it is ready, then all start together on a go-file. Wall time from the first
	start to the last end, on the machine's clock; process start-up is not in it."""
	go = os.path.join(get_bench_path(), "sites", f".cs-bench-go-{os.getpid()}-{shards}")
	ready = [f"{go}.ready{shard}" for shard in range(shards)]
	frappe.db.commit()
	processes = [
		subprocess.Popen(
			[
				"bench",
				"--site",
				frappe.local.site,
				"execute",
				"cs_success.benchmarks.run.ledger_worker",
				"--kwargs",
				json.dumps({"shard": shard, "shards": shards, "go": go}),
			],
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


def peak_rss_mb() -> float | None:
	"""This process's peak resident memory (Linux; VmHWM, which exec resets, unlike getrusage's maxrss)."""
	with open("/proc/self/status") as status:
		for line in status:
			if line.startswith("VmHWM:"):
				return int(line.split()[1]) / 1024
	return None


# Report -> filters on top of company and the two years of the generated data (the Desk default is one).
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


# Benchmark 7: the score's proof ---------------------------------------------------------------


def score_validation(scale: int, months: int = 12, runs: int = 3) -> None:
	"""On benchmark 6's customers (their ledger gives the churn), with 10 tickets each over the last year:
	the back-fill of `months` monthly snapshots, the Score Validation report over them (90 days, the
	Desk's default year) and the fit of suggested weights at the same dates."""
	from cs_success.health.backfill import backfill
	from cs_success.health.config import load_scorecards
	from cs_success.health.score_validation import fit_suggested_weights
	from cs_success.ledger.build import rebuild_all
	from cs_success.ledger.snapshot_outcomes import refresh_snapshot_outcomes

	everyone = frappe.db.count("Customer")
	ours = frappe.db.sql(f"SELECT COUNT(*) FROM `tabCustomer` WHERE name {OURS}", f"{LEDGER_PREFIX}%")[0][0]
	if ours != scale or everyone != scale:
		RESULTS.setdefault("7_score_validation", {})[scale] = {
			"skipped": f"the site has {everyone} customers, {ours} of them the ledger benchmark's"
		}
		print(f"7. score validation at {scale}: skipped", RESULTS["7_score_validation"][scale])
		return
	add_validation_tickets()
	rebuild_all(1)  # current whether or not benchmark 6 ran
	frappe.db.sql(
		f"DELETE FROM `tabCustomer Health Snapshot` WHERE is_backfilled = 1 AND customer {OURS}",
		f"{LEDGER_PREFIX}%",
	)
	frappe.db.commit()
	load_before = os.getloadavg()
	rss_before = peak_rss_mb()
	started = time.perf_counter()
	written = backfill(months)
	frappe.db.commit()
	backfill_s = time.perf_counter() - started
	rss_after_backfill = peak_rss_mb()
	started = time.perf_counter()
	backfill(months)  # again: every row exists, and is refreshed
	frappe.db.commit()
	refresh_s = time.perf_counter() - started

	# What a ledger rebuild adds where snapshots exist: over unchanged documents nothing (no customer's
	# spans or events moved); a first build refreshes what followed every snapshot.
	rebuild_with_snapshots = median_of(lambda: (rebuild_all(1), frappe.db.commit()), 1)
	customers = frappe.db.sql_list(
		f"SELECT name FROM `tabCustomer` WHERE name {OURS} ORDER BY name", f"{LEDGER_PREFIX}%"
	)
	started = time.perf_counter()
	for start in range(0, len(customers), 5000):
		refresh_snapshot_outcomes(customers[start : start + 5000])
		frappe.db.commit()
	refresh_outcomes_s = time.perf_counter() - started

	execute = frappe.get_attr("cs_success.cs_success.report.score_validation.score_validation.execute")
	report = median_of(lambda: execute(frappe._dict(horizon=90)), runs)
	_columns, rows, *_rest = execute(frappe._dict(horizon=90))

	scorecard = load_scorecards()[0].name
	to_date = getdate(today())
	from_date = add_months(to_date, -months)
	fitted = {}

	def fit():
		fitted["result"], fitted["observations"], *_ = fit_suggested_weights(
			scorecard, 90, from_date, to_date
		)

	fit_s = median_of(fit, runs)
	result = fitted["result"]
	figures = {
		"customers": scale,
		"backfill_months": months,
		"snapshots_written": sum(written.values()),
		"backfill_s": backfill_s,
		"backfill_again_s": refresh_s,
		"peak_rss_mb_before_backfill": rss_before,
		"peak_rss_mb_after_backfill": rss_after_backfill,
		"ledger_rebuild_unchanged_with_snapshots_s": rebuild_with_snapshots,
		"refresh_every_snapshots_outcome_s": refresh_outcomes_s,
		"report_median_s": report,
		"report_verdict": rows[0]["item"] if rows else None,
		"observations": next((row.get("customers") for row in rows if row.get("section") == "Overall"), None),
		"fit_median_s": fit_s,
		"fit_observations": fitted["observations"],
		"fit_current_auc_test": result.current_auc_test,
		"fit_suggested_auc_test": result.suggested_auc_test,
		"fit_reason": result.reason,
		"peak_rss_mb_after_fit": peak_rss_mb(),
		"runs": runs,
		"load_average_before": load_before,
		"load_average_after": os.getloadavg(),
	}
	RESULTS.setdefault("7_score_validation", {})[scale] = figures
	print(f"7. score validation at {scale}", json.dumps(figures, indent=1, default=str))


def add_validation_tickets() -> None:
	"""10 tickets over the last year for each ledger customer that has none yet."""
	without = frappe.db.sql_list(
		f"""SELECT c.name FROM `tabCustomer` c WHERE c.name {OURS}
		AND NOT EXISTS (SELECT 1 FROM `tabIssue` i WHERE i.customer = c.name) ORDER BY c.name""",
		f"{LEDGER_PREFIX}%",
	)
	for start in range(0, len(without), 5000):
		names = without[start : start + 5000]
		insert_issues(names, 10, random.Random(names[0]), prefix=f"{PREFIX}LI{names[0]}-")
		frappe.db.commit()
	frappe.db.sql("ANALYZE TABLE `tabIssue`")


# Helpers ---------------------------------------------------------------------------------------


def bench_customer(name: str) -> str:
	if not frappe.db.exists("Customer", name):
		frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": name,
				"customer_group": frappe.db.get_value("Customer Group", {"is_group": 0}, "name"),
				"territory": frappe.db.get_value("Territory", {"is_group": 0}, "name"),
			}
		).insert(ignore_permissions=True, set_name=name)
		frappe.db.commit()
	return name


def bench_item() -> str:
	name = "BENCH-ITEM"
	if not frappe.db.exists("Item", name):
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": name,
				"item_group": frappe.db.get_value("Item Group", {"is_group": 0}, "name"),
				"stock_uom": "Nos",
				"is_stock_item": 0,
			}
		).insert(ignore_permissions=True)
	return name


def others_than_ledger_customers() -> int:
	return frappe.db.sql(f"SELECT COUNT(*) FROM `tabCustomer` WHERE name NOT {OURS}", f"{LEDGER_PREFIX}%")[0][
		0
	]


def customers_not_ours() -> int:
	return frappe.db.sql(f"SELECT COUNT(*) FROM `tabCustomer` WHERE name NOT {OURS}", f"{PREFIX}%")[0][0]


def cleanup() -> None:
	"""Remove every BENCH- row (bulk, as they were made; the prefix in capitals, case-sensitively) and
	our records about them."""
	like = f"{PREFIX}%"
	for table in LEDGER_TABLES:
		frappe.db.sql(f"DELETE FROM `tab{table}` WHERE customer {OURS}", like)
	frappe.db.sql(f"DELETE FROM `tabSubscription Plan Detail` WHERE parent {OURS}", like)
	frappe.db.sql(f"DELETE FROM `tabSubscription` WHERE party {OURS}", like)
	frappe.db.sql(
		f"""DELETE item FROM `tabSales Invoice Item` item JOIN `tabSales Invoice` invoice ON invoice.name = item.parent
		WHERE invoice.customer {OURS}""",
		like,
	)
	for table, column in (
		("Customer Health Measure", "parent"),
		("Customer Health", "customer"),
		("Customer Health Snapshot", "customer"),
		("Customer Health Change", "customer"),
		("Customer Health Alert", "customer"),
		("Survey Response", "customer"),
		("Survey Invitation", "customer"),
		("Touchpoint", "customer"),
		("Payment Entry Reference", "reference_name"),
		("Payment Entry", "party"),
		("Sales Invoice", "customer"),
		("GL Entry", "party"),
		("Payment Ledger Entry", "party"),
		("Issue", "customer"),
		("Contract", "party_name"),
		("Customer", "name"),
	):
		frappe.db.sql(f"DELETE FROM `tab{table}` WHERE `{column}` {OURS}", like)
	frappe.db.delete("Subscription Plan", {"name": LEDGER_PLAN})
	remove_one_off_group()
	frappe.db.delete("Survey Campaign", {"name": SURVEY_CAMPAIGN})
	remove_bench_api_user()
	frappe.db.commit()
