"""Success plans: progress and overdue items, templates, and what a customer may do from the portal."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import add_days, getdate, nowdate, today

from cs_success.engine.success_plans import (
	ACHIEVED,
	DONE,
	PlanItem,
	due_date_from,
	is_overdue,
	measured_value,
	objective_progress,
	plan_progress,
)


def _item(row) -> PlanItem:
	return PlanItem(row.status == DONE, getdate(row.due_date) if row.due_date else None)


def refresh_plan(plan) -> None:
	"""Derived fields of a plan, from its rows (run on every save)."""
	now = getdate(today())
	for row in plan.objectives:
		row.progress = objective_progress(
			row.baseline or 0,
			row.target or 0,
			measured_value(row.current_value, row.status),
			achieved=row.status == ACHIEVED,
		)
		row.is_overdue = int(
			row.status not in ("Achieved", "Missed") and bool(row.due_date) and getdate(row.due_date) < now
		)
	for row in [*plan.milestones, *plan.tasks]:
		if row.status == DONE and not row.completed_on:
			row.completed_on = nowdate()
		elif row.status != DONE:
			row.completed_on = None
		row.is_overdue = int(is_overdue(_item(row), now))
	plan.progress = plan_progress(
		[row.progress for row in plan.objectives], map(_item, plan.milestones), map(_item, plan.tasks)
	)
	plan.overdue_items = sum(row.is_overdue for row in [*plan.milestones, *plan.tasks])


def refresh_overdue_flags() -> None:
	"""Daily: items fall overdue without anyone saving the plan. Set-based."""
	params = {"today": today()}
	for table in ("Success Plan Milestone", "Success Plan Task"):
		frappe.db.sql(
			f"""UPDATE `tab{table}` SET is_overdue = (status != 'Done' AND due_date IS NOT NULL AND due_date < %(today)s)
			WHERE parenttype = 'Success Plan'""",
			params,
		)
	frappe.db.sql(
		"""UPDATE `tabSuccess Plan Objective` SET is_overdue =
			(status NOT IN ('Achieved', 'Missed') AND due_date IS NOT NULL AND due_date < %(today)s)
		WHERE parenttype = 'Success Plan'""",
		params,
	)
	frappe.db.sql(
		"""
		UPDATE `tabSuccess Plan` p
		LEFT JOIN (
			SELECT parent, SUM(is_overdue) AS overdue FROM (
				SELECT parent, is_overdue FROM `tabSuccess Plan Milestone` WHERE parenttype = 'Success Plan'
				UNION ALL
				SELECT parent, is_overdue FROM `tabSuccess Plan Task` WHERE parenttype = 'Success Plan'
			) items GROUP BY parent
		) counted ON counted.parent = p.name
		SET p.overdue_items = COALESCE(counted.overdue, 0)
		"""
	)


def create_plan_from_template(template: str, customer: str, start_date=None, plan_owner: str | None = None):
	"""One action: a plan for the customer with the template's items, due dates relative to the start."""
	source = frappe.get_doc("Success Plan Template", template)
	start = getdate(start_date or today())
	customer_name = frappe.db.get_value("Customer", customer, "customer_name") or customer
	plan = frappe.get_doc(
		{
			"doctype": "Success Plan",
			"plan_title": _("{0}: {1}").format(_(source.template_name), customer_name),
			"customer": customer,
			"template": source.name,
			"status": "Active",
			"plan_owner": plan_owner or frappe.session.user,
			"start_date": start,
			"target_date": add_days(start, source.duration_days) if source.duration_days else None,
			"description": source.description,
			"objectives": [
				{
					"objective": row.objective,
					"metric": row.metric,
					"due_date": due_date_from(start, row.due_after_days),
				}
				for row in source.objectives
			],
			"milestones": [
				{"milestone": row.milestone, "due_date": due_date_from(start, row.due_after_days)}
				for row in source.milestones
			],
			"tasks": [
				{
					"task": row.task,
					"milestone": row.milestone,
					"side": row.side,
					"due_date": due_date_from(start, row.due_after_days),
				}
				for row in source.tasks
			],
		}
	)
	return plan.insert()


# What a customer's users see of their plans in the portal, and where they may tick off tasks.
PORTAL_VISIBLE_STATUSES = ("Active", "On Hold", "Completed")
PORTAL_EDITABLE_STATUSES = ("Active", "On Hold")


def portal_plan(plan_name, user: str):
	"""The plan if this portal user's customer owns it and the portal shows it, else None."""
	from cs_success.base.portal import customers_of_user

	if not isinstance(plan_name, str) or not plan_name:
		return None
	plan = frappe.db.get_value("Success Plan", plan_name, ["customer", "status"], as_dict=True)
	if not plan or plan.status not in PORTAL_VISIBLE_STATUSES or plan.customer not in customers_of_user(user):
		return None
	return frappe.get_doc("Success Plan", plan_name)


def complete_customer_task(plan_name: str, task_row: str, user: str) -> None:
	"""A portal user marks one of their own customer's open tasks done; everything else is refused,
	with one answer for a plan that is missing, another customer's, or not shown in the portal, so
	names cannot be probed."""
	plan = portal_plan(plan_name, user)
	if not plan or plan.status not in PORTAL_EDITABLE_STATUSES:
		raise frappe.DoesNotExistError(_("Success plan not found."))
	row = next((task for task in plan.tasks if task.name == task_row), None)
	if not row or row.side != "Customer":
		raise frappe.DoesNotExistError(_("Success plan not found."))
	if row.status == DONE:
		return
	row.status = DONE
	row.completed_by = user
	plan.flags.ignore_permissions = True
	plan.save()
