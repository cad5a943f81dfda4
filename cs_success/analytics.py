"""Shared, set-based reads for the manager reports: segments, active customers, revenue, periods."""

from __future__ import annotations

import functools
import threading
from collections import defaultdict
from datetime import date

import frappe
from frappe import _
from frappe.utils import add_days, add_months, get_first_day, get_last_day, getdate

PERIOD_MONTHS = {"Monthly": 1, "Quarterly": 3, "Yearly": 12}


# Range caps of the period reports (README, Reports). One run must stay interactive: Frappe turns a script
# report that runs past 15 seconds into a prepared report for every user (below), and an uncapped range
# (1850 to today, monthly) took 27 s and 700 MB at 30,000 customers.
MAX_REPORT_MONTHS = 120  # 10 years: 120 monthly, 40 quarterly or 10 yearly periods
MAX_COHORTS = 36  # acquisition months in Cohort Retention, each with up to 24 months after it


class ReportRangeError(frappe.ValidationError):
	"""A period report was asked for a longer range than it covers."""


def calendar_months(from_date: date, to_date: date) -> int:
	"""Calendar months the range touches (2025-01-31 to 2025-02-01: 2); 0 when it is empty."""
	from_date, to_date = getdate(from_date), getdate(to_date)
	if to_date < from_date:
		return 0
	return (to_date.year - from_date.year) * 12 + to_date.month - from_date.month + 1


def check_report_range(from_date, to_date, max_months: int = MAX_REPORT_MONTHS) -> tuple[date, date]:
	"""The range as dates, or ReportRangeError when it touches more than `max_months` calendar months."""
	from_date, to_date = getdate(from_date), getdate(to_date)
	months = calendar_months(from_date, to_date)
	if months > max_months:
		frappe.throw(
			_(
				"From {0} to {1} spans {2} months; this report covers at most {3} months. Choose a shorter range."
			).format(frappe.format(from_date, "Date"), frappe.format(to_date, "Date"), months, max_months),
			ReportRangeError,
			title=_("Range Too Long"),
		)
	return from_date, to_date


def check_cohort_count(from_date, to_date) -> None:
	months = calendar_months(from_date, to_date)
	if months > MAX_COHORTS:
		frappe.throw(
			_(
				"From {0} to {1} has {2} acquisition months; Cohort Retention shows at most {3} cohorts. "
				"Choose a shorter range."
			).format(
				frappe.format(getdate(from_date), "Date"),
				frappe.format(getdate(to_date), "Date"),
				months,
				MAX_COHORTS,
			),
			ReportRangeError,
			title=_("Range Too Long"),
		)


def periods(from_date: date, to_date: date, periodicity: str) -> list[tuple[date, date]]:
	"""Calendar periods covering the range, clipped to it (the range within the cap)."""
	months = PERIOD_MONTHS.get(periodicity, 1)
	from_date, to_date = check_report_range(from_date, to_date)
	result = []
	start = get_first_day(from_date)
	if months == 3:
		start = date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
	elif months == 12:
		start = date(start.year, 1, 1)
	while start <= to_date:
		end = get_last_day(add_months(start, months - 1))
		result.append((max(start, from_date), min(end, to_date)))
		start = add_days(end, 1)
	return result


def interactive_report(report_name: str):
	"""Decorator of a report's execute(): the run never turns the report into a prepared one for everyone.

	Frappe (frappe/core/doctype/report/report.py, Report.execute_script_report) starts a 15-second timer
	before it runs a script report that is not prepared; if the run outlasts it, the timer sets the Report's
	`prepared_report` for the whole site, and from then on every user needs a background worker to see it.
	No property of the report's JSON stops that timer short of `prepared_report: 1` itself. Our reports are
	bounded by the range caps above, so they cancel the timer of their own run."""

	def decorate(execute):
		@functools.wraps(execute)
		def run(filters=None):
			cancel_prepared_report_switch(report_name)
			return execute(filters)

		run.cs_interactive_report = report_name
		return run

	return decorate


def cancel_prepared_report_switch(report_name: str) -> int:
	"""Cancel Frappe's pending switch of `report_name` to a prepared report on this site; how many."""
	site = getattr(frappe.local, "site", None)
	cancelled = 0
	for thread in threading.enumerate():
		if (
			isinstance(thread, threading.Timer)
			and getattr(thread.function, "__name__", "") == "enable_prepared_report"
			and thread.kwargs == {"report": report_name, "site": site}
		):
			thread.cancel()
			cancelled += 1
	return cancelled


def customer_attributes(
	customers, fields=("customer_name", "customer_group", "territory", "account_manager")
):
	if not customers:
		return {}
	return {
		row.name: row
		for row in frappe.get_all(
			"Customer", filters={"name": ("in", list(customers))}, fields=["name", *fields]
		)
	}


def group_by(rows, key) -> dict:
	grouped = defaultdict(list)
	for row in rows:
		grouped[key(row)].append(row)
	return grouped


# Decimals a report column or summary shows a percentage with unless told: "4.04%", as the NRR card shows
# it. Frappe would use the site's float precision (3 by default: "4.040%").
PERCENT_PRECISION = 2


def column(
	fieldname: str,
	label: str,
	fieldtype: str = "Data",
	width: int = 120,
	options: str | None = None,
	precision: int | None = None,
) -> dict:
	col = {"fieldname": fieldname, "label": label, "fieldtype": fieldtype, "width": width}
	if options:
		col["options"] = options
	if precision is None and fieldtype == "Percent":
		precision = PERCENT_PRECISION  # not the site's float precision: "4.04%", not "4.040%"
	if precision is not None:
		col["precision"] = precision
	return col


def summary(
	value, label: str, datatype: str = "Float", indicator: str | None = None, precision: int | None = None
) -> dict:
	"""A report summary item; a count (Int) of zero is shown without its `indicator`. `precision`: the decimals it is shown with (a percentage: 2 unless told).
	Frappe formats summaries with the site's float precision (3: "4.040%"); public/js/report_filters.js
	applies this one instead."""
	item = {"value": value, "label": label, "datatype": datatype}
	# A count of zero carries no colour: nothing lost is not red, nothing gained is not green.
	if indicator and not (datatype == "Int" and not value):
		item["indicator"] = indicator
	if precision is None and datatype == "Percent":
		precision = PERCENT_PRECISION
	if precision is not None:
		item["precision"] = precision
	return item


# Only Healthy is ever green: the bands that say "we cannot tell" or "gone" are grey.
BAND_COLORS = {
	"Healthy": "Green",
	"At Risk": "Orange",
	"Critical": "Red",
	"Insufficient Data": "Grey",
	"Churned": "Grey",
	"No Data": "Grey",
}
# The same colours for charts, in the order of BANDS.
BAND_CHART_COLORS = {
	"Healthy": "#29cd42",
	"At Risk": "#ffa00a",
	"Critical": "#e24c4c",
	"Insufficient Data": "#a8b0b8",
	"Churned": "#5f6b77",
	"No Data": "#d8dde2",
}
BANDS = tuple(BAND_COLORS)
