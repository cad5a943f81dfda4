"""Health's own records about a Customer when it is merged, renamed or deleted (cs_success/customer.py
asks each domain in turn). Customer Health is *named* after its customer; one snapshot per customer, day
and kind; one open alert per customer and band: the survivor's own record wins a collision."""

from __future__ import annotations

import frappe
from frappe.utils import now_datetime

# Health's doctypes that point at a Customer through a `customer` field: computed, deleted outright.
HEALTH_RECORD_DOCTYPES = (
	"Customer Health Snapshot",
	"Customer Health Change",
	"Customer Health Alert",
	"Customer Usage Record",
)


def fold_customer_health(old_name: str, new_name: str) -> None:
	"""A merge: the survivor's Customer Health is kept (score, override, audit) and the merged one's
	dropped, or it becomes the survivor's when it has none; snapshots on a day and kind both have keep
	the survivor's; the merged one's open alerts in a band the survivor has open are resolved."""
	_merge_health(old_name, new_name)
	_merge_snapshots(old_name, new_name)
	_merge_alerts(old_name, new_name)


def rename_customer_health(old_name: str, new_name: str, merge: bool = False) -> None:
	"""After a rename: link fields follow by themselves; the Customer Health record is renamed, or dropped
	when the survivor of a merge has its own (it is recomputed from the combined documents)."""
	if not frappe.db.exists("Customer Health", old_name):
		return
	if merge or frappe.db.exists("Customer Health", new_name):
		_delete_health(old_name)
	else:
		frappe.rename_doc("Customer Health", old_name, new_name, force=True, show_alert=False)


def delete_customer_health(customer: str) -> None:
	_delete_health(customer)
	for doctype in HEALTH_RECORD_DOCTYPES:
		frappe.db.delete(doctype, {"customer": customer})


def _merge_health(old_name: str, new_name: str) -> None:
	if not frappe.db.exists("Customer Health", old_name):
		return
	if frappe.db.exists("Customer Health", new_name):
		_delete_health(old_name)
	else:
		frappe.rename_doc("Customer Health", old_name, new_name, force=True, show_alert=False)


def _merge_snapshots(old_name: str, new_name: str) -> None:
	kept = {
		(row.snapshot_date, row.kind)
		for row in frappe.get_all(
			"Customer Health Snapshot", filters={"customer": new_name}, fields=["snapshot_date", "kind"]
		)
	}
	colliding = [
		row.name
		for row in frappe.get_all(
			"Customer Health Snapshot",
			filters={"customer": old_name},
			fields=["name", "snapshot_date", "kind"],
		)
		if (row.snapshot_date, row.kind) in kept
	]
	if colliding:
		frappe.db.delete("Customer Health Snapshot", {"name": ("in", colliding)})


def _merge_alerts(old_name: str, new_name: str) -> None:
	open_bands = frappe.get_all(
		"Customer Health Alert", filters={"customer": new_name, "status": "Open"}, pluck="band"
	)
	if open_bands:
		frappe.db.set_value(
			"Customer Health Alert",
			{"customer": old_name, "status": "Open", "band": ("in", open_bands)},
			{"status": "Resolved", "resolved_on": now_datetime()},
		)


def _delete_health(name: str) -> None:
	frappe.db.delete("Customer Health Measure", {"parent": name, "parenttype": "Customer Health"})
	frappe.db.delete("Customer Health", {"name": name})
