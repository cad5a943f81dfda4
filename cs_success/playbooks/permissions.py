"""Who may change a play run, and what a person may change at all.

Who: CS Managers (and System Managers) any run; a CS Agent only the runs they own or those of customers
they manage, judged on the run as it is STORED: a save that makes the agent the run's owner must not
pass the check it is trying to get past. Reading stays as the role permissions give it (the team sees the
work).

What: a run's fields are the server's (its play, customer, status, reason, the dates, the figures at the
start and after 90 days, the open key). People change runs through the endpoints in api/plays.py
(snooze, close, start a held one), which save with `doc.flags.cs_server_update` set; a client save
(REST, frappe.client.set_value/save, the Desk form) may change only the owner, and only a manager may.
`doc.flags` cannot be set from a request (Frappe drops "flags" from the data it is given)."""

import frappe
from frappe import _
from frappe.model import no_value_fields
from frappe.utils import cint, cstr, flt, get_datetime, getdate

from cs_success.base.roles import MANAGER_ROLES
from cs_success.base.text import as_text

READ_PTYPES = (None, "read", "report", "print", "export", "email", "share")
# Set by the run lifecycle (playbooks/runs.py) on the documents it saves.
SERVER_UPDATE_FLAG = "cs_server_update"
# What a manager may change by hand: who works the run.
MANAGER_EDITABLE = frozenset({"run_owner"})
# Standard fields a client save could send too (fieldname, type).
STANDARD_LOCKED = (("owner", "Link"), ("creation", "Datetime"))
NUMERIC_TYPES = frozenset({"Int", "Check", "Float", "Currency", "Percent"})


class ServerOwnedFieldError(frappe.ValidationError):
	pass


def is_manager(user: str | None = None) -> bool:
	user = user or frappe.session.user
	return user == "Administrator" or bool(set(MANAGER_ROLES) & set(frappe.get_roles(user)))


def play_run_permission(doc, ptype: str | None = None, user: str | None = None) -> bool | None:
	if ptype in READ_PTYPES:
		return None  # the role permissions decide
	user = user or frappe.session.user
	if is_manager(user):
		return None
	stored = _stored(doc)
	if not stored:
		return False  # runs are started by their plays, never by an agent
	if stored.run_owner == user:
		return None
	if stored.customer and frappe.db.get_value("Customer", stored.customer, "account_manager") == user:
		return None
	return False


def _stored(doc):
	"""The run's owner and customer as the database holds them (None: not stored yet)."""
	name = doc if isinstance(doc, str) else (doc.get("name") if doc else None)
	if not name:
		return None
	return frappe.db.get_value("Play Run", name, ["run_owner", "customer"], as_dict=True)


def check_client_changes(doc) -> None:
	"""Refuse a client's insert, and a client's change of any field the server owns (see the module's
	docstring). The app's own saves carry SERVER_UPDATE_FLAG; server code of other apps that inserts a
	run does so with ignore_permissions, which no client save has."""
	if doc.flags.get(SERVER_UPDATE_FLAG):
		return
	if doc.is_new():
		if not doc.flags.ignore_permissions:
			frappe.throw(_("Play runs are started by their plays, not by hand."), ServerOwnedFieldError)
		return
	before = doc.get_doc_before_save()
	if before is None:  # not loaded by save (a direct call): read it, locked as save would
		before = frappe.get_doc(doc.doctype, doc.name, for_update=True)
	editable = MANAGER_EDITABLE if is_manager() else frozenset()
	changed = [
		df.label or df.fieldname
		for df in doc.meta.fields
		if df.fieldtype not in no_value_fields
		and df.fieldname not in editable
		and not _same(df.fieldtype, before.get(df.fieldname), doc.get(df.fieldname))
	]
	changed += [
		field
		for field, fieldtype in STANDARD_LOCKED
		if not _same(fieldtype, before.get(field), doc.get(field))
	]
	if changed:
		frappe.throw(
			_("These fields of a play run are set by the system and cannot be changed here: {0}").format(
				", ".join(_(label) for label in changed)
			),
			ServerOwnedFieldError,
		)


def _same(fieldtype: str, old, new) -> bool:
	"""Equal as stored: a client sends dates as strings and numbers as text, and an empty number is 0."""
	if fieldtype in NUMERIC_TYPES:
		return flt(old) == flt(new) if fieldtype not in ("Int", "Check") else cint(old) == cint(new)
	if old in (None, "") or new in (None, ""):
		return old in (None, "") and new in (None, "")
	try:
		if fieldtype == "Date":
			return getdate(old) == getdate(new)
		if fieldtype == "Datetime":
			return get_datetime(old) == get_datetime(new)
	except Exception:
		return False  # not a date at all: a change
	# Text is stored inert (plain_text.py): a value that only differs by that is the same value.
	return as_text(cstr(old)) == as_text(cstr(new))
