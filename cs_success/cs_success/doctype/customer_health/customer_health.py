# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class CustomerHealth(Document):
	"""Written by the recompute; people change it only through the override API."""


def on_doctype_update():
	frappe.db.add_index("Customer Health", ["band", "score"])
	frappe.db.add_index("Customer Health", ["override_active", "override_expires_on"])
