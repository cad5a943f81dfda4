# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class CustomerHealth(Document):
	"""Written by the recompute; people change it only through the override API."""

	def onload(self):
		# The expansion signals in words, in the reader's language (the form shows them as text).
		from cs_success.growth.opportunities import signal_texts
		from cs_success.growth.pipeline import sales_pipeline
		from cs_success.growth.signals import signal_summary

		self.set_onload("expansion_texts", signal_texts(signal_summary(self.expansion_signals)))
		self.set_onload("expansion_doctype", sales_pipeline().doctype)


def on_doctype_update():
	frappe.db.add_index("Customer Health", ["band", "score"])
	frappe.db.add_index("Customer Health", ["override_active", "override_expires_on"])
