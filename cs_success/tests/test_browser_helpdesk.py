"""Browser, with Helpdesk installed: an agent opens a ticket in the Helpdesk agent UI (/helpdesk) and
sees the customer's health badge from the HD Form Script that install creates; clicking it explains
the score, and the badge follows a score change live. Skipped on a site without Helpdesk (.ci/run runs
it on hd.localhost)."""

import unittest

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils.password import update_password

from cs_success.base.queue import queue_recompute
from cs_success.install import create_helpdesk_form_script
from cs_success.tests.browser import browser_page, live_server, realtime_server, screenshot
from cs_success.tests.utils import make_customer, make_user, run_pending_recomputes

PASSWORD = "Cs-Test-Passw0rd!"
# Helpdesk's agent SPA keeps its socket.io client on the Vue app.
HD_SOCKET_CONNECTED = (
	"() => { const app = document.getElementById('app')?.__vue_app__;"
	" return !!(app && app.config.globalProperties.$socket && app.config.globalProperties.$socket.connected); }"
)


def set_coverage_floor(value) -> None:
	"""None: unset, as a site migrated before the setting existed has it (scoring then uses 50)."""
	if value is None:
		frappe.db.delete("Singles", {"doctype": "CS Settings", "field": "coverage_floor"})
	else:
		frappe.db.set_single_value("CS Settings", "coverage_floor", value)
	frappe.clear_document_cache("CS Settings", "CS Settings")


def badge_label(health) -> str:
	"""What the badge says: "Health 62 · 100% data · At Risk"."""
	return f"Health {round(health.score)} · {round(health.data_coverage)}% data · {health.band}"


def make_hd_tickets(hd_customer: str, subject: str, description: str, count: int) -> list[str]:
	"""`count` open HD Tickets of the HD Customer, numbered subjects; returns their names."""
	return [
		frappe.get_doc(
			{
				"doctype": "HD Ticket",
				"subject": f"{subject} {n}",
				"description": description,
				"raised_by": "cs-test-requester@example.com",
				"customer": hd_customer,
			}
		)
		.insert(ignore_permissions=True)
		.name
		for n in range(count)
	]


class TestHelpdeskAgentBadge(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		if "helpdesk" not in frappe.get_installed_apps():
			raise unittest.SkipTest("Helpdesk is not installed on this site")
		super().setUpClass()
		frappe.set_user("Administrator")
		create_helpdesk_form_script()  # the badge script as this checkout has it (after_migrate does this)
		# No coverage floor to start with: a customer known only by its tickets gets a band by score
		# (At Risk, amber). The live test raises it to show the gray Insufficient Data band.
		cls.coverage_floor = frappe.get_single("CS Settings").get("coverage_floor")
		set_coverage_floor(0)
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
		cls.tickets = make_hd_tickets(cls.hd_customer.name, "_CS Test badge", "The export fails", 4)
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
		set_coverage_floor(cls.coverage_floor)
		frappe.db.commit()
		super().tearDownClass()

	def test_agent_sees_and_opens_the_badge(self):
		health = frappe.get_doc("Customer Health", self.customer)
		# Four open tickets on the default scorecard: Open Tickets (100 at 0, 0 at 5) scores 20, which
		# takes the score under 75 (no coverage floor here).
		self.assertEqual(health.band, "At Risk")
		self.assertEqual(
			frappe.db.get_value(
				"Customer Health Measure", {"parent": self.customer, "measure": "open_tickets"}, "raw_value"
			),
			4,
		)
		with live_server() as base_url, browser_page(base_url, self.agent, PASSWORD) as page:
			page.goto(f"/helpdesk/tickets/{self.tickets[0]}")
			badge = page.get_by_role("button", name=badge_label(health))
			try:
				badge.wait_for(timeout=60000)
			except Exception:
				screenshot(page, "helpdesk_agent_badge_missing")
				raise
			self.assertEqual(badge.inner_text().strip(), badge_label(health))  # shown, with its data coverage
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
			self.assertIn(f"Data Coverage: {round(health.data_coverage)}%", dialog.inner_text())

	def test_badge_follows_a_score_change_without_reload(self):
		"""Tickets opened elsewhere move the score; the badge on the open ticket page follows through
		Helpdesk's own socket.io connection, without a reload."""
		before = frappe.get_doc("Customer Health", self.customer)
		with (
			realtime_server(),
			live_server(realtime=True) as base_url,
			browser_page(base_url, self.agent, PASSWORD) as page,
		):
			page.goto(f"/helpdesk/tickets/{self.tickets[0]}")
			page.get_by_role("button", name=badge_label(before)).wait_for(timeout=60000)
			page.wait_for_function(HD_SOCKET_CONNECTED, timeout=30000)
			# Mark the page: a reload would lose this, so finding it afterwards proves there was none.
			page.evaluate("() => { window.csTestNoReload = true; }")

			# 4 open tickets -> 8: Open Tickets (100 at 0, 0 at 5) drops from 20 to 0, so the score falls.
			self.__class__.tickets += make_hd_tickets(
				self.hd_customer.name, "_CS Test badge live", "Still failing", 4
			)
			run_pending_recomputes()
			frappe.db.commit()  # the recompute's realtime message goes out on commit
			after = frappe.get_doc("Customer Health", self.customer)
			self.assertLess(after.score, before.score)

			badge = page.get_by_role("button", name=badge_label(after))
			try:
				badge.wait_for(timeout=30000)
			except Exception:
				screenshot(page, "helpdesk_agent_badge_not_live")
				raise
			self.assertTrue(page.evaluate("() => window.csTestNoReload === true"))  # no reload
			self.assertEqual(page.get_by_role("button", name=badge_label(before)).count(), 0)  # replaced
			self.assertEqual(page.get_by_role("button", name=f"Health {round(after.score)}").count(), 1)
			screenshot(page, "helpdesk_agent_badge_live")

			# A coverage floor above the customer's coverage: same score, band Insufficient Data, and the
			# badge turns gray (never green), live again.
			self.assertLess(after.data_coverage, 100)
			set_coverage_floor(100)
			queue_recompute([self.customer])
			run_pending_recomputes()
			frappe.db.commit()
			unsure = frappe.get_doc("Customer Health", self.customer)
			self.assertEqual((unsure.band, unsure.score), ("Insufficient Data", after.score))
			badge = page.get_by_role("button", name=badge_label(unsure))
			badge.wait_for(timeout=30000)
			classes = badge.get_attribute("class")
			self.assertIn("gray", classes)
			self.assertNotIn("green", classes)
			screenshot(page, "helpdesk_agent_badge_insufficient_data")
