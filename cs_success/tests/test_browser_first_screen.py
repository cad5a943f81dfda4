"""Browser: a CS Manager who may read Sales Invoices opens the Customer Success workspace and reads MRR, ARR
and last quarter's NRR beside average health; the band donut has a legend entry inside the chart for each
of its six bands; Revenue Retention's summary and table show "68.57%", not "68.571%"."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import fmt_money
from frappe.utils.password import update_password

from cs_success.analytics import BANDS
from cs_success.api.dashboard import last_full_quarter
from cs_success.tests.browser import browser_page, live_server, screenshot
from cs_success.tests.test_first_screen import PLANTED_ARR_NOW, PLANTED_MRR_NOW, plant_revenue, revenue_user
from cs_success.tests.utils import (
	company,
	delete_invoices,
	make_customer,
	make_customer_group,
	make_survey_response,
	make_user,
	reset_health_queue,
	run_pending_recomputes,
)

PASSWORD = "Cs-First-Screen-Passw0rd!"
# One planted customer per band the donut draws besides the ones the ledger gives: every slice exists.
PLANTED_BANDS = ("Healthy", "At Risk", "Critical", "Insufficient Data", "Churned")


class TestFirstScreenInBrowser(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		reset_health_queue()
		cls.group = make_customer_group("First Screen Browser")
		cls.customers, cls.invoices = plant_revenue(cls.group)
		run_pending_recomputes()  # builds the ledger and scores the customers
		for customer, band in zip(cls.customers, PLANTED_BANDS, strict=True):
			frappe.db.set_value("Customer Health", customer, {"band": band, "score": 60})
		cls.manager = revenue_user(cls.group, "Accounts User")  # sees only the planted customers
		update_password(cls.manager, PASSWORD)
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		frappe.set_user("Administrator")
		delete_invoices(cls.invoices)
		for customer in cls.customers:
			frappe.delete_doc("Customer", customer, force=True, ignore_permissions=True)
		frappe.delete_doc("User", cls.manager, force=True, ignore_permissions=True)
		frappe.delete_doc("Customer Group", cls.group, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDownClass()

	def card(self, page, label: str):
		return page.locator(".number-widget-box", has_text=label.upper()).first

	def test_manager_reads_revenue_beside_health_and_a_labelled_band_donut(self):
		currency = frappe.get_cached_value("Company", company(), "default_currency")
		with live_server() as base_url, browser_page(base_url, self.manager, PASSWORD) as page:
			page.goto("/app/customer-success")
			page.locator(".number-widget-box").first.wait_for(timeout=30000)
			self.assertEqual(
				page.locator(".number-widget-box").count(), 13
			)  # revenue, health, surveys, growth
			expected = {
				"MRR Now": fmt_money(PLANTED_MRR_NOW, currency=currency),
				"ARR Now": fmt_money(PLANTED_ARR_NOW, currency=currency),
				"NRR Last Quarter": "68.57%",
			}
			for label, text in expected.items():
				number = self.card(page, label).locator(".number")
				number.filter(has_text=text).wait_for(timeout=30000)
			# Four planted customers are At Risk or worse by band: a count, in the card's neutral colour.
			at_risk = self.card(page, "Customers at Risk").locator(".number")
			at_risk.filter(has_text="2").wait_for(timeout=30000)
			self.assertFalse(at_risk.get_attribute("style"))

			donut = page.locator(".widget", has_text="Customers by Health Band").first
			svg = donut.locator("svg.frappe-chart").first
			svg.wait_for(timeout=30000)
			page.wait_for_timeout(1500)  # the slices animate in
			labels = donut.locator(".chart-legend .legend-dataset-label")
			# SVG text has no innerText: its text content.
			self.assertEqual([labels.nth(i).text_content() for i in range(labels.count())], list(BANDS))
			# Every legend entry lies inside the drawn chart (a second legend row would be cut off).
			box = svg.bounding_box()
			for index in range(labels.count()):
				label = labels.nth(index).bounding_box()
				self.assertLessEqual(label["y"] + label["height"], box["y"] + box["height"], BANDS[index])
			screenshot(page, "first_screen_workspace")

			start, end = last_full_quarter()
			page.goto(
				f"/app/query-report/Revenue Retention?company={company()}&from_date={start}&to_date={end}"
				f"&periodicity=Quarterly&customer_group={self.group}"
			)
			report = page.locator('.page-container[data-page-route="query-report"]:visible')
			report.locator(".report-summary .summary-item").first.wait_for(timeout=30000)
			text = report.locator(".report-summary").inner_text()
			self.assertIn("68.57%", text)  # NRR, as the card shows it
			self.assertIn("60.00%", text)  # GRR
			self.assertNotIn("68.571%", text)
			report.locator(".dt-scrollable .dt-row").first.wait_for(timeout=30000)
			table = report.locator(".dt-scrollable").inner_text()
			self.assertIn("68.57%", table)  # and the table's NRR column alike
			self.assertNotIn("68.571%", table)
			screenshot(page, "first_screen_revenue_retention")


class TestEmptyFigureInBrowser(FrappeTestCase):
	"""A segment whose only survey answer is one NPS of 10: Survey Score Trend shows NPS 100 and leaves
	CSAT % and CES Mean empty (nobody answered those), not "0%" and "0"."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		cls.group = make_customer_group("Only NPS")
		cls.customer = make_customer("Only NPS", customer_group=cls.group)
		make_survey_response(cls.customer, "NPS", 10)
		cls.manager = make_user("CS Manager")  # alone: install lets it pick a Customer Group
		update_password(cls.manager, PASSWORD)
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		frappe.set_user("Administrator")
		frappe.db.delete("Survey Response", {"customer": cls.customer})
		frappe.delete_doc("Customer", cls.customer, force=True, ignore_permissions=True)
		frappe.delete_doc("User", cls.manager, force=True, ignore_permissions=True)
		frappe.delete_doc("Customer Group", cls.group, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDownClass()

	def test_unanswered_kinds_show_no_figure(self):
		with live_server() as base_url, browser_page(base_url, self.manager, PASSWORD) as page:
			page.goto(f"/app/query-report/Survey Score Trend?customer_group={self.group}")
			report = page.locator('.page-container[data-page-route="query-report"]:visible')
			items = report.locator(".report-summary .summary-item")
			items.nth(2).wait_for(timeout=30000)
			values = [items.nth(i).locator(".summary-value").inner_text().strip() for i in range(3)]
			# One promoter out of one answer: NPS = 100 % promoters - 0 % detractors = 100.
			self.assertEqual(values, ["100", "", ""])
			# The table at the summary's decimals: "100.0", not the site's three ("100.000").
			report.locator(".dt-scrollable .dt-row").first.wait_for(timeout=30000)
			table = report.locator(".dt-scrollable").inner_text()
			self.assertIn("100.0", table)
			self.assertNotIn("100.000", table)
			screenshot(page, "survey_trend_only_nps")
