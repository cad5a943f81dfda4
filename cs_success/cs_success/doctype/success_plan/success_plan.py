# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import getdate

from cs_success.base.queue import queue_recompute
from cs_success.success_plans.planning import refresh_plan


class SuccessPlan(Document):
	def validate(self):
		if self.target_date and getdate(self.target_date) < getdate(self.start_date):
			frappe.throw(_("The target date cannot be before the start date."))
		refresh_plan(self)

	def on_update(self):
		self.record_reached_milestones()
		queue_recompute([self.customer])

	def on_trash(self):
		queue_recompute([self.customer])

	def record_reached_milestones(self):
		from cs_success.touchpoints.record import record_touchpoint, touchpoint_source_enabled

		if not touchpoint_source_enabled("touchpoint_on_milestone"):
			return
		for row in self.milestones:
			if row.status == "Done":
				record_touchpoint(
					self.customer,
					"Note",
					_("Milestone reached: {0} ({1})").format(row.milestone, self.plan_title),
					source_key=f"Success Plan Milestone:{row.name}",
					reference=("Success Plan", self.name),
					contact=self.customer_contact,
					direction="Internal",
					sentiment="Positive",
				)


def on_doctype_update():
	frappe.db.add_index("Success Plan", ["customer", "status"])
