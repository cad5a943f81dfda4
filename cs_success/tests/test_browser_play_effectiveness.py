"""Browser: a CS Manager opens Play Effectiveness over the planted runs of test_play_effectiveness (2017) and
sees the play's figures as the report computes them, the comparison beside them and the chart."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils.password import update_password

from cs_success.tests.browser import browser_page, live_server, screenshot
from cs_success.tests.test_play_effectiveness import PlantedScenario
from cs_success.tests.utils import make_user

PASSWORD = "Cs-Effect-Passw0rd!"


class TestPlayEffectivenessInBrowser(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		cls.manager = make_user("CS Manager")
		update_password(cls.manager, PASSWORD)
		# The planted runs, snapshots and churn events, committed for the web server to read. The plays are
		# paused: nothing else may enrol customers in them meanwhile.
		cls.planted = PlantedScenario("report")
		cls.planted.setUp()
		for play in (cls.planted.p, cls.planted.q):
			frappe.db.set_value("Play", play, "is_paused", 1)
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		frappe.set_user("Administrator")
		customers = tuple(cls.planted.c.values())
		plays = (cls.planted.p, cls.planted.q)
		frappe.db.delete("Play Run", {"play": ("in", plays)})
		frappe.db.delete("Customer Health Snapshot", {"customer": ("in", customers)})
		frappe.db.delete("Customer Lifecycle Event", {"customer": ("in", customers)})
		for play in plays:
			frappe.delete_doc("Play", play, force=True, ignore_permissions=True)
		for customer in customers:
			frappe.delete_doc("Customer", customer, force=True, ignore_permissions=True)
		frappe.delete_doc("User", cls.manager, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDownClass()

	def test_manager_sees_the_plays_figures_and_its_comparison(self):
		# What the report gives as of today (every window of the first half of 2017 has passed).
		_columns, rows, *_rest = self.planted.report(on=frappe.utils.getdate())
		expected = rows[self.planted.p]
		# By hand (test_play_effectiveness): 3 runs started, 2 closed, median (10.5 + 50.5) / 2 = 30.5 days.
		self.assertEqual((expected["runs_started"], expected["runs_closed"]), (3, 2))
		self.assertEqual(expected["median_days_to_close"], 30.5)
		route = "/app/query-report/Play Effectiveness?from_date=2017-01-01&to_date=2017-06-30"
		with live_server() as base_url, browser_page(base_url, self.manager, PASSWORD) as page:
			page.goto(route)
			current = page.locator('.page-container[data-page-route="query-report"]:visible')
			current.locator(".title-text", has_text="Play Effectiveness").first.wait_for(timeout=30000)
			current.locator(".dt-scrollable .dt-row").first.wait_for(timeout=30000)
			table = current.locator(".dt-scrollable").inner_text()
			self.assertIn(self.planted.p, table)
			self.assertIn(self.planted.q, table)
			self.assertIn("30.5", table)  # P's median days to close
			self.assertIn("66.67", table)  # P's completion: 2 of 3
			# The summary: 4 runs started in the range (3 of P, 1 of Q).
			summary = current.locator(".report-summary").inner_text()
			self.assertIn("4", summary)
			current.locator(".chart-wrapper .frappe-chart").first.wait_for(timeout=30000)
			page.wait_for_timeout(1500)  # the bars draw in over a moment
			screenshot(page, "play_effectiveness_report")
