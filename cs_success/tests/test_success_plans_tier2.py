"""Tier 2: success plans from templates, progress, health effect and portal permissions."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, getdate, today

from cs_success.api.success_plan import complete_task, create_from_template
from cs_success.engine.plan_templates import STANDARD_PLAN_TEMPLATES
from cs_success.success_plans.planning import refresh_overdue_flags
from cs_success.tests.utils import (
	make_contact,
	make_customer,
	make_user,
	measure,
	reset_health_queue,
	run_pending_recomputes,
)


def portal_user_for(customer: str) -> str:
	user = make_user("Customer")
	make_contact(customer, email=user, user=user)
	return user


class TestSuccessPlans(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()

	def tearDown(self):
		frappe.set_user("Administrator")

	def test_standard_templates_installed(self):
		for template in STANDARD_PLAN_TEMPLATES:
			self.assertTrue(frappe.db.exists("Success Plan Template", template.name))

	def test_template_creates_plan_with_relative_due_dates(self):
		customer = make_customer("Plan")
		start = add_days(today(), -10)
		plan = frappe.get_doc(
			"Success Plan", create_from_template("Onboarding 30/60/90", customer, str(start))
		)
		self.assertEqual(plan.target_date, getdate(add_days(start, 90)))
		self.assertEqual(
			[m.due_date for m in plan.milestones][:2],
			[getdate(add_days(start, 7)), getdate(add_days(start, 30))],
		)
		self.assertEqual(len(plan.tasks), 7)
		self.assertEqual(plan.progress, 0)
		# Past on day 10: the kick-off milestone (day 7) and its two tasks (days 5 and 7).
		self.assertEqual(plan.overdue_items, 3)
		self.assertIn(customer, plan.plan_title)

	def test_progress_from_objectives_milestones_and_tasks(self):
		customer = make_customer("Progress")
		plan = frappe.get_doc(
			{
				"doctype": "Success Plan",
				"plan_title": "Adoption",
				"customer": customer,
				"start_date": today(),
				"objectives": [
					{"objective": "Active users", "baseline": 20, "target": 80, "current_value": 50}
				],
				"milestones": [{"milestone": "Live", "status": "Done"}, {"milestone": "Adopted"}],
				"tasks": [
					{"task": "Train", "status": "Done"},
					{"task": "Roll out"},
					{"task": "Review"},
					{"task": "Close"},
				],
			}
		).insert()
		self.assertEqual(plan.objectives[0].progress, 50)
		self.assertAlmostEqual(plan.progress, (50 + 50 + 25) / 3, places=3)
		self.assertTrue(plan.milestones[0].completed_on)
		touchpoint = frappe.get_all(
			"Touchpoint", filters={"customer": customer, "reference_name": plan.name}, pluck="summary"
		)
		self.assertEqual(len(touchpoint), 1)  # milestone reached, once
		plan.save()
		self.assertEqual(
			frappe.db.count("Touchpoint", {"customer": customer, "reference_name": plan.name}), 1
		)

	def test_plan_feeds_health(self):
		customer = make_customer("Plan Health")
		run_pending_recomputes()
		self.assertFalse(measure(customer, "success_plan_progress").has_data)
		create_from_template("Quarterly Business Review", customer, str(add_days(today(), -20)))
		run_pending_recomputes()
		self.assertEqual(measure(customer, "success_plan_progress").raw_value, 0)
		self.assertEqual(measure(customer, "overdue_plan_items").raw_value, 3)  # due on days 10, 14, 14

	def test_overdue_flags_refresh_daily(self):
		customer = make_customer("Overdue")
		plan = frappe.get_doc(
			{
				"doctype": "Success Plan",
				"plan_title": "Later",
				"customer": customer,
				"start_date": today(),
				"tasks": [{"task": "Soon", "due_date": add_days(today(), 1)}],
			}
		).insert()
		self.assertEqual(plan.overdue_items, 0)
		frappe.db.set_value("Success Plan Task", plan.tasks[0].name, "due_date", add_days(today(), -1))
		refresh_overdue_flags()
		self.assertEqual(frappe.db.get_value("Success Plan", plan.name, "overdue_items"), 1)

	def test_portal_user_completes_own_task_only(self):
		customer, other = make_customer("Portal Own"), make_customer("Portal Other")
		plan = frappe.get_doc("Success Plan", create_from_template("Quarterly Business Review", customer))
		other_plan = frappe.get_doc("Success Plan", create_from_template("Quarterly Business Review", other))
		customer_task = next(t for t in plan.tasks if t.side == "Customer")
		our_task = next(t for t in plan.tasks if t.side == "Our Team")
		user = portal_user_for(customer)

		frappe.set_user(user)
		complete_task(plan.name, customer_task.name)
		# Our team's task, another customer's plan and a plan that does not exist get one and the same
		# answer, so plan names cannot be probed.
		answers = set()
		for plan_name, task_name in (
			(plan.name, our_task.name),
			(other_plan.name, next(t for t in other_plan.tasks if t.side == "Customer").name),
			("SP-DOES-NOT-EXIST", customer_task.name),
		):
			with self.assertRaises(frappe.DoesNotExistError) as refused:
				complete_task(plan_name, task_name)
			answers.add(str(refused.exception))
		self.assertEqual(len(answers), 1)
		self.assertFalse(frappe.has_permission("Success Plan", "read", other_plan.name))
		frappe.set_user("Administrator")

		plan.reload()
		self.assertEqual(next(t for t in plan.tasks if t.name == customer_task.name).status, "Done")
		self.assertEqual(next(t for t in plan.tasks if t.name == customer_task.name).completed_by, user)
		self.assertEqual(next(t for t in plan.tasks if t.name == our_task.name).status, "Open")
		self.assertGreater(plan.progress, 0)

	def test_portal_tasks_of_draft_or_cancelled_plans_cannot_be_done(self):
		customer = make_customer("Portal Status")
		user = portal_user_for(customer)
		for status in ("Draft", "Cancelled"):
			with self.subTest(status=status):
				plan = frappe.get_doc(
					"Success Plan", create_from_template("Quarterly Business Review", customer)
				)
				task = next(t for t in plan.tasks if t.side == "Customer")
				frappe.db.set_value("Success Plan", plan.name, "status", status)
				frappe.set_user(user)
				with self.assertRaises(frappe.DoesNotExistError):
					complete_task(plan.name, task.name)
				frappe.set_user("Administrator")
				self.assertEqual(frappe.db.get_value("Success Plan Task", task.name, "status"), "Open")

	def test_portal_page_shows_only_own_plans(self):
		from cs_success.www.success_plans import get_context

		customer, other = make_customer("Page Own"), make_customer("Page Other")
		own = create_from_template("Renewal Readiness", customer)
		theirs = create_from_template("Renewal Readiness", other)
		frappe.set_user(portal_user_for(customer))
		context = frappe._dict()
		frappe.form_dict.plan = None
		get_context(context)
		self.assertEqual([p.name for p in context.plans], [own])
		frappe.form_dict.plan = theirs
		context = frappe._dict()
		get_context(context)
		self.assertEqual((context.http_status_code, context.not_found, context.plan), (404, True, None))
		frappe.form_dict.plan = None
