"""The one outbound webhook client, for health alerts (health/alerts.py) and plays (playbooks/actions.py).

A webhook is a request to a URL an administrator typed, sent by a worker inside our network, so every
delivery follows one rule (`check_webhook_url`): http(s), and only to public addresses. The request goes
to the address that was checked (no second DNS answer, no rebinding), never follows a redirect, and has
one total deadline for connecting, sending and the answer, however slowly the endpoint trickles bytes.
Whatever goes wrong comes back as one of our error codes, never as an exception: the caller records a
failed attempt.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from urllib.parse import urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter

import frappe
from frappe import _
from frappe.utils import escape_html, sbool
from frappe.utils.background_jobs import get_queues_timeout

# Seconds one delivery may take in all: connecting, sending, the status line, the headers and the body we
# read. Settings may ask for less (CS Settings' timeout), never for more.
DEADLINE_SECONDS = 10
# We read at most this much of an answer (its status is all that counts), so a huge or endless body
# costs nothing.
MAX_RESPONSE_BYTES = 64 * 1024
# A slow endpoint must not hold up the health drain on "short": webhooks get their own queue when the
# bench has one (a `workers` entry in common_site_config.json), else the long queue.
WEBHOOK_QUEUE = "cs_success_webhooks"
FALLBACK_QUEUE = "long"
# A delivery job ends well within this (the deadline plus our own reads and writes).
JOB_TIMEOUT_SECONDS = 120
# Site config key for a site whose chat server is on its own network.
ALLOW_PRIVATE_KEY = "cs_success_webhook_allow_private"

# All that a failed delivery reports: codes we write. Desk renders some of the fields that keep them as
# HTML, so the remote's status text, body and exception messages never go in them (or in the Error Log).
ERROR_HTTP = "HTTP {0}"
ERROR_TIMEOUT = "Timeout"
ERROR_CONNECTION = "Connection error"
ERROR_REDIRECT = "Redirect not followed"
ERROR_ADDRESS = "Address not allowed"
ERROR_DNS = "Host not resolved"


class WebhookURLError(frappe.ValidationError):
	pass


class WebhookHostNotResolved(WebhookURLError):
	pass


def webhook_queue() -> str:
	return WEBHOOK_QUEUE if WEBHOOK_QUEUE in get_queues_timeout() else FALLBACK_QUEUE


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


def post_json(url: str, payload: dict, timeout: float = DEADLINE_SECONDS) -> str | None:
	"""One POST of `payload` as JSON. Returns None when delivered (2xx), else one of our error codes.

	`timeout` is the total for the whole attempt, at most DEADLINE_SECONDS. The request runs in a
	thread of its own that we wait for no longer than that: a per-socket timeout alone lets an endpoint
	that sends a byte every few seconds hold the worker until the job is killed. A request still
	running at the deadline is left to its own socket timeout (the thread is a daemon) and reported as
	a timeout."""
	deadline = min(max(float(timeout or DEADLINE_SECONDS), 0.1), DEADLINE_SECONDS)
	try:
		address = check_webhook_url(url)[0]
	except WebhookHostNotResolved:
		return ERROR_DNS
	except WebhookURLError:
		return ERROR_ADDRESS
	outcome: list[str | None] = []

	def send():
		outcome.append(_send(url, address, payload, deadline))

	worker = threading.Thread(target=send, name="cs_success-webhook", daemon=True)
	worker.start()
	worker.join(deadline)
	if worker.is_alive() or not outcome:
		return ERROR_TIMEOUT
	return outcome[0]


def _send(url: str, address: str, payload: dict, deadline: float) -> str | None:
	"""The request itself, to the checked address. Any error of the HTTP client (including one a given
	requests or urllib3 version raises for arguments it does not take) is a failed attempt."""
	try:
		parts = urlsplit(url.strip())
		host = parts.hostname.encode("idna").decode("ascii")
		port = f":{parts.port}" if parts.port else ""
		userinfo = parts.netloc.rpartition("@")[0]
		netloc = (f"{userinfo}@" if userinfo else "") + _bracketed(address) + port
		with requests.Session() as session:
			session.mount(f"{parts.scheme}://", _adapter(parts.scheme, host))
			response = session.post(
				urlunsplit(parts._replace(netloc=netloc)),
				json=payload,
				headers={"Host": _bracketed(host) + port},
				timeout=(deadline, deadline),
				allow_redirects=False,
				stream=True,
			)
			try:
				_read_capped(response)
			finally:
				response.close()
	except requests.Timeout:
		return ERROR_TIMEOUT
	except Exception:
		# requests' own errors, OSError, ValueError (what http.client raises for a URL or header it will
		# not send) and TypeError (urllib3 versions differ in the keywords a pool takes) alike.
		return ERROR_CONNECTION
	# A redirect could point anywhere, an internal address included, so it is a failure.
	if response.is_redirect or 300 <= response.status_code < 400:
		return ERROR_REDIRECT
	if not 200 <= response.status_code < 300:
		return ERROR_HTTP.format(int(response.status_code))
	return None


def _read_capped(response) -> None:
	"""Read the answer up to MAX_RESPONSE_BYTES and drop it."""
	read = 0
	for chunk in response.iter_content(chunk_size=8192):
		read += len(chunk)
		if read >= MAX_RESPONSE_BYTES:
			return


def _adapter(scheme: str, hostname: str) -> HTTPAdapter:
	"""https: a pool pinned to the checked address that still sends the host name (SNI) and verifies
	the certificate for it. http has no certificate, and urllib3 before 2.8 passes the TLS keywords on
	to a plain HTTP connection, which refuses them (TypeError on assert_hostname): so plain."""
	if scheme == "https":
		return _PinnedTLSAdapter(hostname)
	return HTTPAdapter(max_retries=0)


class _PinnedTLSAdapter(HTTPAdapter):
	"""Connects to the address that was checked (the URL carries it), while TLS still sends the host
	name and checks the certificate against it. Re-resolving at connect time would let a DNS answer
	change between the check and the request (DNS rebinding)."""

	def __init__(self, hostname: str):
		self._hostname = hostname  # before super().__init__, which builds the pool manager
		super().__init__(max_retries=0)

	def init_poolmanager(self, *args, **kwargs):
		kwargs.update(server_hostname=self._hostname, assert_hostname=self._hostname)
		super().init_poolmanager(*args, **kwargs)

	def proxy_manager_for(self, proxy, **proxy_kwargs):
		proxy_kwargs.update(server_hostname=self._hostname, assert_hostname=self._hostname)
		return super().proxy_manager_for(proxy, **proxy_kwargs)


def _default_port(scheme: str) -> int:
	return 443 if scheme == "https" else 80


def _bracketed(host: str) -> str:
	return f"[{host}]" if ":" in host else host
