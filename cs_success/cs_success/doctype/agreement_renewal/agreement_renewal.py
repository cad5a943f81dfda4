# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class AgreementRenewal(Document):
	pass


def on_doctype_update():
	# Reports read the ledger by company and date, rebuilds delete and read it by customer.
	frappe.db.add_index("Agreement Renewal", ["due_date"])
	# customer first for reads and deletes by customer; the digest for the rebuild's per-customer sums
	frappe.db.add_index("Agreement Renewal", ["customer", "row_digest"])
