# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class CustomerActiveSpan(Document):
	pass


def on_doctype_update():
	# Reports read the ledger by company and date, rebuilds delete and read it by customer.
	# customer first for reads and deletes by customer; the digest for the rebuild's per-customer sums
	frappe.db.add_index("Customer Active Span", ["customer", "row_digest"])
	frappe.db.add_index("Customer Active Span", ["from_date"])
	# Cohort Retention: a cohort's spans, covered (no row lookups for 100,000 customers).
	frappe.db.add_index("Customer Active Span", ["acquired_on", "from_date", "to_date", "customer"])
