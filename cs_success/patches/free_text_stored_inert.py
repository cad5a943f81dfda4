"""Free text stored before our documents made it inert on entry (cs_success/base/text.py) may still
hold markup that Frappe's sanitiser let through (any JSON-shaped value): make it inert in place.

Plain-text columns get `<` and `>` escaped in SQL, which is what a save does now; rich-text columns and
the audit comments on our documents are sanitised row by row (few rows hold markup)."""

import frappe
from frappe.utils.html_utils import sanitize_html

from cs_success.base.text import (
	MODULE,
	NOT_FREE_TEXT_OPTIONS,
	PLAIN_TEXT_TYPES,
	RICH_TEXT_TYPES,
)


def execute():
	doctypes = frappe.get_all(
		"DocType", filters={"module": MODULE, "issingle": 0, "is_virtual": 0}, pluck="name"
	)
	for doctype in doctypes:
		meta = frappe.get_meta(doctype)
		for df in meta.fields:
			if not frappe.db.has_column(doctype, df.fieldname):
				continue
			if df.fieldtype in PLAIN_TEXT_TYPES and (df.options or "") not in NOT_FREE_TEXT_OPTIONS:
				frappe.db.sql(
					f"""update `tab{doctype}`
					set `{df.fieldname}` = replace(replace(`{df.fieldname}`, '<', '&lt;'), '>', '&gt;')
					where `{df.fieldname}` like '%%<%%' or `{df.fieldname}` like '%%>%%'"""
				)
			elif df.fieldtype in RICH_TEXT_TYPES:
				_sanitise_rows(f"tab{doctype}", df.fieldname)

	# Audit comments (an override's reason) are rendered as HTML on the record's timeline.
	if doctypes:
		for name, content in frappe.db.sql(
			"""select name, content from `tabComment`
			where reference_doctype in %(doctypes)s and content like '%%<%%'""",
			{"doctypes": doctypes},
		):
			cleaned = sanitize_html(content, always_sanitize=True)
			if cleaned != content:
				frappe.db.set_value("Comment", name, "content", cleaned, update_modified=False)


def _sanitise_rows(table: str, column: str) -> None:
	for name, value in frappe.db.sql(f"select name, `{column}` from `{table}` where `{column}` like '%%<%%'"):
		cleaned = sanitize_html(value, always_sanitize=True)
		if cleaned != value:
			frappe.db.sql(f"update `{table}` set `{column}` = %s where name = %s", (cleaned, name))
