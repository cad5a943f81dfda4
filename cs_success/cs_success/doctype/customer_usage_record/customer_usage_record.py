# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import math

import frappe
from frappe import _
from frappe.model.document import Document

from cs_success.base.queue import queue_recompute


class CustomerUsageRecord(Document):
	def validate(self):
		if self.value is None or not math.isfinite(float(self.value)):
			frappe.throw(_("Usage value must be a number."))
		self.metric = (self.metric or "usage").strip()

	def after_insert(self):
		queue_recompute([self.customer])


def on_doctype_update():
	frappe.db.add_index("Customer Usage Record", ["customer", "recorded_on"])
