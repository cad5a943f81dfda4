# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class CustomerHealthAlert(Document):
	pass


def on_doctype_update():
	frappe.db.add_index("Customer Health Alert", ["customer", "status", "band"])
	# retry_due_webhooks, every 5 minutes: open deliveries whose next attempt is due.
	frappe.db.add_index("Customer Health Alert", ["webhook_status", "webhook_next_attempt_on"])
