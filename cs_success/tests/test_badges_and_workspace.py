"""Tier 2: health badges for agents, the ticket list band, realtime updates, workspace and cards."""

import json
from unittest.mock import patch

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, today

from cs_success.api.dashboard import (
	average_customer_health,
	csat_last_90_days,
	customers_at_risk,
	health_data_coverage,
	nps_last_90_days,
	renewals_due_in_30_days,
)
from cs_success.api.health import get_health_for_document
from cs_success.health.recompute import recompute_customers
from cs_success.tests.utils import (
	make_contract,
	make_customer,
	make_issue,
	make_user,
	reset_health_queue,
	run_pending_recomputes,
)


class TestBadges(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()

	def tearDown(self):
		frappe.set_user("Administrator")

	def test_agent_sees_the_customer_health_on_an_issue(self):
		customer = make_customer("Badge")
		for _ in range(3):
			issue = make_issue(customer)
		run_pending_recomputes()
		frappe.set_user(make_user("Support Team", "CS Agent"))  # reads tickets and Customer Health
		badge = get_health_for_document("Issue", issue.name)
		frappe.set_user("Administrator")
		health = frappe.get_doc("Customer Health", customer)
		self.assertEqual(
			(badge["customer"], badge["score"], badge["band"]), (customer, health.score, health.band)
		)
		self.assertEqual(len(badge["measures"]), 3)
		self.assertEqual(badge["measures"][0]["label"], "Open Tickets")  # three open tickets: the weakest
		self.assertLessEqual(badge["measures"][0]["score"], badge["measures"][1]["score"])

	def test_badge_needs_read_permission_on_the_document(self):
		customer = make_customer("BadgePerm")
		issue = make_issue(customer)
		frappe.set_user(make_user("CS Agent"))  # may read health, not tickets
		with self.assertRaises(frappe.PermissionError):
			get_health_for_document("Issue", issue.name)
		with self.assertRaises(frappe.ValidationError):
			get_health_for_document("User", "Administrator")

	def test_reading_the_ticket_is_not_enough_to_see_health(self):
		customer = make_customer("BadgeNoHealth")
		for _ in range(3):
			issue = make_issue(customer)
		run_pending_recomputes()
		frappe.set_user(make_user("Support Team"))  # reads tickets, has no Customer Health role
		self.assertEqual(get_health_for_document("Issue", issue.name), {})
		frappe.set_user(make_user(""))  # no desk access at all
		self.assertEqual(get_health_for_document("Issue", issue.name), {})

	def test_ticket_list_band_follows_the_customer(self):
		customer = make_customer("Band")
		run_pending_recomputes()
		first = make_issue(customer)
		self.assertEqual(first.cs_health_band, frappe.db.get_value("Customer Health", customer, "band"))
		for _ in range(5):
			make_issue(customer)
		run_pending_recomputes()
		band = frappe.db.get_value("Customer Health", customer, "band")
		self.assertNotEqual(band, "Healthy")
		self.assertEqual(frappe.db.get_value("Issue", first.name, "cs_health_band"), band)
		at_risk = frappe.get_all(
			"Issue", filters={"cs_health_band": band, "customer": customer}, pluck="name"
		)
		self.assertEqual(len(at_risk), 6)

	def test_recompute_publishes_realtime_for_open_forms(self):
		customer = make_customer("Realtime")
		run_pending_recomputes()
		with patch("frappe.publish_realtime") as publish:
			make_issue(customer)
			run_pending_recomputes()
		calls = [c for c in publish.call_args_list if c.args and c.args[0] == "cs_success_health"]
		self.assertEqual(len(calls), 1)
		payload = calls[0].args[1]
		health = frappe.get_doc("Customer Health", customer)
		self.assertEqual(payload, {"customer": customer, "score": health.score, "band": health.band})
		with patch("frappe.publish_realtime") as publish:
			recompute_customers(None)  # the daily run does not broadcast
		self.assertFalse([c for c in publish.call_args_list if c.args and c.args[0] == "cs_success_health"])


class TestWorkspace(FrappeTestCase):
	def test_workspace_links_every_doctype_and_report(self):
		workspace = frappe.get_doc("Workspace", "Customer Success")
		self.assertEqual({r.role for r in workspace.roles}, {"CS Manager", "CS Agent", "System Manager"})
		linked = {link.link_to for link in workspace.links if link.type == "Link"}
		doctypes = set(
			frappe.get_all("DocType", filters={"module": "CS Success", "istable": 0}, pluck="name")
		) - {"CS Demo Record"}  # the demo command's own bookkeeping, not for people
		reports = set(frappe.get_all("Report", filters={"module": "CS Success"}, pluck="name"))
		self.assertLessEqual({"MRR Movements", "Cohort Retention", "Revenue Retention"}, reports)
		self.assertLessEqual(doctypes | reports, linked)
		cards = {c.number_card_name for c in workspace.number_cards}
		self.assertEqual(
			cards,
			{
				"MRR Now",
				"ARR Now",
				"NRR Last Quarter",
				"Average Customer Health",
				"Customers at Risk",
				"NPS Last 90 Days",
				"CSAT Last 90 Days",
				"Renewals Due in 30 Days",
				"Health Data Coverage",
				"NPS vs Benchmark Last 90 Days",  # issue 23: growth beside risk
				"Open Expansion Pipeline",
				"CS-Sourced Expansion This Quarter",
				"Referred MRR",
			},
		)
		blocks = json.loads(workspace.content)
		self.assertEqual({b["data"]["number_card_name"] for b in blocks if b["type"] == "number_card"}, cards)

	def test_band_chart_colours_follow_the_bands(self):
		"""The workspace donut reads the overview report's chart, in band order; its colours are the
		bands' own (only Healthy green), kept in the chart's options."""
		from cs_success.analytics import BAND_CHART_COLORS, BANDS

		chart = frappe.get_doc("Dashboard Chart", "Customers by Health Band")
		self.assertEqual((chart.chart_type, chart.report_name), ("Report", "Customer Health Overview"))
		self.assertEqual(json.loads(chart.custom_options)["colors"], [BAND_CHART_COLORS[b] for b in BANDS])
		from cs_success.cs_success.report.health_trend.health_trend import HEALTH_TREND_COLORS

		trend = frappe.get_doc("Dashboard Chart", "Average Health Score Trend")
		self.assertEqual(json.loads(trend.custom_options)["colors"], HEALTH_TREND_COLORS)

	def test_number_cards_compute(self):

		customer = make_customer("Card")
		make_contract(customer, add_days(today(), -300), add_days(today(), 20))
		run_pending_recomputes()  # the drain builds the ledger
		before = renewals_due_in_30_days()["value"]
		make_contract(make_customer("Card2"), add_days(today(), -300), add_days(today(), 29))
		make_contract(make_customer("Card3"), add_days(today(), -300), add_days(today(), 29), signed=False)
		run_pending_recomputes()
		self.assertEqual(renewals_due_in_30_days()["value"], before + 1)  # the unsigned one never counts

		self.assertEqual(
			customers_at_risk()["value"],
			frappe.db.count("Customer Health", {"band": ("in", ["At Risk", "Critical"])}),
		)

	def test_cards_without_data_show_a_dash_not_zero(self):
		# No survey answers in 90 days: "-", not "0.000 %" (nothing else on a test site answers CSAT
		# within the transaction, which is rolled back).
		frappe.db.delete("Survey Response", {"headline_type": "CSAT"})
		self.assertEqual(csat_last_90_days(), "-")
		frappe.db.delete("Survey Response", {"headline_type": "NPS"})
		self.assertEqual(nps_last_90_days(), "-")
		frappe.db.delete("Customer Health")
		self.assertEqual(customers_at_risk(), "-")
		self.assertEqual(average_customer_health(), "-")
		self.assertEqual(health_data_coverage(), "-")

	def test_coverage_card_and_average_leave_out_what_claims_no_band(self):
		frappe.db.delete("Customer Health")
		customers = [make_customer("Coverage") for _ in range(4)]
		run_pending_recomputes()
		for customer, (score, band, coverage) in zip(
			customers,
			((80, "Healthy", 90), (40, "Critical", 60), (95, "Insufficient Data", 30), (10, "Churned", 70)),
			strict=True,
		):
			frappe.db.set_value(
				"Customer Health", customer, {"score": score, "band": band, "data_coverage": coverage}
			)
		# Average health over the banded customers: (80 + 40) / 2 = 60. Coverage over everyone scored
		# and still a customer: (90 + 60 + 30) / 3 = 60 %; the churned customer's 70 is left out.
		self.assertEqual(average_customer_health()["value"], 60)
		self.assertEqual(health_data_coverage()["value"], 60)
