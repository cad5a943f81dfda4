"""The Customer's glue: when ERPNext merges, renames or deletes a Customer, each domain folds its own
records about it, lowest first (the ledger and touchpoints, then health and surveys, then playbooks).
Above the domains, so none of them knows the others.

doc_events handlers on Customer (hooks.py); each is a safe_hook: an error of ours is logged and the
Customer's save, rename or delete goes through."""

from __future__ import annotations

import frappe

from cs_success.base.archive import archive_and_delete, delete_documents
from cs_success.base.isolation import safe_hook, transaction_lost
from cs_success.base.queue import queue_recompute
from cs_success.health.events import event_recompute_enabled
from cs_success.health.measure_data import forget_cached_values
from cs_success.health.records import delete_customer_health, fold_customer_health, rename_customer_health
from cs_success.playbooks.runs import delete_customer_runs, fold_customer_runs, rekey_open_runs
from cs_success.touchpoints.record import fold_customer_touchpoints

# Our doctypes, outside health, that point at a Customer through a `customer` field and are deleted
# outright with it: the invitations that only say a survey was sent, and the revenue ledger, rebuilt
# from the documents that go with the customer.
COMPUTED_RECORD_DOCTYPES = (
	"Survey Invitation",
	"MRR Interval",
	"MRR Movement",
	"Customer Active Span",
	"Customer Lifecycle Event",
	"Agreement Renewal",
)

# Set on a Customer being deleted (frappe.delete_doc(..., flags={DELETE_PERMANENTLY: True})) to keep no
# Deleted Document copies of our records about it: the demo's clear, which removes only its own data.
DELETE_PERMANENTLY = "cs_success_delete_permanently"


def _queue(customers) -> None:
	if event_recompute_enabled():
		queue_recompute(customers)


@safe_hook
def on_customer_update(doc, method=None):
	_queue([doc.name])


@safe_hook
def on_customer_before_rename(doc, method=None, old_name=None, new_name=None, merge=False):
	"""A merge folds our records into the survivor's first (prepare_customer_merge, all or nothing).
	Should that fail it is logged; a merge with nothing to fold still goes through."""
	if merge and old_name and new_name and old_name != new_name:
		prepare_customer_merge(old_name, new_name)


@safe_hook
def on_customer_rename(doc, method=None, old_name=None, new_name=None, merge=False):
	rename_customer_records(old_name, new_name, merge)
	_queue([new_name])


@safe_hook
def on_customer_trash(doc, method=None):
	# All or nothing: should a copy fail (logged; the Customer still goes), no record is left deleted
	# without its Deleted Document, nor copied and still there.
	frappe.db.savepoint("cs_success_customer_trash")
	try:
		delete_customer_records(doc.name, keep_copies=not doc.flags.get(DELETE_PERMANENTLY))
	except Exception as error:
		if not transaction_lost(error):  # a lost transaction has no savepoint left to go back to
			frappe.db.rollback(save_point="cs_success_customer_trash")
		raise


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
		fold_customer_touchpoints(old_name, new_name)
		fold_customer_health(old_name, new_name)
		fold_customer_runs(old_name, new_name)
	except Exception:
		frappe.db.rollback(save_point="cs_success_merge")
		raise


def rename_customer_records(old_name: str, new_name: str, merge: bool = False) -> None:
	"""After a rename. Link fields follow by themselves; what is keyed or named by the customer's name is
	set right by its domain. On a merge `prepare_customer_merge` has already folded the records."""
	rekey_open_runs(new_name)
	rename_customer_health(old_name, new_name, merge)
	# The documents moved without being written: values kept for the day under either name are stale.
	forget_cached_values([old_name, new_name])


def delete_customer_records(customer: str, keep_copies: bool = True) -> None:
	"""Our records about a deleted Customer go with it. What a person wrote is kept as a Deleted Document,
	as Frappe keeps the Customer itself, so Desk can restore it: survey responses with their answers,
	success plans, touchpoints, advocacy asks, play runs and their tasks, and a churn reason or notes on a lifecycle
	event. Rows we compute (health, snapshots, changes, alerts, the revenue ledger) and the invitations
	that only say a survey was sent are deleted outright: they are rebuilt from the documents, and a copy
	of each would only fill Deleted Document. `keep_copies=False` (the demo's clear) keeps none."""
	delete_customer_health(customer)
	archive = archive_and_delete if keep_copies else delete_documents
	archive(
		"Survey Response", frappe.get_all("Survey Response", filters={"customer": customer}, pluck="name")
	)
	for plan in frappe.get_all("Success Plan", filters={"customer": customer}, pluck="name"):
		# Through delete_doc (a Deleted Document copy, attachments): a customer has a few plans.
		frappe.delete_doc(
			"Success Plan", plan, ignore_permissions=True, force=True, delete_permanently=not keep_copies
		)
	archive("Touchpoint", frappe.get_all("Touchpoint", filters={"customer": customer}, pluck="name"))
	archive("Advocacy Ask", frappe.get_all("Advocacy Ask", filters={"customer": customer}, pluck="name"))
	# An advocate's referral that became this customer keeps its Lead; the customer it named is gone.
	frappe.db.set_value("Advocacy Ask", {"referred_customer": customer}, "referred_customer", None)
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
	for doctype in COMPUTED_RECORD_DOCTYPES:
		frappe.db.delete(doctype, {"customer": customer})
	delete_customer_runs(customer, archive)
