"""Tier 2: a disabled Customer leaves the number cards, the health reports and survey audiences
(issue 12). Its last Customer Health row stays (recompute skips it; it is history), so every figure is
asserted before and after disabling: the "before" proves the fixture reaches the surface at all.

Tables the figures add up are emptied inside the test transaction (rolled back at the end), as in
test_badges_and_workspace; nothing here commits."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, today

from cs_success.api.dashboard import (
	average_customer_health,
	csat_last_90_days,
	customers_at_risk,
	nps_last_90_days,
	renewals_due_in_30_days,
)
from cs_success.surveys.delivery import audience_customers, event_customers, ticket_recipient
from cs_success.tests.utils import (
	make_campaign,
	make_contact,
	make_customer,
	make_issue,
	make_sales_invoice,
	make_survey_response,
	reset_health_queue,
	run_pending_recomputes,
)


def disable(customer: str) -> None:
	doc = frappe.get_doc("Customer", customer)
	doc.disabled = 1
	doc.save(ignore_permissions=True)


def health_row(customer: str, score: float, band: str) -> None:
	group, territory = frappe.db.get_value("Customer", customer, ["customer_group", "territory"])
	frappe.get_doc(
		{
			"doctype": "Customer Health",
			"customer": customer,
			"customer_group": group,
			"territory": territory,
			"score": score,
			"band": band,
			"data_coverage": 100,
		}
	).db_insert()


def snapshot(customer: str, score: float, band: str) -> None:
	frappe.get_doc(
		{
			"doctype": "Customer Health Snapshot",
			"customer": customer,
			"snapshot_date": today(),
			"kind": "Daily",
			"score": score,
			"band": band,
			"data_coverage": 100,
		}
	).db_insert()


def renewal(customer: str, days: int) -> None:
	frappe.get_doc(
		{
			"doctype": "Agreement Renewal",
			"customer": customer,
			"agreement_type": "Contract",
			"agreement": f"_CS Test {frappe.generate_hash(length=6)}",
			"due_date": add_days(today(), days),
			"outcome": "Pending",
		}
	).db_insert()


class TestDisabledCustomersLeave(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()
		for doctype in (
			"Customer Health",
			"Customer Health Snapshot",
			"Survey Response",
			"Agreement Renewal",
		):
			frappe.db.delete(doctype)
		self.healthy = make_customer("Enabled Healthy")
		self.critical = make_customer("Enabled Critical")
		self.gone = make_customer("Disabled")
		health_row(self.healthy, 80, "Healthy")
		health_row(self.critical, 40, "Critical")
		health_row(self.gone, 30, "Critical")

	def test_number_cards(self):
		make_survey_response(self.healthy, "NPS", 10)
		make_survey_response(self.critical, "NPS", 9)
		make_survey_response(self.gone, "NPS", 0)
		make_survey_response(self.gone, "NPS", 0)
		make_survey_response(self.healthy, "CSAT", 5)
		make_survey_response(self.gone, "CSAT", 1)
		renewal(self.healthy, 10)
		renewal(self.gone, 10)

		def cards():
			return (
				average_customer_health()["value"],
				customers_at_risk()["value"],
				nps_last_90_days()["value"],
				csat_last_90_days()["value"],
				renewals_due_in_30_days()["value"],
			)

		# All three: average (80 + 40 + 30) / 3 = 50; at risk: 2 Critical; NPS: 2 promoters, 2
		# detractors of 4 = 0; CSAT: one 5, one 1 = 50 %; renewals: 2.
		self.assertEqual(cards(), (50, 2, 0, 50, 2))
		disable(self.gone)
		self.assertTrue(frappe.db.exists("Customer Health", self.gone))  # the row stays, as history
		# Without it: (80 + 40) / 2 = 60; 1 Critical; NPS 2 promoters of 2 = 100; CSAT 1 of 1 = 100 %;
		# 1 renewal.
		self.assertEqual(cards(), (60, 1, 100, 100, 1))

	def test_health_reports(self):
		from cs_success.cs_success.report.at_risk_customers.at_risk_customers import execute as at_risk
		from cs_success.cs_success.report.customer_health_overview.customer_health_overview import (
			execute as overview,
		)
		from cs_success.cs_success.report.health_trend.health_trend import execute as trend

		snapshot(self.healthy, 80, "Healthy")
		snapshot(self.gone, 30, "Critical")

		def figures():
			_c, rows, _m, _chart, summary = overview({})
			customers = sum(row["customers"] for row in rows)
			average = summary[0]["value"]
			_c, risky, *_ = at_risk({})
			_c, days, *_ = trend({"from_date": today(), "to_date": today()})
			(day,) = days
			return customers, average, [r["customer"] for r in risky], (day.customers, day.average_score)

		# Overview: 3 customers, average (80 + 40 + 30) / 3 = 50.0; at risk, lowest first: the disabled
		# one (30), then 40; trend today: 2 snapshots, (80 + 30) / 2 = 55.
		self.assertEqual(figures(), (3, 50.0, [self.gone, self.critical], (2, 55.0)))
		disable(self.gone)
		# 2 customers, (80 + 40) / 2 = 60.0; only the enabled Critical one; 1 snapshot of 80.
		self.assertEqual(figures(), (2, 60.0, [self.critical], (1, 80.0)))

	def test_survey_audiences(self):
		band = make_campaign(audience="Health Band", health_band="Critical")
		self.assertEqual(audience_customers(band, today()), sorted([self.critical, self.gone]))
		disable(self.gone)
		self.assertEqual(audience_customers(band, today()), [self.critical])

		group = frappe.db.get_value("Customer", self.gone, "customer_group")
		by_group = make_campaign(audience="Customer Group", customer_group=group)
		self.assertNotIn(self.gone, audience_customers(by_group, today()))
		self.assertIn(self.critical, audience_customers(by_group, today()))

	def test_event_and_post_ticket_audiences(self):
		onboarding = make_campaign(
			"Onboarding Check-in", purpose="Onboarding", audience="Event", days_after_first_invoice=30
		)
		stays, leaves = make_customer("Onboard Stays"), make_customer("Onboard Leaves")
		for customer in (stays, leaves):
			make_contact(customer)
			make_sales_invoice(customer, 100, posting_date=add_days(today(), -31))
		run_pending_recomputes()  # the drain builds their ledger: acquired 31 days ago
		ours = {stays, leaves}
		self.assertEqual(set(event_customers(onboarding, today())) & ours, ours)
		issue = make_issue(leaves, contact=make_contact(leaves))
		self.assertIsNotNone(ticket_recipient("Issue", issue.name))
		disable(leaves)
		self.assertEqual(set(event_customers(onboarding, today())) & ours, {stays})
		self.assertIsNone(ticket_recipient("Issue", issue.name))

	def test_exit_survey_still_reaches_a_customer_disabled_on_leaving(self):
		exit_campaign = make_campaign("Exit Survey", purpose="Exit", audience="Event")
		left = make_customer("Exit Left")
		make_contact(left)
		# Its last invoice covered it up to two days ago: the ledger says it churned yesterday.
		make_sales_invoice(
			left,
			100,
			posting_date=add_days(today(), -30),
			period=(add_days(today(), -30), add_days(today(), -2)),
		)
		run_pending_recomputes()
		self.assertIn(left, event_customers(exit_campaign, today()))
		disable(left)  # the usual thing to do with a customer who left
		self.assertIn(left, event_customers(exit_campaign, today()))
