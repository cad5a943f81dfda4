# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document

from cs_success.base.queue import queue_recompute
from cs_success.engine.success_plans import default_stage


class Touchpoint(Document):
	def validate(self):
		self.summary = (self.summary or "").strip()
		if not self.stage:
			self.stage = default_stage(self.touchpoint_type)
		if not self.touchpoint_owner and frappe.session.user != "Guest":
			self.touchpoint_owner = frappe.session.user

	def on_update(self):
		# Engagement measures read touchpoints.
		queue_recompute([self.customer, (self.get_doc_before_save() or self).customer])

	def on_trash(self):
		queue_recompute([self.customer])


def on_doctype_update():
	frappe.db.add_index("Touchpoint", ["customer", "touchpoint_date"])
