"""Our work inside someone else's transaction or job: isolated, logged, and acting as the right user."""

import functools
from contextlib import contextmanager
from functools import wraps

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
	frappe.db.savepoint(savepoint)
	try:
		work()
	except Exception as error:
		if transaction_lost(error):
			raise
		frappe.db.rollback(save_point=savepoint)
		_log_failure(title, reference_doctype, reference_name)


def run_logged(read, *, title: str, reference_doctype=None, reference_name=None):
	"""Return `read()`, work that only reads, so has nothing to undo and needs no savepoint (a round trip
	each). An ordinary error is logged and gives None; a lost transaction is raised as in run_isolated."""
	try:
		return read()
	except Exception as error:
		if transaction_lost(error):
			raise
		_log_failure(title, reference_doctype, reference_name)
		return None


def _log_failure(title: str, reference_doctype, reference_name) -> None:
	frappe.log_error(
		title=title,
		message=frappe.get_traceback(with_context=True),
		reference_doctype=reference_doctype,
		reference_name=reference_name,
	)


# Who background work acts as. Frappe runs a job as whoever enqueued it (frappe.enqueue stores
# frappe.session.user and the worker calls frappe.set_user with it), and the after-commit drain is
# enqueued by whichever request happened to commit first: a guest answering a survey, a portal user, an
# agent. Our jobs act for the system, so they switch to Administrator on purpose; the records they make
# name the real actor in their own fields (a touchpoint's contact, a run's play and source).
SYSTEM_USER = "Administrator"


@contextmanager
def as_administrator():
	"""Run the block as Administrator, then give the session back as it was. Inside a request or a test
	(a job run inline) the caller's user, session data and form_dict are restored afterwards."""
	local = frappe.local
	user = frappe.session.user
	if user == SYSTEM_USER:
		yield
		return
	saved = (local.session.sid, local.session.data, local.form_dict, local.cache)
	frappe.set_user(SYSTEM_USER)
	try:
		yield
	finally:
		frappe.set_user(user)
		local.session.sid, local.session.data, local.form_dict, local.cache = saved


def run_as_administrator(job):
	"""Decorator for a job's entry point: it acts as Administrator however it was started (a worker,
	the scheduler, inline in a test or a request)."""

	@wraps(job)
	def wrapper(*args, **kwargs):
		with as_administrator():
			return job(*args, **kwargs)

	return wrapper


SCHEDULED_JOB_RUNNER = "frappe.core.doctype.scheduled_job_type.scheduled_job_type.run_scheduled_job"


def run_our_jobs_as_administrator(method: str | None = None, kwargs: dict | None = None, **_ignored) -> None:
	"""`before_job` hook: a queued job of this app (or a scheduled one) starts as Administrator rather than
	as whoever enqueued it. Other apps' jobs are left alone; it never raises (a job must still run)."""
	try:
		target = (kwargs or {}).get("job_type") if method == SCHEDULED_JOB_RUNNER else method
		if (
			isinstance(target, str)
			and target.startswith("cs_success.")
			and frappe.session.user != SYSTEM_USER
		):
			frappe.set_user(SYSTEM_USER)
	except Exception:
		frappe.log_error(title="cs_success: could not run a job as Administrator")


def safe_hook(handler):
	@functools.wraps(handler)
	def wrapper(doc, method=None, *args, **kwargs):
		try:
			handler(doc, method, *args, **kwargs)
		except Exception as error:
			if transaction_lost(error):
				raise
			frappe.log_error(
				title=f"cs_success: {handler.__name__} failed on {doc.doctype}",
				reference_doctype=doc.doctype,
				reference_name=doc.name,
			)

	return wrapper


def transaction_lost(error: Exception) -> bool:
	"""A deadlock rolls back the whole transaction and a dropped connection loses it: the host
	document's earlier writes are gone too, so carrying on would save it half-done. Those errors go
	to the host (Frappe retries deadlocked jobs); every other error of ours is logged and swallowed."""
	if not error.args:  # raised without arguments (a bare assert): not a database error
		return False
	return frappe.db.is_deadlocked(error) or frappe.db.is_interface_error(error)
