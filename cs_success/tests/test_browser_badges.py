"""Browser: an agent sees the health badge on an Issue; a manager opens the workspace and two reports."""

import math

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_months, get_first_day, getdate, today
from frappe.utils.password import update_password

from cs_success.tests.browser import browser_page, live_server, realtime_server, screenshot
from cs_success.tests.utils import (
	delete_invoices,
	make_customer,
	make_issue,
	make_sales_invoice,
	make_user,
	run_pending_recomputes,
)

PASSWORD = "Cs-Badge-Passw0rd!"


def shown(score: float) -> int:
	"""The score as the badge shows it: JavaScript's Math.round takes halves up (58.5 -> 59), where
	Python's round takes them to even (58)."""
	return math.floor(score + 0.5)


class TestBadgesAndReportsInBrowser(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.agent = make_user("Support Team", "CS Agent")
		cls.manager = make_user("CS Manager")
		for user in (cls.agent, cls.manager):
			update_password(user, PASSWORD)
		cls.customer = make_customer("Browser Badge")
		cls.issues = [make_issue(cls.customer).name for _ in range(4)]
		# A year of monthly invoices: the retention report has customers to count and a chart to draw.
		start = get_first_day(add_months(getdate(today()), -13))
		cls.invoices = [
			make_sales_invoice(cls.customer, 100, posting_date=add_months(start, month)).name
			for month in range(14)
		]
		# The drain (touchpoints, then the recompute) before the commit the web server reads.
		run_pending_recomputes()
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		frappe.set_user("Administrator")
		frappe.db.delete("Issue", {"name": ("in", cls.issues)})
		delete_invoices(cls.invoices)
		frappe.delete_doc("Customer", cls.customer, force=True, ignore_permissions=True)
		for user in (cls.agent, cls.manager):
			frappe.delete_doc("User", user, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDownClass()

	def test_agent_sees_badge_on_issue(self):
		health = frappe.get_doc("Customer Health", self.customer)
		with live_server() as base_url, browser_page(base_url, self.agent, PASSWORD) as page:
			page.goto(f"/app/issue/{self.issues[0]}")
			badge = page.locator(".cs-health-badge")
			badge.wait_for(timeout=30000)
			self.assertEqual(badge.get_attribute("data-band"), health.band)
			self.assertIn(f"Health {shown(health.score)} ", page.locator(".cs-health-pill").inner_text())
			self.assertIn("Open Tickets", page.locator(".cs-health-reasons").inner_text())
			screenshot(page, "issue_health_badge")

			page.goto("/app/issue?cs_health_band=" + health.band.replace(" ", "%20"))
			rows = page.locator(".list-row-container")
			rows.nth(3).wait_for(timeout=30000)  # the customer's four tickets, filtered by band
			self.assertGreaterEqual(rows.count(), 4)
			screenshot(page, "issue_list_band")

	def test_badge_refreshes_live_when_the_score_changes(self):
		"""Event-driven freshness end to end: tickets saved elsewhere move the score, and the badge on
		an open form follows through socket.io without a reload."""
		before = frappe.get_doc("Customer Health", self.customer)
		with (
			realtime_server(),
			live_server(realtime=True) as base_url,
			browser_page(base_url, self.agent, PASSWORD) as page,
		):
			page.goto(f"/app/issue/{self.issues[0]}")
			page.locator(".cs-health-pill", has_text=f"Health {shown(before.score)} ").wait_for(timeout=30000)
			page.wait_for_function(
				"() => frappe.realtime.socket && frappe.realtime.socket.connected", timeout=30000
			)

			self.issues += [make_issue(self.customer).name for _ in range(4)]
			run_pending_recomputes()
			frappe.db.commit()  # the recompute's realtime message goes out on commit
			after = frappe.get_doc("Customer Health", self.customer)
			self.assertLess(after.score, before.score)

			page.locator(".cs-health-pill", has_text=f"Health {shown(after.score)} ").wait_for(timeout=30000)
			self.assertEqual(page.locator(".cs-health-badge").count(), 1)  # replaced, not stacked
			self.assertEqual(page.locator(".cs-health-badge").get_attribute("data-band"), after.band)
			screenshot(page, "issue_health_badge_live")

	def test_manager_opens_workspace_and_reports_with_charts(self):
		with live_server() as base_url, browser_page(base_url, self.manager, PASSWORD) as page:
			page.goto("/app/customer-success")
			page.locator(".number-widget-box").first.wait_for(timeout=30000)
			self.assertEqual(
				page.locator(".number-widget-box").count(), 13
			)  # revenue, health, surveys, growth
			page.locator(".widget .frappe-chart").first.wait_for(timeout=30000)
			screenshot(page, "workspace")

			for report in ("Customer Health Overview", "Retention and Churn"):
				page.goto(f"/app/query-report/{report}")
				# Desk keeps earlier views in the DOM, hidden: look inside the visible report view only.
				current = page.locator('.page-container[data-page-route="query-report"]:visible')
				current.locator(".title-text", has_text=report).first.wait_for(timeout=30000)
				current.locator(".chart-wrapper .frappe-chart").first.wait_for(timeout=30000)
				current.locator(".dt-scrollable .dt-row").first.wait_for(timeout=30000)
				self.assertGreater(current.locator(".report-summary .summary-item").count(), 0)
				screenshot(page, frappe.scrub(report))
