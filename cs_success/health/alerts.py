"""Alerts when a customer ENTERS a worse band: once per customer and band, until it recovers.

The optional webhook goes through the shared client (cs_success/base/webhooks.py: public addresses only,
pinned, no redirects, one total deadline). Each attempt is one job and never sleeps; a failed attempt is
retried by `retry_due_webhooks` after a backoff, and so is an attempt whose job was killed (its claim
lapses). The URL is a Password field: it works as a credential for the chat channel, so only those who
may edit CS Settings set it and nobody reads it back.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import add_to_date, cint, escape_html, get_url_to_form, now_datetime
from frappe.utils.password import get_decrypted_password

from cs_success.base.roles import CS_MANAGER

# The client and its rule and codes are the shared module's; re-exported for the settings form and tests.
from cs_success.base.webhooks import (  # noqa: F401
	ALLOW_PRIVATE_KEY,
	DEADLINE_SECONDS,
	ERROR_ADDRESS,
	ERROR_CONNECTION,
	ERROR_DNS,
	ERROR_HTTP,
	ERROR_REDIRECT,
	ERROR_TIMEOUT,
	FALLBACK_QUEUE,
	JOB_TIMEOUT_SECONDS,
	WEBHOOK_QUEUE,
	WebhookHostNotResolved,
	WebhookURLError,
	check_webhook_url,
	is_public_address,
	post_json,
	private_addresses_allowed,
	webhook_queue,
)
from cs_success.engine.health_score import AT_RISK, CRITICAL, band_rank, entered_worse_band

# The timeout in CS Settings is the whole attempt's (connect, send, answer), so at most the client's
# deadline.
MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS, DEFAULT_TIMEOUT_SECONDS = 1, DEADLINE_SECONDS, 5
MIN_ATTEMPTS, MAX_ATTEMPTS, DEFAULT_ATTEMPTS = 1, 5, 3
# Minutes to wait after failed attempt 1, 2, 3, 4.
BACKOFF_MINUTES = (1, 5, 30, 120)
# An attempt holds its alert this long: its deadline, plus the address check's DNS lookup (which has only
# the resolver's own timeouts) and our reads and writes. A job killed mid-attempt (worker restart, queue
# timeout) leaves the claim behind; once it lapses the scheduler tries again.
CLAIM_SECONDS = 60
RETRY_BATCH = 500
OPEN_STATUSES = ("Pending", "Retrying")
WEBHOOK_URL_FIELD = "alert_webhook_url"

# All that `webhook_last_error` ever holds: the client's codes and these.
ERROR_INTERRUPTED = "Interrupted"
ERROR_NOT_CONFIGURED = "Not configured"

FAILED_LOG_TITLE = "cs_success: alert webhook failed"


def handle_band_changes(outcomes, raise_alerts: bool = True) -> None:
	"""`outcomes` are recompute outcomes whose effective band changed."""
	if not outcomes:
		return
	_resolve_recovered(outcomes)
	if not raise_alerts or not frappe.db.get_single_value("CS Settings", "enable_alerts"):
		return
	for o in outcomes:
		if entered_worse_band(o.previous.band, o.band):
			raise_alert(o.customer, o.band, o.previous.band, o.score, o.result)


def _resolve_recovered(outcomes) -> None:
	"""Open alerts for bands worse than where the customer now is are resolved."""
	now = now_datetime()
	for o in outcomes:
		rank = band_rank(o.band)
		if rank is None:
			continue
		worse = [b for b in (AT_RISK, CRITICAL) if band_rank(b) > rank]
		if worse:
			frappe.db.set_value(
				"Customer Health Alert",
				{"customer": o.customer.name, "status": "Open", "band": ("in", worse)},
				{"status": "Resolved", "resolved_on": now},
				update_modified=True,
			)


def raise_alert(customer, band: str, previous_band: str, score: float | None, result) -> str | None:
	if frappe.db.exists("Customer Health Alert", {"customer": customer.name, "band": band, "status": "Open"}):
		return None
	settings = frappe.get_cached_doc("CS Settings")
	assignee = customer.account_manager or settings.default_csm
	# The task about it is a play's (playbooks/: the shipped "Entered At Risk" and "Entered Critical").
	now = now_datetime()
	alert = frappe.get_doc(
		{
			"doctype": "Customer Health Alert",
			"customer": customer.name,
			"band": band,
			"previous_band": previous_band,
			"score": score,
			"status": "Open",
			"raised_on": now,
			"assigned_to": assignee,
			"webhook_status": "Pending" if settings.alert_webhook_url else "Not Configured",
			# Due now: if the job below is lost (Redis down at commit), the scheduler still sends it.
			"webhook_next_attempt_on": now if settings.alert_webhook_url else None,
		}
	).insert(ignore_permissions=True)

	if settings.alert_webhook_url:
		enqueue_delivery(alert.name, after_commit=True)
	return alert.name


def notify_band_moves(moves: dict[tuple[str, str], int]) -> None:
	"""One notification to every CS Manager after a configuration change moved customers between
	bands: how many entered a worse band, how many a better one, and the moves themselves."""
	from frappe.desk.doctype.notification_log.notification_log import enqueue_create_notification

	managers = [
		user
		for user in frappe.get_all(
			"Has Role", filters={"role": CS_MANAGER, "parenttype": "User"}, pluck="parent"
		)
		if user not in ("Administrator", "Guest") and frappe.db.get_value("User", user, "enabled")
	]
	if not managers:
		return
	worse = sum(count for (before, after), count in moves.items() if entered_worse_band(before, after))
	better = sum(count for (before, after), count in moves.items() if entered_worse_band(after, before))
	lines = "".join(
		f"<li>{escape_html(_(before))} → {escape_html(_(after))}: {count}</li>"
		for (before, after), count in sorted(moves.items(), key=lambda item: -item[1])
	)
	enqueue_create_notification(
		sorted(set(managers)),
		{
			"type": "Alert",
			"document_type": "Customer Health",
			"subject": _(
				"Health recomputed after a configuration change: {0} customers entered a worse band, {1} a better one."
			).format(worse, better),
			"email_content": f"<ul>{lines}</ul>",
		},
	)


def enqueue_delivery(alert_name: str, after_commit: bool = False) -> None:
	"""One attempt in a job of its own. The job id keeps the scheduler from queueing a second copy of
	an attempt that is already waiting; the claim in `deliver_webhook` covers the rest."""
	frappe.enqueue(
		"cs_success.health.alerts.deliver_webhook",
		queue=webhook_queue(),
		job_id=f"cs_success_webhook::{alert_name}",
		deduplicate=True,
		timeout=JOB_TIMEOUT_SECONDS,
		alert_name=alert_name,
		enqueue_after_commit=after_commit,
		now=frappe.flags.in_test,
	)


def alert_webhook_url() -> str | None:
	"""The URL as typed: CS Settings keeps it encrypted, its field shows only asterisks."""
	return get_decrypted_password("CS Settings", "CS Settings", WEBHOOK_URL_FIELD, raise_exception=False)


def webhook_limits() -> tuple[int, int]:
	"""(timeout in seconds, attempts) from CS Settings, clamped again here: a value written past the
	form's validation still cannot make a job hang or retry without end."""
	timeout = cint(frappe.db.get_single_value("CS Settings", "webhook_timeout_seconds"))
	attempts = cint(frappe.db.get_single_value("CS Settings", "webhook_max_attempts"))
	return (
		min(max(timeout or DEFAULT_TIMEOUT_SECONDS, MIN_TIMEOUT_SECONDS), MAX_TIMEOUT_SECONDS),
		min(max(attempts or DEFAULT_ATTEMPTS, MIN_ATTEMPTS), MAX_ATTEMPTS),
	)


def webhook_payload(alert) -> dict:
	customer_name = frappe.db.get_value("Customer", alert.customer, "customer_name") or alert.customer
	return {
		"event": "customer_health.band_entered",
		"customer": alert.customer,
		"customer_name": customer_name,
		"band": alert.band,
		"previous_band": alert.previous_band,
		"score": alert.score,
		"raised_on": str(alert.raised_on),
		"url": get_url_to_form("Customer Health", alert.customer),
		"text": _("{0} entered {1} (health score {2})").format(
			customer_name, _(alert.band), f"{alert.score:.0f}" if alert.score is not None else "-"
		),
	}


def deliver_webhook(alert_name: str) -> None:
	"""One attempt to POST the alert as JSON; the outcome is kept on the alert. Never sleeps: a
	failure is retried by `retry_due_webhooks` once its backoff is over."""
	url = alert_webhook_url()
	timeout, max_attempts = webhook_limits()
	claim = _claim(alert_name, url, max_attempts)
	if not claim:
		return
	claimed_at, attempt = claim
	error = post_json(url, webhook_payload(frappe.get_doc("Customer Health Alert", alert_name)), timeout)
	_record_outcome(alert_name, claimed_at, attempt, max_attempts, error)


def _claim(alert_name: str, url: str | None, max_attempts: int):
	"""Take a due alert for one attempt: (claimed at, attempt number), or None. The row lock makes
	two workers or schedulers take turns, and the second finds the alert no longer due. The claim
	is committed before the request so that it outlives a killed job."""
	now = now_datetime()
	row = frappe.db.get_value(
		"Customer Health Alert",
		alert_name,
		["webhook_status", "webhook_attempts", "webhook_next_attempt_on"],
		as_dict=True,
		for_update=True,
	)
	if not row or row.webhook_status not in OPEN_STATUSES:
		return None
	if row.webhook_next_attempt_on and row.webhook_next_attempt_on > now:
		return None
	if not url:
		_set_outcome(alert_name, {"webhook_status": "Not Configured", "webhook_next_attempt_on": None})
		return None
	attempts = cint(row.webhook_attempts)
	if attempts >= max_attempts:
		# The last attempt's job died before it could record an outcome.
		_fail(alert_name, attempts, ERROR_INTERRUPTED)
		return None
	frappe.db.set_value(
		"Customer Health Alert",
		alert_name,
		{
			"webhook_attempts": attempts + 1,
			"webhook_last_attempt_on": now,
			"webhook_next_attempt_on": add_to_date(now, seconds=CLAIM_SECONDS),
		},
		update_modified=False,
	)
	_commit()
	return now, attempts + 1


def _record_outcome(alert_name: str, claimed_at, attempt: int, max_attempts: int, error: str | None) -> None:
	claimed_now = frappe.db.get_value(
		"Customer Health Alert", alert_name, "webhook_last_attempt_on", for_update=True
	)
	if claimed_now != claimed_at:
		# This attempt outlived its claim and a newer one has taken the alert over: that one reports.
		return
	if error is None:
		_set_outcome(
			alert_name,
			{"webhook_status": "Delivered", "webhook_next_attempt_on": None, "webhook_last_error": None},
		)
	elif attempt >= max_attempts:
		_fail(alert_name, attempt, error)
	else:
		backoff = BACKOFF_MINUTES[min(attempt, len(BACKOFF_MINUTES)) - 1]
		_set_outcome(
			alert_name,
			{
				"webhook_status": "Retrying",
				"webhook_next_attempt_on": add_to_date(now_datetime(), minutes=backoff),
				"webhook_last_error": error,
			},
		)


def _fail(alert_name: str, attempts: int, error: str) -> None:
	_set_outcome(
		alert_name,
		{"webhook_status": "Failed", "webhook_next_attempt_on": None, "webhook_last_error": error},
	)
	frappe.log_error(
		title=FAILED_LOG_TITLE,
		message=f"{alert_name}: {error} after {attempts} attempt(s)",
		reference_doctype="Customer Health Alert",
		reference_name=alert_name,
	)


def _set_outcome(alert_name: str, values: dict) -> None:
	frappe.db.set_value("Customer Health Alert", alert_name, values)
	_commit()


def _commit() -> None:
	"""A claim or outcome must be visible to other workers at once, whatever happens to this job
	next. Tests run the job inline, inside the transaction their class rolls back."""
	if not frappe.flags.in_test:
		frappe.db.commit()


def retry_due_webhooks() -> None:
	"""Every 5 minutes: alerts whose retry is due, alerts whose job was lost before it ran, and
	alerts whose job was killed mid-attempt (their claim has lapsed)."""
	for name in frappe.get_all(
		"Customer Health Alert",
		filters={"webhook_status": ("in", OPEN_STATUSES)},
		or_filters=[
			["webhook_next_attempt_on", "<=", now_datetime()],
			["webhook_next_attempt_on", "is", "not set"],
		],
		order_by="webhook_next_attempt_on asc",
		limit=RETRY_BATCH,
		pluck="name",
	):
		enqueue_delivery(name)
