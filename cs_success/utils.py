"""Small Frappe helpers shared across modules."""

import frappe


def commit_get_request() -> None:
	"""Frappe commits POST requests itself; a GET that writes (a page view, an email link) must
	commit on its own. Outside a request (tests, jobs) the caller's transaction is left alone."""
	request = getattr(frappe.local, "request", None)
	if request is not None and request.method == "GET":
		frappe.db.commit()


def run_isolated(savepoint: str, work, *, title: str, reference_doctype=None, reference_name=None) -> None:
	"""Run `work()` in a savepoint. An ordinary error is undone to the savepoint and logged; a lost
	transaction (a deadlock, a dropped connection) is raised as it is: the savepoint went
	with it, and the caller's own handling (the drain's retry) must see the original error."""
	from cs_success.health.events import transaction_lost

	frappe.db.savepoint(savepoint)
	try:
		work()
	except Exception as error:
		if transaction_lost(error):
			raise
		frappe.db.rollback(save_point=savepoint)
		frappe.log_error(
			title=title,
			message=frappe.get_traceback(with_context=True),
			reference_doctype=reference_doctype,
			reference_name=reference_name,
		)
