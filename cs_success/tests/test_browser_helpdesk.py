"""Browser, with Helpdesk installed: an agent opens a ticket in the Helpdesk agent UI (/helpdesk) and
sees the customer's health badge from the HD Form Script that install creates; clicking it explains
the score. Skipped on a site without Helpdesk (.ci/run runs it on hd.localhost)."""

import unittest

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils.password import update_password

from cs_success.tests.browser import browser_page, live_server, screenshot
from cs_success.tests.utils import make_customer, make_user, run_pending_recomputes

PASSWORD = "Cs-Test-Passw0rd!"


class TestHelpdeskAgentBadge(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		if "helpdesk" not in frappe.get_installed_apps():
			raise unittest.SkipTest("Helpdesk is not installed on this site")
		super().setUpClass()
		frappe.set_user("Administrator")
		# The web server is another process: it sees only committed data, removed again below.
		cls.agent = make_user("Agent", "CS Agent")  # health is for CS roles, not every agent
		update_password(cls.agent, PASSWORD)
		frappe.get_doc({"doctype": "HD Agent", "user": cls.agent, "agent_name": "CS Test Agent"}).insert(
			ignore_permissions=True
		)
		cls.customer = make_customer("HD Badge")
		cls.hd_customer = frappe.get_doc(
			{"doctype": "HD Customer", "customer_name": f"_CS HD {cls.customer}", "cs_customer": cls.customer}
		).insert(ignore_permissions=True)
		cls.tickets = [
			frappe.get_doc(
				{
					"doctype": "HD Ticket",
					"subject": f"_CS Test badge {n}",
					"description": "The export fails",
					"raised_by": "cs-test-requester@example.com",
					"customer": cls.hd_customer.name,
				}
			)
			.insert(ignore_permissions=True)
			.name
			for n in range(3)
		]
		run_pending_recomputes()  # the drain, before the commit the web server reads
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		frappe.set_user("Administrator")
		for ticket in cls.tickets:
			frappe.delete_doc("HD Ticket", ticket, force=True, ignore_permissions=True)
		frappe.delete_doc("HD Customer", cls.hd_customer.name, force=True, ignore_permissions=True)
		frappe.delete_doc("Customer", cls.customer, force=True, ignore_permissions=True)
		frappe.delete_doc("HD Agent", cls.agent, force=True, ignore_permissions=True)
		frappe.delete_doc("User", cls.agent, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDownClass()

	def test_agent_sees_and_opens_the_badge(self):
		health = frappe.get_doc("Customer Health", self.customer)
		self.assertEqual(health.band, "At Risk")  # three open tickets on the default scorecard
		self.assertEqual(
			frappe.db.get_value(
				"Customer Health Measure", {"parent": self.customer, "measure": "open_tickets"}, "raw_value"
			),
			3,
		)
		with live_server() as base_url, browser_page(base_url, self.agent, PASSWORD) as page:
			page.goto(f"/helpdesk/tickets/{self.tickets[0]}")
			badge = page.get_by_role("button", name=f"Health {round(health.score)} · {health.band}")
			try:
				badge.wait_for(timeout=60000)
			except Exception:
				screenshot(page, "helpdesk_agent_badge_missing")
				raise
			self.assertEqual(
				badge.inner_text().strip(), f"Health {round(health.score)} · {health.band}"
			)  # shown
			screenshot(page, "helpdesk_agent_badge")
			# Coloured by band, so an agent can tell at a glance: amber for At Risk, not the default gray.
			background = badge.evaluate("element => getComputedStyle(element).backgroundColor")
			self.assertEqual(background, "rgb(254, 243, 199)")
			badge.click()
			dialog = page.get_by_role("dialog")
			dialog.wait_for(timeout=10000)
			self.assertIn(f"Customer Health: {self.customer}", dialog.inner_text())
			# One line per measure, the score first.
			self.assertEqual(dialog.locator("p", has_text="Open Tickets:").count(), 1)
			self.assertEqual(
				dialog.locator("p").first.inner_text().strip(), f"Score {round(health.score)} ({health.band})"
			)
			page.wait_for_timeout(500)  # the dialog's fade-in, for the screenshot only
			screenshot(page, "helpdesk_agent_badge_dialog")
