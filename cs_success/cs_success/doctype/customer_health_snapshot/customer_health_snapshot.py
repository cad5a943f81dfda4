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
	# The Score Validation's counts read only this index (BENCHMARKS.md, benchmark 7); it serves every read
	# by day and kind too (its first two columns), so there is no (snapshot_date, kind) index of its own.
	frappe.db.add_index(
		"Customer Health Snapshot",
		["snapshot_date", "kind", "active_in_ledger", "band", "score", "churned_on", "scorecard", "customer"],
		"validation_index",
	)
	# A customer's history (Play Effectiveness, health on a day for some customers) read from this index
	# alone: by the unique index, every row was a lookup into a table larger than the buffer pool
	# (BENCHMARKS.md, benchmark 9).
	frappe.db.add_index(
		"Customer Health Snapshot",
		["customer", "kind", "snapshot_date", "score", "band"],
		"customer_history_index",
	)
