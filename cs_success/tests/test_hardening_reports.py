"""Tier 2, Hardening II item 8: one report run never changes the report for everyone. Period reports refuse
a range past their cap (120 calendar months; Cohort Retention 36 cohorts) with ReportRangeError and take
the boundary range; no report of ours can become a prepared report by running long."""

import glob
import json
import os
import threading
import traceback
from unittest.mock import patch

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, add_months, get_first_day, getdate, today

from cs_success.analytics import MAX_COHORTS, MAX_REPORT_MONTHS, ReportRangeError, calendar_months
from cs_success.tests.test_ledger_reports import run
from cs_success.tests.utils import company

# 2016-01-01 to 2025-12-31 touches 10 x 12 = 120 months: the cap. One day more touches 121.
LONGEST = {"from_date": "2016-01-01", "to_date": "2025-12-31"}
TOO_LONG = {"from_date": "2016-01-01", "to_date": "2026-01-01"}


def period_reports() -> dict[str, dict]:
	"""Each period report with the other filters it needs."""
	return {
		"Retention and Churn": {"periodicity": "Monthly"},
		"Revenue Retention": {"company": company(), "periodicity": "Monthly"},
		"MRR Movements": {"company": company()},
		"Churned Customer Audit": {"company": company()},
		"Renewal Rate": {"company": company(), "upcoming_days": 30},
		"Health Trend": {},
		"Survey Score Trend": {},
		"Score Validation": {"horizon": 90},
		"Play Effectiveness": {},
	}


class TestRangeCaps(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")

	def test_calendar_months(self):
		self.assertEqual(calendar_months(getdate("2025-01-31"), getdate("2025-02-01")), 2)
		self.assertEqual(calendar_months(getdate("2016-01-01"), getdate("2025-12-31")), 120)
		self.assertEqual(calendar_months(getdate("2016-01-01"), getdate("2026-01-01")), 121)
		self.assertEqual(calendar_months(getdate("2025-02-01"), getdate("2025-01-31")), 0)
		self.assertEqual(MAX_REPORT_MONTHS, 120)

	def test_too_long_a_range_is_refused_by_every_period_report(self):
		for report, filters in period_reports().items():
			with self.assertRaises(ReportRangeError, msg=report):
				run(report, **filters, **TOO_LONG)
		# 1850 to today, as in the issue.
		with self.assertRaises(ReportRangeError):
			run("Retention and Churn", periodicity="Monthly", from_date="1850-01-01", to_date=today())

	def test_the_longest_range_is_taken(self):
		for report, filters in period_reports().items():
			run(report, **filters, **LONGEST)  # no error
		# Monthly over the cap's 120 months: one row a month; quarterly: 120 / 3 = 40 rows.
		self.assertEqual(len(run("Retention and Churn", periodicity="Monthly", **LONGEST).data), 120)
		self.assertEqual(len(run("MRR Movements", company=company(), **LONGEST).data), 120)
		quarterly = run("Revenue Retention", company=company(), periodicity="Quarterly", **LONGEST)
		self.assertEqual(len(quarterly.data), 40)

	def test_customer_lifetime_value_counts_up_to_today(self):
		# Its range ends today at the latest: from the first of the month 119 months back, 120 months; from
		# the day before, 121.
		start = get_first_day(today())
		longest = {
			"from_date": add_months(start, -(MAX_REPORT_MONTHS - 1)),
			"to_date": add_days(today(), 400),
		}
		run("Customer Lifetime Value", company=company(), **longest)
		with self.assertRaises(ReportRangeError):
			run(
				"Customer Lifetime Value",
				company=company(),
				**{**longest, "from_date": add_days(longest["from_date"], -1)},
			)

	def test_cohort_retention_takes_at_most_36_cohorts(self):
		self.assertEqual(MAX_COHORTS, 36)
		filters = {"company": company(), "months": 12}
		# 2023-01 to 2025-12: 36 acquisition months, one row each, and the All Cohorts row: 37.
		report = run("Cohort Retention", from_date="2023-01-01", to_date="2025-12-31", **filters)
		self.assertEqual(len(report.data), 37)
		with self.assertRaises(ReportRangeError):
			run("Cohort Retention", from_date="2023-01-01", to_date="2026-01-01", **filters)

	def test_the_message_says_what_to_do(self):
		with self.assertRaises(ReportRangeError) as caught:
			run("Retention and Churn", periodicity="Monthly", **TOO_LONG)
		self.assertIn("121", str(caught.exception))
		self.assertIn("120", str(caught.exception))


def our_reports() -> dict[str, dict]:
	"""name -> report JSON, for every report the app ships."""
	folder = frappe.get_app_path("cs_success", "cs_success", "report")
	reports = {}
	for path in glob.glob(os.path.join(folder, "*", "*.json")):
		with open(path) as f:
			doc = json.load(f)
		if doc.get("doctype") == "Report":
			reports[doc["name"]] = doc
	return reports


class TestNeverPreparedForEveryone(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")

	def test_every_report_is_interactive_and_guarded(self):
		reports = our_reports()
		# with Churn Risk and Revenue Forecast (issue 22), Expansion Opportunities and Advocacy (issue 23)
		self.assertEqual(len(reports), 20)
		for name, doc in reports.items():
			self.assertEqual(doc["report_type"], "Script Report", name)
			self.assertFalse(doc.get("prepared_report"), name)
			self.assertFalse(frappe.db.get_value("Report", name, "prepared_report"), name)
			module = frappe.scrub(name).replace("-", "_")
			execute = frappe.get_attr(f"cs_success.cs_success.report.{module}.{module}.execute")
			# The guard names the report Frappe's switch names: a typo would cancel nothing.
			self.assertEqual(getattr(execute, "cs_interactive_report", None), name)

	def test_frappe_switch_is_cancelled_by_our_run(self):
		"""Through Frappe's own Report.execute_script_report: the timer it starts to set `prepared_report`
		after 15 s is cancelled from our code while the report runs, not only by Frappe when it returns."""
		original = threading.Timer.cancel
		cancels = []

		def recording_cancel(timer):
			if getattr(timer.function, "__name__", "") == "enable_prepared_report":
				ours = any(
					frame.filename.endswith("cs_success/analytics.py") for frame in traceback.extract_stack()
				)
				cancels.append((timer.kwargs["report"], ours))
			original(timer)

		filters = {
			"Retention and Churn": {"from_date": "2025-01-01", "to_date": "2025-03-31"},
			"MRR Movements": {"company": company(), "from_date": "2025-01-01", "to_date": "2025-03-31"},
			"Cohort Retention": {"company": company(), "from_date": "2025-01-01", "to_date": "2025-03-31"},
		}
		with patch.object(threading.Timer, "cancel", recording_cancel):
			for name, report_filters in filters.items():
				frappe.get_doc("Report", name).execute_script_report(report_filters)
		for name in filters:
			self.assertIn((name, True), cancels, name)
		self.assertFalse(frappe.db.get_value("Report", "Retention and Churn", "prepared_report"))
