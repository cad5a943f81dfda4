"""Benchmark 3, the daily recompute at scale (data from data.grow_to): the first scoring, the steady
daily run, its memory, and the same against bare aggregates over the tables it reads, measured in the same
run."""

from __future__ import annotations

import resource
import time
import tracemalloc

import frappe
from frappe.utils import getdate, today

from cs_success.benchmarks.harness import median_of


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
	"""What the recompute reads: every measure source for every customer, without computing or writing, in
	the session the daily run reads in (its temporary tables kept in memory: base/bulk.large_temp_tables)."""
	from cs_success.base.bulk import large_temp_tables
	from cs_success.health.measure_data import gather_raw_values, get_customers

	on = getdate(today())
	with large_temp_tables():
		gather_raw_values(get_customers(None, on), None, on)


def full_recompute(scale: int, runs: int = 3) -> dict:
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
	figures = {
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
	print(f"3. full recompute at {scale}", figures)
	return figures
