"""Tier 2, issue 20 item 9 (smaller findings): webhook URLs readable by managers only, the webhook client
(urllib3 before 2.8, client errors, one total deadline, a byte cap, plays on the webhook queue), the
opt-out form's CSRF token, record-level permission on overrides, rate limits on the last forwarded hop,
and the ticket band's permission level on Issue; and (issue 21) the CS roles' read of the segments the
reports filter by."""

import json
import re
import threading
import time
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import patch

import requests
import urllib3.poolmanager
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, now_datetime
from frappe.utils.password import set_encrypted_password

from cs_success.base import webhooks
from cs_success.base.roles import CS_AGENT, CS_MANAGER
from cs_success.health import alerts
from cs_success.install import HEALTH_BAND_PERMLEVEL, SEGMENT_DOCTYPES
from cs_success.tests.test_alert_webhook import HOOK, public_dns
from cs_success.tests.test_surveys import SurveyTestCase
from cs_success.tests.utils import (
	make_customer,
	make_issue,
	make_play,
	make_user,
	reset_health_queue,
	run_pending_recomputes,
)

# urllib3 before 2.8 passed these on to a plain HTTP connection, which refuses them.
TLS_ONLY_KEYWORDS = ("assert_hostname", "assert_fingerprint")


# --- a local HTTP server -------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
	received: list  # set per server
	behaviour = "ok"

	def log_message(self, *args):
		pass

	def do_POST(self):
		body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
		self.received.append(json.loads(body or b"{}"))
		pause = threading.Event()
		try:
			if self.behaviour == "trickle":
				# A status line, then a header a byte at a time: each byte well inside any socket timeout.
				self.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
				while not pause.wait(0.2):
					self.wfile.write(b"a")
					self.wfile.flush()
			elif self.behaviour == "endless":
				self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n")
				chunk = b"x" * 65536
				while True:
					self.wfile.write(chunk)
			else:
				self.send_response(200)
				self.send_header("Content-Length", "2")
				self.end_headers()
				self.wfile.write(b"ok")
		except OSError:
			pass  # the client hung up: what a deadline does


@contextmanager
def local_server(behaviour: str = "ok"):
	"""An HTTP endpoint on 127.0.0.1, allowed as a webhook target by the site config key for the test."""
	handler = type("Handler", (_Handler,), {"received": [], "behaviour": behaviour})
	server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
	server.daemon_threads = True
	thread = threading.Thread(target=server.serve_forever, daemon=True)
	thread.start()
	try:
		with patch.dict(frappe.local.conf, {webhooks.ALLOW_PRIVATE_KEY: 1}):
			yield f"http://127.0.0.1:{server.server_address[1]}/hook", handler.received
	finally:
		server.shutdown()
		server.server_close()


@contextmanager
def urllib3_before_2_8():
	"""urllib3 2.7's pool keywords: the TLS-only ones are not dropped for a plain HTTP pool."""
	keywords = tuple(k for k in urllib3.poolmanager.SSL_KEYWORDS if k not in TLS_ONLY_KEYWORDS)
	with patch.object(urllib3.poolmanager, "SSL_KEYWORDS", keywords):
		yield


def set_alert_url(url: str) -> None:
	set_encrypted_password("CS Settings", "CS Settings", url, alerts.WEBHOOK_URL_FIELD)
	frappe.db.set_single_value("CS Settings", alerts.WEBHOOK_URL_FIELD, "*" * len(url))


def make_alert() -> str:
	now = now_datetime()
	return (
		frappe.get_doc(
			{
				"doctype": "Customer Health Alert",
				"customer": make_customer("Hardening Alert"),
				"band": "Critical",
				"previous_band": "Healthy",
				"score": 40,
				"status": "Open",
				"raised_on": now,
				"webhook_status": "Pending",
				"webhook_next_attempt_on": now,
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


@contextmanager
def as_user(user: str):
	previous = frappe.session.user
	frappe.set_user(user)
	try:
		yield
	finally:
		frappe.set_user(previous)


class HardeningTestCase(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()

	def tearDown(self):
		frappe.set_user("Administrator")


# --- webhook URLs are for managers ---------------------------------------------------------------------


class TestWebhookURLsAreForManagers(HardeningTestCase):
	def test_alert_url_is_kept_encrypted(self):
		with public_dns():
			settings = frappe.get_single("CS Settings")
			settings.alert_webhook_url = HOOK
			settings.save()
		agent = make_user("CS Agent")
		with as_user(agent):
			from frappe.client import get, get_single_value, get_value

			seen = [
				get_single_value("CS Settings", alerts.WEBHOOK_URL_FIELD),
				get_value("CS Settings", alerts.WEBHOOK_URL_FIELD)[alerts.WEBHOOK_URL_FIELD],
				get("CS Settings")[alerts.WEBHOOK_URL_FIELD],
			]
		self.assertEqual(seen, ["*" * len(HOOK)] * 3)
		self.assertEqual(alerts.alert_webhook_url(), HOOK)  # delivery still has it

		# A save that does not retype it (the form sends the asterisks back) keeps it, unchecked.
		settings = frappe.get_single("CS Settings")
		settings.enable_alerts = 1
		settings.save()
		self.assertEqual(alerts.alert_webhook_url(), HOOK)

	def test_patch_moves_a_stored_url_into_the_encrypted_store(self):
		from cs_success.patches import alert_webhook_url_is_a_password as patch_module

		frappe.db.sql(
			"DELETE FROM `__Auth` WHERE doctype = 'CS Settings' AND fieldname = %s", alerts.WEBHOOK_URL_FIELD
		)
		frappe.db.set_single_value("CS Settings", alerts.WEBHOOK_URL_FIELD, HOOK)  # as stored before
		frappe.db.set_single_value("CS Settings", "webhook_timeout_seconds", 30)
		self.assertIsNone(alerts.alert_webhook_url())
		patch_module.execute()
		self.assertEqual(alerts.alert_webhook_url(), HOOK)
		self.assertEqual(frappe.db.get_single_value("CS Settings", alerts.WEBHOOK_URL_FIELD), "*" * len(HOOK))
		self.assertEqual(
			frappe.db.get_single_value("CS Settings", "webhook_timeout_seconds"), alerts.MAX_TIMEOUT_SECONDS
		)
		patch_module.execute()  # twice changes nothing
		self.assertEqual(alerts.alert_webhook_url(), HOOK)

	def test_play_webhook_url_is_read_by_managers_only(self):
		with public_dns():
			play = make_play("Customer Churned", actions=[{"action_type": "Webhook", "webhook_url": HOOK}])
		from frappe.client import get

		seen = {}
		for role in ("CS Agent", "CS Manager"):
			with as_user(make_user(role)):
				doc = get("Play", play.name)
				rows = frappe.get_list(
					"Play Action",
					parent_doctype="Play",
					filters={"parent": play.name},
					fields=["name", "webhook_url"],
				)
			seen[role] = (doc["actions"][0].get("webhook_url"), rows[0].get("webhook_url"))
		self.assertEqual(seen, {"CS Agent": (None, None), "CS Manager": (HOOK, HOOK)})


# --- the webhook client -------------------------------------------------------------------------------


class TestWebhookClient(HardeningTestCase):
	def test_http_delivery_works_with_urllib3_before_2_8(self):
		with local_server() as (url, received), urllib3_before_2_8():
			# What the pinned TLS pool did for every http:// URL with those keywords:
			with requests.Session() as session, self.assertRaises(TypeError):
				session.mount("http://", webhooks._PinnedTLSAdapter("127.0.0.1"))
				session.post(url, json={}, timeout=2)
			set_alert_url(url)
			alert = make_alert()
			alerts.deliver_webhook(alert)
		self.assertEqual(
			frappe.db.get_value("Customer Health Alert", alert, ["webhook_status", "webhook_last_error"]),
			("Delivered", None),
		)
		self.assertEqual([body["event"] for body in received], ["customer_health.band_entered"])

	def test_any_client_error_is_a_failed_attempt(self):
		set_alert_url(HOOK)
		alert = make_alert()
		with public_dns(), patch("requests.Session.post", side_effect=TypeError("assert_hostname")):
			alerts.deliver_webhook(alert)  # no exception escapes
		self.assertEqual(
			frappe.db.get_value(
				"Customer Health Alert", alert, ["webhook_status", "webhook_attempts", "webhook_last_error"]
			),
			("Retrying", 1, webhooks.ERROR_CONNECTION),
		)

	def test_a_trickling_endpoint_is_cut_at_the_deadline(self):
		with local_server("trickle") as (url, received):
			started = time.monotonic()
			error = webhooks.post_json(url, {"event": "test"}, timeout=1)
			elapsed = time.monotonic() - started
		self.assertEqual(error, webhooks.ERROR_TIMEOUT)
		self.assertEqual(len(received), 1)  # it was sent; the answer never finished
		self.assertLess(elapsed, 2.5)  # not a socket timeout per byte, which this endpoint never trips

	def test_an_endless_answer_is_read_only_up_to_the_cap(self):
		with local_server("endless") as (url, _received):
			started = time.monotonic()
			error = webhooks.post_json(url, {"event": "test"}, timeout=5)
			elapsed = time.monotonic() - started
		self.assertIsNone(error)  # a 200 is a delivery; the rest of the body is never read
		self.assertLess(elapsed, 2.5)

	def test_every_delivery_has_a_short_total_deadline(self):
		with local_server("trickle") as (url, _received):
			started = time.monotonic()
			with patch.object(webhooks, "DEADLINE_SECONDS", 1):
				error = webhooks.post_json(url, {}, timeout=600)  # asked for more than the ceiling
		self.assertEqual(error, webhooks.ERROR_TIMEOUT)
		self.assertLess(time.monotonic() - started, 2.5)

	def test_play_webhooks_use_the_shared_client_off_the_short_queue(self):
		from cs_success.playbooks import actions

		with patch("frappe.enqueue") as enqueue:
			actions._webhook(frappe._dict(name="PR-test"), None, frappe._dict(webhook_url=f" {HOOK} "), "x")
		kwargs = enqueue.call_args.kwargs
		self.assertIn(kwargs["queue"], (webhooks.WEBHOOK_QUEUE, webhooks.FALLBACK_QUEUE))
		self.assertEqual((kwargs["timeout"], kwargs["url"]), (webhooks.JOB_TIMEOUT_SECONDS, HOOK))

		run = f"_CS Test run {frappe.generate_hash(length=6)}"
		real_get_doc = frappe.get_doc

		def get_doc(*args, **kwargs):  # the run itself is not needed, only its name
			return frappe._dict(name=run) if args[:1] == ("Play Run",) else real_get_doc(*args, **kwargs)

		with (
			patch("frappe.get_doc", side_effect=get_doc),
			patch.object(actions, "webhook_payload", return_value={"event": "play_run.started"}),
			patch.object(webhooks, "post_json", return_value=webhooks.ERROR_TIMEOUT) as post,
		):
			actions.deliver_webhook(run, HOOK)
		self.assertEqual(post.call_args.args[:2], (HOOK, {"event": "play_run.started"}))
		self.assertTrue(
			frappe.db.exists("Error Log", {"reference_doctype": "Play Run", "reference_name": run})
		)
		self.assertFalse(hasattr(alerts, "_post"))


# --- the opt-out form carries the CSRF token ------------------------------------------------------------


class TestOptOutCSRF(SurveyTestCase):
	OPT_OUT_PAGE = "cs_success/www/survey-opt-out.html"

	def tearDown(self):
		frappe.set_user("Administrator")

	def render(self, token: str) -> str:
		from cs_success.surveys.web import opt_out_page_context

		frappe.form_dict.token = token
		context = frappe._dict()
		opt_out_page_context(context)
		return frappe.get_template(self.OPT_OUT_PAGE).render(context)

	@contextmanager
	def post(self, form: dict):
		saved = (getattr(frappe.local, "request", None), frappe.local.form_dict)
		frappe.local.request = frappe._dict(method="POST", headers={})
		frappe.local.form_dict = frappe._dict(form)
		try:
			yield
		finally:
			frappe.local.request, frappe.local.form_dict = saved

	def test_logged_in_contact_can_confirm(self):
		from frappe.auth import HTTPRequest

		from cs_success.api.survey import opt_out

		_customer, contact, _campaign, invitation, token = self.campaign_with_one_invitation()
		user = make_user()
		frappe.db.set_value("Contact", contact, "user", user)
		frappe.set_user(user)
		frappe.session.data.csrf_token = session_token = frappe.generate_hash()
		self.addCleanup(frappe.session.data.pop, "csrf_token", None)
		html = self.render(token)
		(posted,) = re.findall(r'name="csrf_token" value="([^"]+)"', html)
		self.assertEqual(posted, session_token)

		with self.post({"token": token}), self.assertRaises(frappe.CSRFTokenError):
			HTTPRequest.validate_csrf_token(None)  # what the form sent before: refused
		with self.post({"token": token, "csrf_token": posted}):
			HTTPRequest.validate_csrf_token(None)
			opt_out(token)
		self.assertEqual(frappe.db.get_value("Survey Invitation", invitation, "status"), "Opted Out")

	def test_guest_form_has_no_token_field(self):
		*_rest, token = self.campaign_with_one_invitation()
		frappe.set_user("Guest")
		html = self.render(token)
		self.assertIn("cs-confirm-opt-out", html)
		self.assertNotIn('name="csrf_token"', html)


# --- overrides check the record ------------------------------------------------------------------------


class TestOverrideChecksTheRecord(HardeningTestCase):
	def test_manager_limited_to_other_customers_cannot_override(self):
		from cs_success.api.health import clear_override, set_override

		mine, theirs = make_customer("Override Mine"), make_customer("Override Theirs")
		run_pending_recomputes()
		manager = make_user("CS Manager")
		frappe.get_doc(
			{"doctype": "User Permission", "user": manager, "allow": "Customer", "for_value": mine}
		).insert(ignore_permissions=True)
		expires = str(add_days(now_datetime(), 7))
		with as_user(manager):
			with self.assertRaises(frappe.PermissionError):
				set_override(theirs, 90, "Renewal agreed", expires)
			self.assertEqual(set_override(mine, 90, "Renewal agreed", expires)["override_active"], 1)
		self.assertEqual(frappe.db.get_value("Customer Health", theirs, "override_active"), 0)

		frappe.db.set_value("Customer Health", theirs, "override_active", 1)
		with as_user(manager), self.assertRaises(frappe.PermissionError):
			clear_override(theirs, "not mine")
		self.assertEqual(frappe.db.get_value("Customer Health", theirs, "override_active"), 1)


# --- rate limits on the last forwarded hop --------------------------------------------------------------


class TestRateLimitKey(HardeningTestCase):
	PROXY_SAW = "203.0.113.7"

	@contextmanager
	def request(self, forwarded_for: str):
		"""A POST as Frappe sees it behind a proxy: request_ip is the first hop, as Frappe 15 sets it."""
		saved = {key: getattr(frappe.local, key, None) for key in ("request", "request_ip")}
		builder = EnvironBuilder(method="POST", headers={"X-Forwarded-For": forwarded_for})
		frappe.local.request = Request(builder.get_environ())
		frappe.local.request_ip = forwarded_for.split(",", 1)[0].strip()
		try:
			yield
		finally:
			for key, value in saved.items():
				setattr(frappe.local, key, value)

	def clear(self, address: str):
		frappe.cache.delete_value(f"rl:cs_success.api.survey.opt_out:{address}")

	def test_forged_first_hops_share_one_bucket(self):
		from cs_success.api.survey import opt_out

		self.clear(self.PROXY_SAW)
		self.addCleanup(self.clear, self.PROXY_SAW)
		outcomes = []
		for n in range(32):
			with self.request(f"198.51.100.{n}, {self.PROXY_SAW}"):
				try:
					opt_out("x" * 43)  # an unknown link: a redirect, nothing changes
					outcomes.append("ok")
				except frappe.RateLimitExceededError:
					outcomes.append("limited")
		self.assertEqual(outcomes, ["ok"] * 30 + ["limited"] * 2)

		other = "203.0.113.99"  # another client behind the same proxy has a bucket of its own
		self.clear(other)
		self.addCleanup(self.clear, other)
		with self.request(f"198.51.100.1, {other}"):
			opt_out("x" * 43)

	def test_without_a_proxy_frappes_address_is_used(self):
		from cs_success.surveys.web import client_address

		with self.request(""):
			frappe.local.request_ip = "192.0.2.10"
			self.assertEqual(client_address(), "192.0.2.10")
		with self.request("198.51.100.1,  192.0.2.20 "):
			self.assertEqual(client_address(), "192.0.2.20")


# --- the ticket band on Issue ---------------------------------------------------------------------------


class TestIssueBandLevel(HardeningTestCase):
	def test_band_is_read_at_its_level_by_the_support_team_only(self):
		self.assertEqual(
			frappe.get_meta("Issue").get_field("cs_health_band").permlevel, HEALTH_BAND_PERMLEVEL
		)
		customer = make_customer("Issue Band")
		run_pending_recomputes()
		frappe.db.set_value("Customer Health", customer, "band", "Critical")
		issue = make_issue(customer)
		self.assertEqual(frappe.db.get_value("Issue", issue.name, "cs_health_band"), "Critical")
		support = make_user("Support Team")
		with as_user(support):
			rows = frappe.get_list("Issue", filters={"name": issue.name}, fields=["name", "cs_health_band"])
		self.assertEqual([row.cs_health_band for row in rows], ["Critical"])
		self.assertNotIn(
			HEALTH_BAND_PERMLEVEL, frappe.get_meta("Issue").get_permlevel_access("read", user=make_user())
		)

	def test_uninstall_takes_back_only_what_it_granted(self):
		from cs_success.install import _rules, grant_health_band_read, revoke_health_band_read

		others = [rule for rule in _rules("Custom DocPerm", "Issue") if rule[1] != HEALTH_BAND_PERMLEVEL]
		untouched = others == _rules("DocPerm", "Issue")
		try:
			revoke_health_band_read(["Issue"])
			# Ours are gone; the copies of the standard rules too, unless someone changed them since.
			self.assertEqual(_rules("Custom DocPerm", "Issue"), [] if untouched else others)
		finally:
			grant_health_band_read()
		self.assertIn(
			HEALTH_BAND_PERMLEVEL,
			frappe.get_meta("Issue").get_permlevel_access("read", user=make_user("Support Team")),
		)


class TestSegmentFilters(HardeningTestCase):
	"""A CS Manager or CS Agent without a sales role can pick a Customer Group or Territory (the reports'
	filters, a scorecard's segment): install grants read at level 0, and uninstall takes back only that."""

	def setUp(self):
		super().setUp()
		from cs_success.install import grant_segment_read

		grant_segment_read()  # what install and migrate do; this site was installed before it existed

	def test_cs_roles_alone_can_pick_a_segment(self):
		from frappe.desk.search import search_link

		for role in (CS_MANAGER, CS_AGENT):
			with as_user(make_user(role)):
				for doctype in SEGMENT_DOCTYPES:
					self.assertTrue(frappe.has_permission(doctype, "select"), (role, doctype))
					self.assertTrue(frappe.has_permission(doctype, "read"), (role, doctype))
					self.assertTrue(search_link(doctype, ""), (role, doctype))
		with as_user(make_user()):
			self.assertFalse(frappe.has_permission("Customer Group", "select"))

	def test_uninstall_takes_back_only_what_it_granted(self):
		from frappe.permissions import add_permission

		from cs_success.install import _rules, grant_segment_read, revoke_segment_read

		manager, agent = make_user(CS_MANAGER), make_user(CS_AGENT)
		try:
			revoke_segment_read()
			before_install = _rules("Custom DocPerm", "Customer Group")
			with as_user(manager):
				self.assertFalse(frappe.has_permission("Customer Group", "select"))
			# An administrator's own rule for CS Agent, there before install: install grants CS Manager
			# only, and uninstall leaves the administrator's rule.
			add_permission("Customer Group", CS_AGENT, 0)
			grant_segment_read()
			revoke_segment_read()
			frappe.clear_cache(doctype="Customer Group")
			with as_user(agent):
				self.assertTrue(frappe.has_permission("Customer Group", "read"))
			with as_user(manager):
				self.assertFalse(frappe.has_permission("Customer Group", "select"))
			# Once the administrator's rule goes too, the doctype's rules are as before install.
			frappe.db.delete("Custom DocPerm", {"parent": "Customer Group", "role": CS_AGENT})
			revoke_segment_read()
			self.assertEqual(_rules("Custom DocPerm", "Customer Group"), before_install)
		finally:
			grant_segment_read()
		with as_user(manager):
			self.assertTrue(frappe.has_permission("Customer Group", "select"))
