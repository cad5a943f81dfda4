"""Browser: a customer's portal user sees their plan, marks their task done, and cannot see others'."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils.password import update_password

from cs_success.success_plans.planning import create_plan_from_template
from cs_success.tests.browser import browser_page, live_server, screenshot
from cs_success.tests.utils import make_contact, make_customer, make_user

PASSWORD = "Cs-Portal-Passw0rd!"


class TestSuccessPlanPortal(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.customer, cls.other = make_customer("Portal Plan"), make_customer("Portal Plan Other")
		cls.user = make_user("Customer")
		update_password(cls.user, PASSWORD)
		cls.contact = make_contact(cls.customer, email=cls.user, user=cls.user)
		cls.plan = create_plan_from_template("Quarterly Business Review", cls.customer).name
		cls.other_plan = create_plan_from_template("Quarterly Business Review", cls.other).name
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		frappe.set_user("Administrator")
		for customer in (cls.customer, cls.other):
			frappe.delete_doc("Customer", customer, force=True, ignore_permissions=True)
		frappe.delete_doc("Contact", cls.contact, force=True, ignore_permissions=True)
		frappe.delete_doc("User", cls.user, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDownClass()

	def test_portal_plan_page(self):
		plan = frappe.get_doc("Success Plan", self.plan)
		task = next(t for t in plan.tasks if t.side == "Customer")
		with live_server() as base_url, browser_page(base_url, self.user, PASSWORD) as page:
			page.goto("/success-plans")
			links = page.locator(".cs-plan-link")
			links.first.wait_for(timeout=30000)
			self.assertEqual(links.count(), 1)
			self.assertIn(plan.plan_title, links.first.inner_text())
			links.first.click()

			row = page.locator(f".cs-plan-task[data-task='{task.name}']")
			row.wait_for(timeout=30000)
			# The buttons are wired in frappe.ready: on a loaded machine a click before it did nothing.
			page.locator(".cs-plan[data-ready='1']").wait_for(timeout=30000)
			self.assertEqual(page.locator(".cs-plan-progress").get_attribute("aria-valuenow"), "0")
			self.assertEqual(
				page.locator(".cs-complete-task").count(),
				len([t for t in plan.tasks if t.side == "Customer"]),
			)
			row.locator(".cs-complete-task").click()
			page.locator(f".cs-plan-task[data-task='{task.name}'] .cs-task-done").wait_for(timeout=30000)
			self.assertNotEqual(page.locator(".cs-plan-progress").get_attribute("aria-valuenow"), "0")
			screenshot(page, "portal_success_plan")

			response = page.goto(f"/success-plans?plan={self.other_plan}")
			self.assertEqual(response.status, 404)
			self.assertEqual(page.locator(".cs-plan").count(), 0)

		frappe.db.rollback()
		plan.reload()
		done = next(t for t in plan.tasks if t.name == task.name)
		self.assertEqual((done.status, done.completed_by), ("Done", self.user))
