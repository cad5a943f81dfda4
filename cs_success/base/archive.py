"""Deleting documents in bulk the way frappe.delete_doc would: a Deleted Document copy of each, restorable
from Desk, without each one's hooks, link check and background job."""

import frappe
from frappe.utils import now_datetime

# Documents read, copied and deleted per statement (archive_and_delete).
ARCHIVE_CHUNK = 500


def keep_deleted_copies(doctype: str, rows: list[dict]) -> None:
	"""A Deleted Document for each document (a row, with its child rows under their table fields), as
	frappe.delete_doc writes one: the document as JSON, restorable from Desk. In bulk, for the rows a
	rebuild or a customer's delete (health.records) removes without delete_doc."""
	now, user = now_datetime(), frappe.session.user
	frappe.db.bulk_insert(
		"Deleted Document",
		["name", "creation", "modified", "owner", "modified_by", "deleted_doctype", "deleted_name", "data"],
		[
			(
				frappe.generate_hash(length=20), now, now, user, user, doctype, row["name"],
				frappe.get_doc({**row, "doctype": doctype}).as_json(),
			)
			for row in rows
		],
	)  # fmt: skip


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
		keep_deleted_copies(
			doctype,
			[
				{**row, **{field: by_parent.get(row.name, []) for field, by_parent in children.items()}}
				for row in frappe.db.get_values(doctype, {"name": ("in", chunk)}, "*", as_dict=True)
			],
		)
		delete_documents(doctype, chunk, tables)


def delete_documents(doctype: str, names: list[str], tables=None) -> None:
	if not names:
		return
	for df in frappe.get_meta(doctype).get_table_fields() if tables is None else tables:
		frappe.db.delete(df.options, {"parent": ("in", names), "parenttype": doctype})
	frappe.db.delete(doctype, {"name": ("in", names)})
