# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class MRRMovement(Document):
	pass


def on_doctype_update():
	# Reports read the ledger by company and date, rebuilds delete and read it by customer. The type and
	# amount make the reports' monthly sums an index-only read: MRR Movements at 100,000 customers read
	# 0.75 s through (company, movement_date), 0.12 s through this (BENCHMARKS.md).
	frappe.db.add_index(
		"MRR Movement", ["company", "movement_date", "movement_type", "amount"], "company_movement_index"
	)
	# customer first for reads and deletes by customer; the digest for the rebuild's per-customer sums
	frappe.db.add_index("MRR Movement", ["customer", "row_digest"])
