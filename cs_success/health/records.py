"""Keeping our records in step with the Customer they describe."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import now_datetime

# Our doctypes that point at a Customer through a `customer` field.
CUSTOMER_RECORD_DOCTYPES = (
	"Customer Health Snapshot",
	"Customer Health Change",
	"Customer Health Alert",
	"Customer Usage Record",
	"Survey Invitation",
	"Touchpoint",
	# The revenue ledger: rebuilt from documents, which go with the customer.
	"MRR Interval",
	"MRR Movement",
	"Customer Active Span",
	"Customer Lifecycle Event",
	"Agreement Renewal",
)


def prepare_customer_merge(old_name: str, new_name: str) -> None:
	"""Before a merge of Customer `old_name` into `new_name` (Customer before_rename, merge only).

	Frappe then points every Link at the survivor with one UPDATE per field, which would break two
	unique keys (Customer Health.customer; a snapshot's customer + snapshot_date + kind) and leave
	doubles where a record means "once per customer". The rule: **the survivor's own record wins
	a collision; everything of the merged customer that does not collide moves over**:

	- Customer Health: the survivor's is kept (score, override, audit); the merged one's is dropped.
	  If the survivor has none, the merged one's becomes the survivor's. Either way the drain
	  recomputes the survivor (and rebuilds its revenue ledger) from the combined documents.
	- Snapshots: on a day and kind both have, the survivor's is kept and the merged one's dropped;
	  the merged one's other days move over, so the trend keeps its history.
	- Touchpoints: all move over. One email to a contact of both customers was recorded once per
	  customer (its source key names the customer): the survivor's is kept, the merged one's dropped,
	  and the moved ones get the survivor's key so a re-run cannot record them again.
	- Open alerts: one open alert per customer and band; the merged one's is resolved where the
	  survivor has an open one in the same band.
	- Everything else (changes, usage, invitations, responses, plans, ledger rows) simply moves:
	  nothing there is unique per customer, and the ledger is rebuilt after the merge.

	All or nothing: a failure rolls back to the start, and the merge then stops on the unique key
	rather than half-fold the records."""
	frappe.db.savepoint("cs_success_merge")
	try:
		_merge_health(old_name, new_name)
		_merge_snapshots(old_name, new_name)
		_merge_touchpoints(old_name, new_name)
		_merge_alerts(old_name, new_name)
		_merge_play_runs(old_name, new_name)
	except Exception:
		frappe.db.rollback(save_point="cs_success_merge")
		raise


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


def _merge_touchpoints(old_name: str, new_name: str) -> None:
	suffix = f":{old_name}"
	for row in frappe.get_all(
		"Touchpoint",
		filters={"customer": old_name, "source_key": ("like", f"Communication:%{suffix}")},
		fields=["name", "source_key"],
	):
		if not row.source_key.endswith(suffix):  # LIKE's _ and % in a customer name
			continue
		key = row.source_key[: -len(suffix)] + f":{new_name}"
		if frappe.db.exists("Touchpoint", {"source_key": key}):
			frappe.db.delete("Touchpoint", {"name": row.name})
		else:
			frappe.db.set_value("Touchpoint", row.name, "source_key", key, update_modified=False)


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


def _merge_play_runs(old_name: str, new_name: str) -> None:
	"""One open run per customer and play: where both have one, the survivor's stays and the merged one's
	closes (no effect); the merged one's other open runs move over under the survivor's key."""
	from cs_success.playbooks.runs import CLOSED, NOT_CLOSED, open_key

	survivors = set(
		frappe.get_all("Play Run", filters={"customer": new_name, "status": ("in", NOT_CLOSED)}, pluck="play")
	)
	for run in frappe.get_all(
		"Play Run", filters={"customer": old_name, "status": ("in", NOT_CLOSED)}, fields=["name", "play"]
	):
		if run.play in survivors:
			values = {
				"status": CLOSED,
				"open_key": None,
				"outcome": "No Effect",
				"outcome_note": _("Merged into {0}, which has its own run of this play.").format(new_name),
				"closed_on": now_datetime(),
			}
		else:
			values = {"open_key": open_key(run.play, new_name)}
		frappe.db.set_value("Play Run", run.name, values, update_modified=False)


def rename_customer_records(old_name: str, new_name: str, merge: bool = False) -> None:
	"""After a rename. Link fields follow by themselves; Customer Health is *named* after the customer.
	On a merge `prepare_customer_merge` has already folded the records; what is left here is a
	merged customer's health row that it could not fold (it then only needs dropping: the survivor
	is recomputed)."""
	# Open play runs are keyed by the customer's name (one per customer and play).
	frappe.db.sql(
		"""UPDATE `tabPlay Run` SET open_key = CONCAT(play, '|', customer)
		WHERE customer = %(new)s AND status != 'Closed'""",
		{"new": new_name},
	)
	if not frappe.db.exists("Customer Health", old_name):
		return
	if merge or frappe.db.exists("Customer Health", new_name):
		_delete_health(old_name)
	else:
		frappe.rename_doc("Customer Health", old_name, new_name, force=True, show_alert=False)


def delete_customer_records(customer: str, keep_copies: bool = True) -> None:
	"""Our records about a deleted Customer go with it. What a person wrote is kept as a Deleted Document,
	as Frappe keeps the Customer itself, so Desk can restore it: survey responses with their answers,
	success plans, touchpoints, play runs and their tasks, and a churn reason or notes on a lifecycle
	event. Rows we compute (health, snapshots, changes, alerts, the revenue ledger) and the invitations
	that only say a survey was sent are deleted outright: they are rebuilt from the documents, and a copy
	of each would only fill Deleted Document. `keep_copies=False` (the demo's clear) keeps none."""
	_delete_health(customer)
	archive = archive_and_delete if keep_copies else _delete_documents
	archive(
		"Survey Response", frappe.get_all("Survey Response", filters={"customer": customer}, pluck="name")
	)
	for plan in frappe.get_all("Success Plan", filters={"customer": customer}, pluck="name"):
		# Through delete_doc (a Deleted Document copy, attachments): a customer has a few plans.
		frappe.delete_doc(
			"Success Plan", plan, ignore_permissions=True, force=True, delete_permanently=not keep_copies
		)
	archive("Touchpoint", frappe.get_all("Touchpoint", filters={"customer": customer}, pluck="name"))
	if keep_copies:
		# A person's churn reason or notes; the event itself is the ledger's and is rebuilt.
		archive_and_delete(
			"Customer Lifecycle Event",
			frappe.db.sql_list(
				"""SELECT name FROM `tabCustomer Lifecycle Event` WHERE customer = %(customer)s
				AND (churn_reason_source = 'Manual' AND IFNULL(churn_reason, '') != ''
					OR IFNULL(churn_notes, '') != '')""",
				{"customer": customer},
			),
		)
	for doctype in CUSTOMER_RECORD_DOCTYPES:
		frappe.db.delete(doctype, {"customer": customer})
	# Play runs, and the tasks they made, go with the customer they were about.
	if runs := frappe.get_all("Play Run", filters={"customer": customer}, pluck="name"):
		archive(
			"ToDo",
			frappe.get_all(
				"ToDo",
				filters={"reference_type": "Play Run", "reference_name": ("in", runs)},
				pluck="name",
			),
		)
		archive("Play Run", runs)


# Documents read, copied and deleted per statement (archive_and_delete).
ARCHIVE_CHUNK = 500


def archive_and_delete(doctype: str, names: list[str]) -> None:
	"""Delete these documents leaving what frappe.delete_doc leaves: a Deleted Document each, holding the
	document with its child rows, which Desk's Restore inserts again. In bulk, a few statements per
	chunk: a customer can have thousands of touchpoints, and delete_doc costs each its hooks, a link
	check and a background job. Their own on_trash only queued a recompute of the customer that is
	going."""
	if not names:
		return
	tables = frappe.get_meta(doctype).get_table_fields()
	for start in range(0, len(names), ARCHIVE_CHUNK):
		chunk = names[start : start + ARCHIVE_CHUNK]
		children = {}
		for df in tables:
			by_parent = children.setdefault(df.fieldname, {})
			for row in frappe.db.get_values(
				df.options,
				{"parent": ("in", chunk), "parenttype": doctype, "parentfield": df.fieldname},
				"*",
				as_dict=True,
				order_by="idx",
			):
				by_parent.setdefault(row.parent, []).append(row)
		from cs_success.ledger.build import keep_deleted_copies

		keep_deleted_copies(
			doctype,
			[
				{**row, **{field: by_parent.get(row.name, []) for field, by_parent in children.items()}}
				for row in frappe.db.get_values(doctype, {"name": ("in", chunk)}, "*", as_dict=True)
			],
		)
		_delete_documents(doctype, chunk, tables)


def _delete_documents(doctype: str, names: list[str], tables=None) -> None:
	if not names:
		return
	for df in frappe.get_meta(doctype).get_table_fields() if tables is None else tables:
		frappe.db.delete(df.options, {"parent": ("in", names), "parenttype": doctype})
	frappe.db.delete(doctype, {"name": ("in", names)})


def _delete_health(name: str) -> None:
	frappe.db.delete("Customer Health Measure", {"parent": name, "parenttype": "Customer Health"})
	frappe.db.delete("Customer Health", {"name": name})
