"""Benchmark 4, report latency at scale (benchmark 3's data): Customer Health Overview and Retention and
Churn, against ERPNext's Customer Acquisition and Loyalty on the same data."""

from __future__ import annotations

import subprocess
import time

import frappe
from frappe.utils import add_days, get_bench_path, getdate, today

from cs_success.benchmarks.harness import bench_execute, median_of


def report_latency(scale: int, runs: int = 3, erpnext_timeout: int = 600) -> dict:
	from cs_success.cs_success.report.customer_health_overview.customer_health_overview import (
		execute as overview,
	)
	from cs_success.cs_success.report.retention_and_churn.retention_and_churn import execute as retention
	from cs_success.ledger.build import rebuild_all

	# Retention and Churn reads the revenue ledger (since issue 21): built first, untimed, or the report
	# would be timed over an empty ledger.
	rebuild_all(1)
	frappe.db.commit()
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
	print(f"4. report latency at {scale}", figures)
	return figures


def time_erpnext_report_in_child(from_date: str, timeout: int) -> float | None:
	"""Seconds ERPNext's Customer Acquisition and Loyalty report took, or None if stopped at `timeout`."""
	kwargs = {"from_date": from_date, "to_date": today()}
	try:
		completed = subprocess.run(
			bench_execute("cs_success.benchmarks.report_latency.time_erpnext_report", kwargs),
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
