"""Small Frappe helpers shared across modules."""

import frappe


def commit_get_request() -> None:
	"""Frappe commits POST requests itself; a GET that writes (a page view, an email link) must
	commit on its own. Outside a request (tests, jobs) the caller's transaction is left alone."""
	request = getattr(frappe.local, "request", None)
	if request is not None and request.method == "GET":
		frappe.db.commit()
