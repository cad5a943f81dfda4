"""The alert webhook URL became a Password field (it works as a credential for the chat channel): a URL
stored before in plain text moves into Frappe's encrypted store, and the field keeps asterisks. A timeout
above the new ceiling (the whole attempt now has at most the client's deadline) comes down to it."""

import frappe
from frappe.utils import cint
from frappe.utils.password import set_encrypted_password

from cs_success.health.alerts import MAX_TIMEOUT_SECONDS, WEBHOOK_URL_FIELD


def execute():
	url = stored("CS Settings", WEBHOOK_URL_FIELD)
	if url and set(url) != {"*"}:
		set_encrypted_password("CS Settings", "CS Settings", url.strip(), WEBHOOK_URL_FIELD)
		frappe.db.set_single_value("CS Settings", WEBHOOK_URL_FIELD, "*" * len(url.strip()))
	timeout = stored("CS Settings", "webhook_timeout_seconds")
	if cint(timeout) > MAX_TIMEOUT_SECONDS:
		frappe.db.set_single_value("CS Settings", "webhook_timeout_seconds", MAX_TIMEOUT_SECONDS)


def stored(doctype: str, field: str) -> str | None:
	"""The raw stored value: the field is a Password field now, so the meta no longer describes it."""
	rows = frappe.db.sql("SELECT value FROM `tabSingles` WHERE doctype = %s AND field = %s", (doctype, field))
	return rows[0][0] if rows else None
