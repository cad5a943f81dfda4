"""Alerts when a customer ENTERS a worse band: once per customer and band, until it recovers.

The optional webhook is an outbound request to a URL an administrator typed, sent by a worker inside
our network, so it follows one rule (`check_webhook_url`): http(s), and only to public addresses. Each
attempt is one job and never sleeps; a failed attempt is retried by `retry_due_webhooks` after a
backoff, and so is an attempt whose job was killed (its claim lapses).
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

import frappe
from frappe import _
from frappe.utils import add_to_date, cint, escape_html, get_url_to_form, now_datetime, sbool
from frappe.utils.background_jobs import get_queues_timeout

from cs_success.engine.health_score import AT_RISK, CRITICAL, band_rank, entered_worse_band

# A slow endpoint must not hold up the health drain on "short": the webhook gets its own queue when the
# bench has one (a `workers` entry in common_site_config.json), else the long queue.
WEBHOOK_QUEUE = "cs_success_webhooks"
FALLBACK_QUEUE = "long"
MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS, DEFAULT_TIMEOUT_SECONDS = 1, 30, 5
MIN_ATTEMPTS, MAX_ATTEMPTS, DEFAULT_ATTEMPTS = 1, 5, 3
# Minutes to wait after failed attempt 1, 2, 3, 4.
BACKOFF_MINUTES = (1, 5, 30, 120)
# An attempt holds its alert this long (connect plus read timeout at most). A job killed mid-attempt
# (worker restart, queue timeout) leaves the claim behind; once it lapses the scheduler tries again.
CLAIM_SECONDS = 2 * MAX_TIMEOUT_SECONDS
RETRY_BATCH = 500
# Site config key for a site whose chat server is on its own network.
ALLOW_PRIVATE_KEY = "cs_success_webhook_allow_private"
OPEN_STATUSES = ("Pending", "Retrying")

# All that `webhook_last_error` ever holds: codes we write. Desk renders the field as HTML, so the
# remote's status text, body and exception messages never go in it (or into the Error Log).
ERROR_HTTP = "HTTP {0}"
ERROR_TIMEOUT = "Timeout"
ERROR_CONNECTION = "Connection error"
ERROR_REDIRECT = "Redirect not followed"
ERROR_ADDRESS = "Address not allowed"
ERROR_DNS = "Host not resolved"
ERROR_INTERRUPTED = "Interrupted"
ERROR_NOT_CONFIGURED = "Not configured"

FAILED_LOG_TITLE = "cs_success: alert webhook failed"


class WebhookURLError(frappe.ValidationError):
	pass


class WebhookHostNotResolved(WebhookURLError):
	pass


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
			"Has Role", filters={"role": "CS Manager", "parenttype": "User"}, pluck="parent"
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


def webhook_queue() -> str:
	return WEBHOOK_QUEUE if WEBHOOK_QUEUE in get_queues_timeout() else FALLBACK_QUEUE


def enqueue_delivery(alert_name: str, after_commit: bool = False) -> None:
	"""One attempt in a job of its own. The job id keeps the scheduler from queueing a second copy of
	an attempt that is already waiting; the claim in `deliver_webhook` covers the rest."""
	frappe.enqueue(
		"cs_success.health.alerts.deliver_webhook",
		queue=webhook_queue(),
		job_id=f"cs_success_webhook::{alert_name}",
		deduplicate=True,
		alert_name=alert_name,
		enqueue_after_commit=after_commit,
		now=frappe.flags.in_test,
	)


def webhook_limits() -> tuple[int, int]:
	"""(timeout in seconds, attempts) from CS Settings, clamped again here: a value written past the
	form's validation still cannot make a job hang or retry without end."""
	timeout = cint(frappe.db.get_single_value("CS Settings", "webhook_timeout_seconds"))
	attempts = cint(frappe.db.get_single_value("CS Settings", "webhook_max_attempts"))
	return (
		min(max(timeout or DEFAULT_TIMEOUT_SECONDS, MIN_TIMEOUT_SECONDS), MAX_TIMEOUT_SECONDS),
		min(max(attempts or DEFAULT_ATTEMPTS, MIN_ATTEMPTS), MAX_ATTEMPTS),
	)


def check_webhook_url(url: str) -> list[str]:
	"""The webhook rule: an http or https URL whose host resolves only to public addresses; any
	loopback, private, link-local, multicast, reserved or unspecified address (also inside an IPv6
	form such as ::ffff:127.0.0.1) refuses the whole URL. A site whose chat server is internal sets
	`cs_success_webhook_allow_private` to 1 in its site config. Returns the checked addresses, or
	raises WebhookURLError with a message for the user."""
	parts = urlsplit((url or "").strip())
	try:
		port = parts.port
		host = (parts.hostname or "").encode("idna").decode("ascii")
	except (ValueError, UnicodeError):
		host = ""
	if parts.scheme not in ("http", "https") or not host:
		raise WebhookURLError(_("The alert webhook URL must be an http:// or https:// address with a host."))
	try:
		found = socket.getaddrinfo(host, port or _default_port(parts.scheme), type=socket.SOCK_STREAM)
	except (OSError, UnicodeError):
		found = []
	# An IPv6 link-local answer carries its interface ("fe80::1%eth0"); the address is what counts.
	addresses = list(dict.fromkeys(info[4][0].split("%")[0] for info in found))
	if not addresses:
		raise WebhookHostNotResolved(
			_("The alert webhook host {0} could not be resolved.").format(escape_html(host))
		)
	if not private_addresses_allowed():
		for address in addresses:
			if not is_public_address(address):
				raise WebhookURLError(
					_(
						"The alert webhook host {0} resolves to {1}, which is not a public internet address. "
						"Webhooks go only to public addresses unless the site config sets {2} to 1."
					).format(escape_html(host), address, ALLOW_PRIVATE_KEY)
				)
	return addresses


def private_addresses_allowed() -> bool:
	"""The site config key is 1 or true (`bench set-config` without -p stores "1" or "true")."""
	return sbool(frappe.conf.get(ALLOW_PRIVATE_KEY)) in (True, 1)


def is_public_address(address: str) -> bool:
	ip = ipaddress.ip_address(address)
	candidates = [ip]
	if ip.version == 6 and ip.ipv4_mapped:
		# ::ffff:a.b.c.d is the IPv4 host a.b.c.d, and is judged as that host.
		candidates = [ip.ipv4_mapped]
	elif ip.version == 6:
		# An IPv4 address carried by 6to4 or Teredo is reached too, so it must be public as well.
		candidates += [a for a in (ip.sixtofour, *(ip.teredo or ())) if a]
	return all(
		a.is_global
		and not (
			a.is_private
			or a.is_loopback
			or a.is_link_local
			or a.is_multicast
			or a.is_reserved
			or a.is_unspecified
		)
		for a in candidates
	)


def _default_port(scheme: str) -> int:
	return 443 if scheme == "https" else 80


class _PinnedAdapter(HTTPAdapter):
	"""Connects to the address that was checked (the URL carries it), while TLS still sends the
	host name (SNI) and verifies the certificate for it. Re-resolving at connect time would let a DNS
	answer change between the check and the request (DNS rebinding)."""

	def __init__(self, hostname: str):
		self._hostname = hostname  # before super().__init__, which builds the pool manager
		super().__init__(max_retries=0)

	def init_poolmanager(self, *args, **kwargs):
		kwargs.update(server_hostname=self._hostname, assert_hostname=self._hostname)
		super().init_poolmanager(*args, **kwargs)

	def proxy_manager_for(self, proxy, **proxy_kwargs):
		proxy_kwargs.update(server_hostname=self._hostname, assert_hostname=self._hostname)
		return super().proxy_manager_for(proxy, **proxy_kwargs)


def _post(url: str, payload: dict, timeout: int) -> str | None:
	"""One POST. Returns None when delivered, else one of our error codes."""
	try:
		address = check_webhook_url(url)[0]
	except WebhookHostNotResolved:
		return ERROR_DNS
	except WebhookURLError:
		return ERROR_ADDRESS
	parts = urlsplit(url.strip())
	host = parts.hostname.encode("idna").decode("ascii")
	port = f":{parts.port}" if parts.port else ""
	userinfo = parts.netloc.rpartition("@")[0]
	netloc = (f"{userinfo}@" if userinfo else "") + _bracketed(address) + port
	with requests.Session() as session:
		session.mount(f"{parts.scheme}://", _PinnedAdapter(host))
		try:
			# stream=True: the body is never read, so a large or endless one costs nothing.
			response = session.post(
				urlunsplit(parts._replace(netloc=netloc)),
				json=payload,
				headers={"Host": _bracketed(host) + port},
				timeout=(timeout, timeout),
				allow_redirects=False,
				stream=True,
			)
		except requests.Timeout:
			return ERROR_TIMEOUT
		except (requests.RequestException, OSError, ValueError):
			# ValueError: what http.client raises for a URL or header it will not send.
			return ERROR_CONNECTION
		response.close()
	# A redirect could point anywhere, an internal address included, so it is a failure.
	if response.is_redirect or 300 <= response.status_code < 400:
		return ERROR_REDIRECT
	if not 200 <= response.status_code < 300:
		return ERROR_HTTP.format(int(response.status_code))
	return None


def _bracketed(host: str) -> str:
	return f"[{host}]" if ":" in host else host


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
	url = frappe.db.get_single_value("CS Settings", "alert_webhook_url")
	timeout, max_attempts = webhook_limits()
	claim = _claim(alert_name, url, max_attempts)
	if not claim:
		return
	claimed_at, attempt = claim
	error = _post(url, webhook_payload(frappe.get_doc("Customer Health Alert", alert_name)), timeout)
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
