"""Tier 2: every report figure against small hand-made data sets with known answers."""

import json
import re

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, getdate, now_datetime, today

from cs_success.surveys.delivery import run_campaign
from cs_success.tests.utils import (
	company,
	ensure_outgoing_email_account,
	invitation_email_html,
	make_campaign,
	make_contact,
	make_contract,
	make_customer,
	make_customer_group,
	make_sales_invoice,
	make_subscription,
	make_user,
	reset_health_queue,
	run_pending_recomputes,
)


def run_report(name: str, **filters):
	run_pending_recomputes()  # what a commit does: the drain rebuilds changed customers' ledgers
	module = frappe.scrub(name).replace("-", "_")
	execute = frappe.get_attr(f"cs_success.cs_success.report.{module}.{module}.execute")
	_columns, data, message, chart, summary = execute(frappe._dict(filters))
	return data, {item["label"]: item["value"] for item in summary}, chart, message


def submit_answer(invitation: str, answers: dict):
	from frappe.website.doctype.web_form.web_form import accept

	token = re.search(r"token=([A-Za-z0-9_-]{43})", invitation_email_html(invitation)).group(1)
	accept("survey", json.dumps({"token": token, "answers_json": json.dumps(answers)}))
	frappe.set_user("Administrator")


def period_figures(summary: dict) -> tuple:
	"""S, N, lost and E from a retention report's summary."""
	return (
		summary["Customers at Start"],
		summary["Acquired"],
		summary["Lost"],
		summary["Customers at End"],
	)


class ReportTestCase(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()

	def customers(self, group, count, label="C"):
		return [make_customer(f"{label}{i}", customer_group=group) for i in range(count)]


class TestRetentionAndChurn(ReportTestCase):
	def build(self, stay, lost, new, year):
		group = make_customer_group("Retention")
		for customer in self.customers(group, stay, "Stay"):
			make_contract(customer, f"{year - 1}-01-01", f"{year + 1}-12-31")
		for customer in self.customers(group, lost, "Lost"):
			make_contract(customer, f"{year - 1}-01-01", f"{year}-06-30")
		for customer in self.customers(group, new, "New"):
			make_contract(customer, f"{year}-03-01", f"{year + 1}-12-31")
		return group

	def test_worked_example_one(self):
		group = self.build(stay=19, lost=1, new=5, year=2025)
		data, summary, _chart, message = run_report(
			"Retention and Churn", from_date="2025-01-01", to_date="2025-12-31", periodicity="Yearly",
			customer_group=group, active_definition="An Active Subscription or Contract",
		)  # fmt: skip
		self.assertEqual(
			period_figures(summary),
			(20, 5, 1, 24),
		)
		self.assertAlmostEqual(summary["Retention %"], 95)
		self.assertAlmostEqual(summary["Churn %"], 5)
		self.assertEqual(len(data), 1)
		self.assertIn("recurring revenue or a signed agreement", message)

	def test_worked_example_two_and_quarters(self):
		group = self.build(stay=31, lost=13, new=12, year=2023)
		data, summary, chart, _message = run_report(
			"Retention and Churn", from_date="2023-01-01", to_date="2023-12-31", periodicity="Quarterly",
			customer_group=group, active_definition="An Active Subscription or Contract",
		)  # fmt: skip
		self.assertEqual(
			period_figures(summary),
			(44, 12, 13, 43),
		)
		self.assertAlmostEqual(summary["Retention %"], 70.45, places=2)
		self.assertAlmostEqual(summary["Churn %"], 29.55, places=2)
		self.assertEqual(len(data), 4)
		q1, q2, q3 = data[0], data[1], data[2]
		self.assertEqual(
			(q1["start_customers"], q1["acquired"], q1["lost"], q1["end_customers"]), (44, 12, 0, 56)
		)
		self.assertEqual((q2["lost"], q3["lost"], q3["end_customers"]), (0, 13, 43))
		self.assertEqual(len(chart["data"]["labels"]), 4)

	def test_cancelled_subscription_is_lost_on_its_cancellation_day(self):
		group = make_customer_group("Subscriptions")
		kept, cancelled, monthly = self.customers(group, 3, "Sub")
		make_subscription(kept, start_date="2024-01-01")
		make_subscription(monthly, start_date="2024-01-01")
		gone = make_subscription(cancelled, start_date="2024-01-01")
		# Cancelled on Aug 15: still active on Aug 14, not on Aug 15 or after.
		frappe.db.set_value(
			"Subscription", gone.name, {"cancelation_date": "2024-08-15", "status": "Cancelled"}
		)
		data, summary, _chart, _message = run_report(
			"Retention and Churn", from_date="2024-07-01", to_date="2024-09-30", periodicity="Monthly",
			customer_group=group, active_definition="An Active Subscription or Contract",
		)  # fmt: skip
		self.assertEqual([row["lost"] for row in data], [0, 1, 0])
		self.assertEqual([row["end_customers"] for row in data], [3, 2, 2])
		self.assertEqual((summary["Customers at Start"], summary["Lost"]), (3, 1))
		self.assertAlmostEqual(summary["Churn %"], 100 / 3, places=2)


class TestRenewalAndRevenue(ReportTestCase):
	def test_revenue_needs_sales_invoice_permission_and_user_permissions_apply(self):
		group = make_customer_group("Revenue Perm")
		allowed, hidden = self.customers(group, 2, "RevPerm")
		for customer in (allowed, hidden):
			for posting_date in ("2026-06-01", "2026-07-01", "2026-08-01"):
				make_sales_invoice(customer, 100, posting_date=posting_date)
		filters = {
			"company": company(),
			"from_date": "2026-07-01",
			"to_date": "2026-07-31",
			"periodicity": "Monthly",
			"customer_group": group,
		}

		frappe.set_user(make_user("CS Agent"))  # may read health reports, not Sales Invoices
		for report in ("Revenue Retention", "Customer Lifetime Value"):
			with self.subTest(report=report), self.assertRaises(frappe.PermissionError):
				run_report(report, **filters)

		frappe.set_user("Administrator")
		restricted = make_user("CS Agent", "Accounts User")
		frappe.get_doc(
			{"doctype": "User Permission", "user": restricted, "allow": "Customer", "for_value": allowed}
		).insert(ignore_permissions=True)
		frappe.set_user(restricted)
		data, _summary, _chart, _message = run_report("Revenue Retention", **filters)
		# Only the allowed customer's 100 MRR on June 30, not 200.
		self.assertEqual(data[0]["start_mrr"], 100)
		frappe.set_user("Administrator")


class TestHealthReports(ReportTestCase):
	def scored_group(self):
		group = make_customer_group("Health")
		customers = self.customers(group, 6, "Health")
		run_pending_recomputes()
		for customer, score, band in zip(
			customers,
			(90, 60, 30, 0, 95, 20),
			("Healthy", "At Risk", "Critical", "No Data", "Insufficient Data", "Churned"),
			strict=True,
		):
			frappe.db.set_value(
				"Customer Health", customer, {"score": score, "band": band, "has_trend": 1, "trend_delta": -5}
			)
		return group, customers

	def test_overview(self):
		group, _customers = self.scored_group()
		data, summary, chart, _message = run_report(
			"Customer Health Overview", customer_group=group, group_by="Customer Group"
		)
		# The average is over the customers a band is claimed for: (90 + 60 + 30) / 3 = 60; the 95 on
		# too little data and the 20 of a customer who left are counted in their bands, not averaged.
		self.assertEqual(summary["Average Score"], 60)
		self.assertEqual(
			[
				summary[band]
				for band in ("Healthy", "At Risk", "Critical", "Insufficient Data", "Churned", "No Data")
			],
			[1, 1, 1, 1, 1, 1],
		)
		(row,) = data
		self.assertEqual((row["segment"], row["customers"], row["average_score"]), (group, 6, 60))
		self.assertEqual(chart["data"]["datasets"][0]["values"], [1, 1, 1, 1, 1, 1])

	def test_at_risk_customers(self):
		group, customers = self.scored_group()
		make_contract(customers[1], add_days(today(), -100), add_days(today(), 40))
		run_pending_recomputes()  # the commit's drain; then the planted score again
		frappe.db.set_value("Customer Health", customers[1], {"score": 60, "band": "At Risk"})
		data, summary, _chart, _message = run_report("At-Risk Customers", customer_group=group)
		self.assertEqual([row["customer"] for row in data], [customers[2], customers[1]])  # worst first
		self.assertEqual((summary["At Risk"], summary["Critical"], summary["Average Score"]), (1, 1, 45))
		self.assertEqual(data[1]["next_renewal"], getdate(add_days(today(), 40)))
		self.assertEqual(data[0]["trend_delta"], -5)
		self.assertTrue(data[0]["worst_measure"])

	def test_health_trend(self):
		group, customers = self.scored_group()
		frappe.db.delete("Customer Health Snapshot", {"customer": ("in", customers)})
		for day, scores in ((add_days(today(), -2), (80, 40)), (add_days(today(), -1), (90, 60))):
			for customer, score in zip(customers[:2], scores, strict=True):
				frappe.get_doc(
					{"doctype": "Customer Health Snapshot", "customer": customer, "snapshot_date": day, "kind": "Daily",
					 "score": score, "band": "Healthy" if score >= 75 else "At Risk" if score >= 50 else "Critical"}
				).insert(ignore_permissions=True)  # fmt: skip
		data, summary, chart, _message = run_report(
			"Health Trend", from_date=add_days(today(), -7), to_date=today(), customer_group=group
		)
		self.assertEqual([row.average_score for row in data], [60, 75])
		self.assertEqual([(row.healthy, row.at_risk, row.critical) for row in data], [(1, 0, 1), (1, 1, 0)])
		self.assertEqual((summary["Average Score at Start"], summary["Average Score at End"]), (60, 75))
		self.assertEqual(len(chart["data"]["labels"]), 2)


class TestSurveyAndEngagementReports(ReportTestCase):
	def test_survey_trend_and_campaign_performance(self):
		ensure_outgoing_email_account()
		group = make_customer_group("Survey Report")
		customers = self.customers(group, 4, "SR")
		for customer in customers:
			make_contact(customer)
		campaign = make_campaign(customer_group=group)
		run_campaign(campaign.name)
		invitations = frappe.get_all("Survey Invitation", filters={"campaign": campaign.name}, pluck="name")
		for invitation, score in zip(invitations[:3], (10, 9, 2), strict=True):
			submit_answer(invitation, {"1": score})
		data, summary, _chart, _message = run_report(
			"Survey Score Trend", from_date=add_days(today(), -1), to_date=today(), customer_group=group
		)
		self.assertEqual(len(data), 1)
		self.assertEqual(data[0]["nps_responses"], 3)
		self.assertAlmostEqual(summary["NPS"], round(100 * (2 - 1) / 3, 1))
		perf, _summary, _chart, _message = run_report("Survey Campaign Performance")
		row = next(r for r in perf if r["campaign"] == campaign.name)
		self.assertEqual((row["invited"], row["answered"], row["response_rate"]), (4, 3, 75))
		self.assertAlmostEqual(row["nps"], 100 / 3)

	def test_touchpoint_coverage(self):
		from cs_success.api.touchpoint import log_touchpoint

		group = make_customer_group("Coverage")
		recent, old, never = self.customers(group, 3, "Cov")
		log_touchpoint(recent, "Call", "Recent call", touchpoint_date=str(add_days(now_datetime(), -5)))
		log_touchpoint(old, "Call", "Old call", touchpoint_date=str(add_days(now_datetime(), -40)))
		data, summary, _chart, _message = run_report("Touchpoint Coverage", customer_group=group, days=30)
		self.assertEqual([row.customer for row in data], [never, old])
		self.assertEqual(data[1].days_since, 40)
		self.assertAlmostEqual(summary["Coverage %"], 33.3)

	def test_success_plan_progress(self):
		group = make_customer_group("Plans")
		first, second = self.customers(group, 2, "Plan")
		for customer, done in ((first, 1), (second, 3)):
			frappe.get_doc(
				{"doctype": "Success Plan", "plan_title": f"Plan {done}", "customer": customer, "start_date": today(),
				 "tasks": [{"task": f"T{i}", "status": "Done" if i < done else "Open", "due_date": add_days(today(), -1)} for i in range(4)]}
			).insert()  # fmt: skip
		data, summary, _chart, _message = run_report(
			"Success Plan Progress", customer_group=group, status="Active"
		)
		self.assertEqual([row.progress for row in data], [25, 75])
		self.assertEqual(
			(summary["Plans"], summary["Average Progress"], summary["Overdue Items"]), (2, 50, 3 + 1)
		)
