# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class CustomerLifecycleEvent(Document):
	def validate(self):
		if self.event_type != "Churned":
			self.churn_reason = None
		if self.has_value_changed("churn_reason") and self.churn_reason:
			self.churn_reason_source = "Manual"


def on_doctype_update():
	# Reports read the ledger by company and date, rebuilds delete and read it by customer.
	frappe.db.add_index("Customer Lifecycle Event", ["event_type", "event_date"])
	# customer first for reads and deletes by customer; the digest for the rebuild's per-customer sums
	frappe.db.add_index("Customer Lifecycle Event", ["customer", "row_digest"])
