# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class MRRInterval(Document):
	pass


def on_doctype_update():
	# Reports read the ledger by company and date, rebuilds delete and read it by customer.
	frappe.db.add_index("MRR Interval", ["company", "from_date"])
	# customer first for reads and deletes by customer; the digest for the rebuild's per-customer sums
	frappe.db.add_index("MRR Interval", ["customer", "row_digest"])
	# Cohort Retention: a cohort's MRR at a company, covered (no row lookups for 100,000 customers).
	frappe.db.add_index("MRR Interval", ["company", "acquired_on", "from_date", "to_date", "mrr", "customer"])
