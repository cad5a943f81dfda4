# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class CustomerHealthSnapshot(Document):
	pass


def on_doctype_update():
	# Snapshots are upserted: one per customer, day and kind.
	frappe.db.add_unique(
		"Customer Health Snapshot", ["customer", "snapshot_date", "kind"], "unique_customer_day_kind"
	)
	frappe.db.add_index("Customer Health Snapshot", ["snapshot_date", "kind"])
	# The Score Validation's counts read only this index (BENCHMARKS.md, benchmark 7).
	frappe.db.add_index(
		"Customer Health Snapshot",
		["snapshot_date", "kind", "active_in_ledger", "band", "score", "churned_on", "scorecard", "customer"],
		"validation_index",
	)
