"""Browser: a CS Agent opens the CSM cockpit, sees their customer and runs in every section, snoozes one
run from its row and two at once from the checkboxes, and logs a touchpoint for a quiet customer."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, getdate, now_datetime, today
from frappe.utils.password import update_password

from cs_success.base.bulk import insert_rows
from cs_success.tests.browser import browser_page, live_server, screenshot
from cs_success.tests.test_cockpit import add_renewal, make_play, make_run, make_todo, set_health
from cs_success.tests.utils import make_customer, make_user, reset_health_queue

PASSWORD = "Cs-Cockpit-Passw0rd!"
REASON = "Quiet <b>too</b> long"  # must show as these characters, not as bold text


class TestCockpitInBrowser(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		reset_health_queue()
		cls.agent = make_user("CS Agent")
		update_password(cls.agent, PASSWORD)
		cls.other_agent = make_user("CS Agent")
		cls.manager = make_user("CS Manager")
		update_password(cls.manager, PASSWORD)
		cls.customers = [
			make_customer("Cockpit Browser", account_manager=cls.agent),
			make_customer("Cockpit Browser Two", account_manager=cls.agent),
			make_customer("Cockpit Browser Three", account_manager=cls.agent),
		]
		cls.theirs = make_customer("Cockpit Browser Theirs", account_manager=cls.other_agent)
		cls.customer = cls.customers[0]
		cls.customer_name = frappe.db.get_value("Customer", cls.customer, "customer_name")
		cls.theirs_name = frappe.db.get_value("Customer", cls.theirs, "customer_name")
		for customer, band, score in zip(
			[*cls.customers, cls.theirs],
			("Critical", "At Risk", "Critical", "Critical"),
			(35, 60, 45, 20),
			strict=True,
		):
			set_health(customer, band, score)
		cls.play = make_play(cls.agent)
		cls.run_name = make_run(
			cls.play, cls.customer, cls.agent, due_date=getdate(add_days(today(), 2)), reason=REASON
		)
		cls.reason = frappe.db.get_value(
			"Play Run", cls.run_name, "reason"
		)  # as saved (Frappe sanitises HTML)
		cls.bulk_runs = [
			make_run(cls.play, customer, cls.agent, due_date=getdate(add_days(today(), 4)))
			for customer in cls.customers[1:]
		]
		cls.their_run = make_run(cls.play, cls.theirs, cls.other_agent)
		cls.todos = [
			make_todo(cls.agent, "<p>Prepare the <b>QBR</b> deck</p>", getdate(add_days(today(), 1))),
			make_todo(cls.agent, "Call back", reference_type="Play Run", reference_name=cls.run_name),
		]
		cls.renewals = [add_renewal(cls.customer, getdate(add_days(today(), 20)))]
		# The second customer spoke to us last week; the others are quiet.
		now = now_datetime()
		insert_rows(
			"Touchpoint",
			["name", "customer", "touchpoint_type", "touchpoint_date", "summary", "creation", "modified", "owner", "modified_by", "docstatus"],
			[(frappe.generate_hash(length=10), cls.customers[1], "Call", add_days(now, -7), "_CS Test call", now, now, "Administrator", "Administrator", 0)],
		)  # fmt: skip
		reset_health_queue()  # nothing recomputes these customers (a recompute would start plays)
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		frappe.set_user("Administrator")
		customers = [*cls.customers, cls.theirs]
		runs = frappe.get_all(
			"Play Run", or_filters={"play": cls.play, "customer": ("in", customers)}, pluck="name"
		)
		frappe.db.delete("ToDo", {"name": ("in", cls.todos)})
		frappe.db.delete("ToDo", {"reference_type": "Play Run", "reference_name": ("in", runs or [""])})
		frappe.db.delete("Play Run", {"name": ("in", runs or [""])})
		frappe.delete_doc("Play", cls.play, force=True, ignore_permissions=True)
		frappe.db.delete("Agreement Renewal", {"name": ("in", cls.renewals)})
		frappe.db.delete("Touchpoint", {"customer": ("in", customers)})
		for customer in customers:
			frappe.delete_doc("Customer", customer, force=True, ignore_permissions=True)
		for user in (cls.agent, cls.other_agent, cls.manager):
			frappe.delete_doc("User", user, force=True, ignore_permissions=True)
		reset_health_queue()
		frappe.db.commit()
		super().tearDownClass()

	def test_agent_reads_the_cockpit_snoozes_runs_and_logs_a_touchpoint(self):
		with live_server() as base_url, browser_page(base_url, self.agent, PASSWORD) as page:
			page.goto("/app/csm-cockpit")
			cockpit = page.locator(".cs-cockpit")
			row = cockpit.locator(f'.cs-run[data-run="{self.run_name}"]')
			row.wait_for(timeout=30000)
			self.assertEqual(
				[
					cockpit.locator(".cs-cockpit-section").nth(i).get_attribute("data-section")
					for i in range(5)
				],
				["bands", "runs", "tasks", "renewals", "quiet_customers"],
			)
			bands = cockpit.locator('[data-section="bands"]')
			self.assertIn(
				self.customer_name, bands.locator('.cs-band-card[data-band="Critical"]').inner_text()
			)
			self.assertEqual(
				bands.locator('.cs-band-card[data-band="Critical"]').get_attribute("data-color"), "red"
			)
			# No healthy customer: said in words, in grey, never a green 0.
			healthy = bands.locator('.cs-band-card[data-band="Healthy"]')
			self.assertEqual(healthy.get_attribute("data-color"), "gray")
			self.assertEqual(healthy.locator(".cs-band-empty").inner_text(), "Nothing here")
			self.assertEqual(healthy.locator(".cs-band-count").count(), 0)
			self.assertNotIn(self.theirs_name, cockpit.inner_text())  # another agent's customer
			# Runs: the agent's three by due date, not the other agent's; the reason shown as text.
			self.assertEqual(
				cockpit.locator(".cs-run").evaluate_all("rows => rows.map(r => r.dataset.run)"),
				[self.run_name, *self.bulk_runs],
			)
			self.assertIn(self.customer_name, row.inner_text())
			self.assertEqual(row.locator(".cs-run-reason").inner_text(), self.reason)
			self.assertEqual(row.locator(".cs-run-reason b").count(), 0)
			tasks = cockpit.locator('[data-section="tasks"]')
			self.assertIn("Prepare the QBR deck", tasks.inner_text())
			self.assertEqual(tasks.locator(".cs-task").count(), 2)
			# The run's task names the customer it is about.
			self.assertIn(self.customer_name, tasks.locator(".cs-task").nth(1).inner_text())
			self.assertIn(self.customer_name, cockpit.locator('[data-section="renewals"]').inner_text())
			quiet = cockpit.locator('[data-section="quiet_customers"]')
			self.assertEqual(
				quiet.locator(".cs-quiet").evaluate_all("rows => rows.map(r => r.dataset.customer)"),
				sorted([self.customers[0], self.customers[2]], key=self.name_of),
			)
			screenshot(page, "csm_cockpit")

			# One run, from its row.
			row.locator(".cs-snooze").click()
			dialog = page.locator(".modal.show")
			dialog.locator('textarea[data-fieldname="reason"]').fill("Customer on holiday")
			dialog.locator(".modal-footer .btn-primary").click()
			page.locator(".modal.show").wait_for(state="detached", timeout=30000)
			row.locator(".indicator-pill", has_text="Snoozed until").wait_for(timeout=30000)

			# Two at once, from the checkboxes.
			snooze_selected = cockpit.locator(".cs-snooze-selected")
			self.assertTrue(snooze_selected.is_disabled())
			for name in self.bulk_runs:
				cockpit.locator(f'.cs-run-check[data-run="{name}"]').check()
			snooze_selected.click()
			dialog = page.locator(".modal.show")
			dialog.locator(".modal-title", has_text="Snooze 2 Runs").wait_for(timeout=10000)
			dialog.locator('textarea[data-fieldname="reason"]').fill("Waiting for their budget")
			dialog.locator(".modal-footer .btn-primary").click()
			page.locator(".modal.show").wait_for(state="detached", timeout=30000)
			for name in self.bulk_runs:
				cockpit.locator(
					f'.cs-run[data-run="{name}"] .indicator-pill', has_text="Snoozed until"
				).wait_for(timeout=30000)

			# A touchpoint for the first quiet customer: it leaves the list.
			quiet_row = quiet.locator(f'.cs-quiet[data-customer="{self.customer}"]')
			quiet_row.locator("button", has_text="Log Touchpoint").click()
			dialog = page.locator(".modal.show")
			self.assertEqual(dialog.locator(".cs-touchpoint-customer").inner_text(), self.customer_name)
			dialog.locator('textarea[data-fieldname="summary"]').fill("Checked in after the outage")
			dialog.locator(".modal-footer .btn-primary").click()
			page.locator(".modal.show").wait_for(state="detached", timeout=30000)
			quiet_row.wait_for(state="detached", timeout=30000)
			page.locator(".modal-backdrop").wait_for(state="detached", timeout=10000)  # faded out
			screenshot(page, "csm_cockpit_after_snooze")

		frappe.db.rollback()  # a fresh snapshot: what the web server committed
		until = getdate(add_days(today(), 7))  # the dialog's default
		self.assertEqual(
			frappe.db.get_value(
				"Play Run", self.run_name, ["status", "snoozed_until", "snooze_reason"], as_dict=True
			),
			{"status": "Snoozed", "snoozed_until": until, "snooze_reason": "Customer on holiday"},
		)
		for name in self.bulk_runs:
			self.assertEqual(
				tuple(frappe.db.get_value("Play Run", name, ["status", "snooze_reason"])),
				("Snoozed", "Waiting for their budget"),
			)
		self.assertEqual(frappe.db.get_value("Play Run", self.their_run, "status"), "Open")
		touchpoints = frappe.get_all(
			"Touchpoint",
			filters={"customer": self.customer},
			fields=["summary", "touchpoint_owner"],
			as_list=True,
		)
		self.assertEqual([tuple(row) for row in touchpoints], [("Checked in after the outage", self.agent)])

	def test_manager_picks_an_agent_and_sees_their_cockpit(self):
		with live_server() as base_url, browser_page(base_url, self.manager, PASSWORD) as page:
			page.goto("/app/csm-cockpit")
			cockpit = page.locator(".cs-cockpit")
			cockpit.locator('[data-section="runs"] .cs-cockpit-empty').wait_for(
				timeout=30000
			)  # none of their own
			user = page.locator('.page-form input[data-fieldname="user"]')
			user.fill(self.agent)
			user.press("Escape")
			user.blur()
			cockpit.locator(f'.cs-run[data-run="{self.run_name}"]').wait_for(timeout=30000)
			self.assertIn(self.customer_name, cockpit.locator('[data-section="bands"]').inner_text())
			self.assertTrue(cockpit.locator(".cs-cockpit-viewing").inner_text().startswith("Cockpit of"))
			self.assertEqual(cockpit.locator('[data-section="bands"] h4').inner_text(), "Customers by Band")
			screenshot(page, "csm_cockpit_manager")

	@staticmethod
	def name_of(customer: str) -> str:
		return frappe.db.get_value("Customer", customer, "customer_name")
