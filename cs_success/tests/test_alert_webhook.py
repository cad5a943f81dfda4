"""Tier 2: the alert webhook (one URL rule, pinned delivery, no redirects, our own error codes,
one attempt per job with scheduled retries) and the sanitised override reason.

HTTP is mocked with `responses`; DNS with a getaddrinfo that answers for the test host names only
(everything else, the database and Redis included, still resolves for real)."""

import json
import socket
from contextlib import contextmanager
from types import SimpleNamespace
from unittest.mock import patch

import requests
import responses

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, add_to_date, get_datetime, now_datetime, today
from frappe.utils.background_jobs import get_queues_timeout
from frappe.utils.password import set_encrypted_password

from cs_success.health import alerts
from cs_success.health.alerts import WebhookURLError
from cs_success.tests.utils import (
	health,
	make_customer,
	make_issue,
	make_sales_invoice,
	reset_health_queue,
	run_pending_recomputes,
)

HOOK = "https://chat.example.com/hook"
PUBLIC_ADDRESS = "93.184.216.34"
# What the request really goes to: the address that was checked, with the host name in Host and SNI.
PINNED_HOOK = f"https://{PUBLIC_ADDRESS}/hook"
INTERNAL_HOOK = "https://internal.example.com/hook"
NOT_PUBLIC = ("127.0.0.1", "10.1.2.3", "169.254.169.254", "::1", "::ffff:127.0.0.1", "0.0.0.0", "224.0.0.1")
REMOTE_TEXT = "<img src=x onerror=alert(1)>internal detail"

_real_getaddrinfo = socket.getaddrinfo


@contextmanager
def fake_dns(**hosts):
	"""`fake_dns(chat_example_com=[...])`: answers for the given host names (dots as underscores)."""
	answers = {name.replace("_", "."): addresses for name, addresses in hosts.items()}

	def getaddrinfo(host, port, *args, **kwargs):
		if host not in answers:
			return _real_getaddrinfo(host, port, *args, **kwargs)
		return [
			(socket.AF_INET6, socket.SOCK_STREAM, 6, "", (a, port, 0, 0))
			if ":" in a
			else (socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
			for a in answers[host]
		]

	with patch("socket.getaddrinfo", side_effect=getaddrinfo):
		yield


def public_dns():
	return fake_dns(chat_example_com=[PUBLIC_ADDRESS])


class WebhookTestCase(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		settings = frappe.get_single("CS Settings")
		settings.update(
			{
				"enable_event_recompute": 1,
				"enable_alerts": 1,
				"alert_webhook_url": None,
				"default_csm": None,
				"webhook_timeout_seconds": 5,
				"webhook_max_attempts": 3,
				# Alerts here come from few measures: no coverage floor (TestNoFalseHealthy covers it).
				"coverage_floor": 0,
			}
		)
		settings.save()
		reset_health_queue()
		# Open deliveries left by other tests would be sent by this test's scheduler runs (rolled back).
		frappe.db.delete("Customer Health Alert", {"webhook_status": ("in", alerts.OPEN_STATUSES)})
		# No worker may sleep: a test that reaches time.sleep fails.
		sleep = patch("time.sleep", side_effect=AssertionError("a webhook attempt slept"))
		sleep.start()
		self.addCleanup(sleep.stop)

	def tearDown(self):
		frappe.set_user("Administrator")

	def save_url(self, url):
		settings = frappe.get_single("CS Settings")
		settings.alert_webhook_url = url
		settings.save()

	def set_url(self, url):
		"""As if saved earlier, when the host's DNS answer was different (no save-time check); stored as
		the Password field stores it."""
		set_encrypted_password("CS Settings", "CS Settings", url, "alert_webhook_url")
		frappe.db.set_single_value("CS Settings", "alert_webhook_url", "*" * len(url))

	def make_alert(self, **fields):
		now = now_datetime()
		return frappe.get_doc(
			{
				"doctype": "Customer Health Alert",
				"customer": make_customer("WebhookAlert"),
				"band": "Critical",
				"previous_band": "Healthy",
				"score": 40,
				"status": "Open",
				"raised_on": now,
				"webhook_status": "Pending",
				"webhook_next_attempt_on": now,
				**fields,
			}
		).insert(ignore_permissions=True)

	def alert(self, name):
		return frappe.get_doc("Customer Health Alert", name)

	def make_due(self, name):
		"""Time travel: the backoff (or claim) is over."""
		frappe.db.set_value(
			"Customer Health Alert",
			name,
			"webhook_next_attempt_on",
			add_to_date(now_datetime(), minutes=-1),
			update_modified=False,
		)


class TestWebhookURLRule(WebhookTestCase):
	def test_addresses_that_are_not_public_are_refused_on_save(self):
		for address in NOT_PUBLIC:
			with self.subTest(address=address), fake_dns(internal_example_com=[address]):
				with self.assertRaises(WebhookURLError):
					self.save_url(INTERNAL_HOOK)
				self.assertFalse(alerts.alert_webhook_url())

	def test_every_resolved_address_must_be_public(self):
		with fake_dns(internal_example_com=[PUBLIC_ADDRESS, "10.0.0.7"]), self.assertRaises(WebhookURLError):
			self.save_url(INTERNAL_HOOK)

	def test_only_http_and_https_urls(self):
		with public_dns():
			for url in (
				"ftp://chat.example.com/hook",
				"file:///etc/passwd",
				"gopher://chat.example.com",
				"https:///x",
			):
				with self.subTest(url=url), self.assertRaises(WebhookURLError):
					alerts.check_webhook_url(url)
			self.assertEqual(alerts.check_webhook_url(HOOK), [PUBLIC_ADDRESS])

	def test_public_address_is_saved(self):
		with public_dns():
			self.save_url(HOOK)
		self.assertEqual(alerts.alert_webhook_url(), HOOK)
		# Kept encrypted: the field itself (what any reader of CS Settings gets) holds asterisks only.
		self.assertEqual(frappe.db.get_single_value("CS Settings", "alert_webhook_url"), "*" * len(HOOK))

	@responses.activate
	def test_addresses_that_are_not_public_are_refused_at_delivery(self):
		for address in NOT_PUBLIC:
			with self.subTest(address=address):
				self.set_url(INTERNAL_HOOK)  # the saved host now answers with an internal address
				alert = self.make_alert()
				with fake_dns(internal_example_com=[address]):
					alerts.deliver_webhook(alert.name)
				alert = self.alert(alert.name)
				self.assertEqual(
					(alert.webhook_status, alert.webhook_last_error), ("Retrying", alerts.ERROR_ADDRESS)
				)
		self.assertEqual(len(responses.calls), 0)

	@responses.activate
	def test_site_config_allows_private_addresses(self):
		responses.add(responses.POST, "https://10.1.2.3/hook", status=200)
		with patch.dict(frappe.local.conf, {alerts.ALLOW_PRIVATE_KEY: 1}):
			with fake_dns(internal_example_com=["10.1.2.3"]):
				self.save_url(INTERNAL_HOOK)
				alert = self.make_alert()
				alerts.deliver_webhook(alert.name)
		self.assertEqual(self.alert(alert.name).webhook_status, "Delivered")
		self.assertEqual(responses.calls[0].request.headers["Host"], "internal.example.com")

		alert = self.make_alert()  # without the key, the same URL is refused again
		with fake_dns(internal_example_com=["10.1.2.3"]):
			alerts.deliver_webhook(alert.name)
		self.assertEqual(self.alert(alert.name).webhook_last_error, alerts.ERROR_ADDRESS)
		self.assertEqual(len(responses.calls), 1)


class TestWebhookDelivery(WebhookTestCase):
	def _drop_into_critical(self, customer):
		for _ in range(6):
			make_issue(customer)
		# Annual service periods that run on past today: an overdue customer, not a churned one.
		for _ in range(3):
			make_sales_invoice(
				customer,
				100,
				posting_date=add_days(today(), -50),
				due_date=add_days(today(), -40),
				period=(add_days(today(), -50), add_days(today(), 314)),
			)
		run_pending_recomputes()

	@responses.activate
	def test_webhook_delivered(self):
		responses.add(responses.POST, PINNED_HOOK, json={"ok": True}, status=200)
		with public_dns():
			self.save_url(HOOK)
			frappe.db.set_single_value("CS Settings", "default_csm", "Administrator")
			customer = make_customer("Webhook")
			make_sales_invoice(customer, 100)
			run_pending_recomputes()
			self._drop_into_critical(customer)
		alert = frappe.get_last_doc("Customer Health Alert", filters={"customer": customer})
		self.assertEqual((alert.webhook_status, alert.webhook_attempts), ("Delivered", 1))
		self.assertEqual(len(responses.calls), 1)
		request = responses.calls[0].request
		self.assertEqual(request.headers["Host"], "chat.example.com")  # pinned to the checked address
		self.assertEqual(request.req_kwargs["timeout"], (5, 5))
		body = json.loads(request.body)
		self.assertEqual((body["customer"], body["band"]), (customer, alert.band))

	@responses.activate
	def test_redirect_is_not_followed(self):
		responses.add(
			responses.POST,
			PINNED_HOOK,
			status=302,
			headers={"Location": "http://169.254.169.254/latest/meta-data/"},
		)
		self.set_url(HOOK)
		alert = self.make_alert()
		with public_dns():
			alerts.deliver_webhook(alert.name)
		alert = self.alert(alert.name)
		self.assertEqual(
			(alert.webhook_status, alert.webhook_attempts, alert.webhook_last_error),
			("Retrying", 1, alerts.ERROR_REDIRECT),
		)
		self.assertEqual([call.request.url for call in responses.calls], [PINNED_HOOK])

	@responses.activate
	def test_remote_text_is_never_stored(self):
		self.set_url(HOOK)
		frappe.db.set_single_value("CS Settings", "webhook_max_attempts", 1)
		outcomes = (
			({"status": 500, "body": REMOTE_TEXT}, "HTTP 500"),
			({"body": requests.ConnectionError(REMOTE_TEXT)}, alerts.ERROR_CONNECTION),
			({"body": requests.ConnectTimeout(REMOTE_TEXT)}, alerts.ERROR_TIMEOUT),
		)
		for response, code in outcomes:
			with self.subTest(code=code):
				responses.reset()
				responses.add(responses.POST, PINNED_HOOK, **response)
				alert = self.make_alert()
				with public_dns():
					alerts.deliver_webhook(alert.name)
				alert = self.alert(alert.name)
				self.assertEqual((alert.webhook_status, alert.webhook_last_error), ("Failed", code))
				log = frappe.get_last_doc(
					"Error Log", filters={"method": alerts.FAILED_LOG_TITLE, "reference_name": alert.name}
				)
				self.assertNotIn("onerror", log.error)
				self.assertNotIn("internal detail", log.error)

	@responses.activate
	def test_failure_is_retried_by_the_scheduler(self):
		responses.add(responses.POST, PINNED_HOOK, status=500)
		responses.add(responses.POST, PINNED_HOOK, status=200)
		self.set_url(HOOK)
		alert = self.make_alert()
		with public_dns():
			alerts.deliver_webhook(alert.name)  # one attempt per job: no sleeping, no loop
			first = self.alert(alert.name)
			self.assertEqual(
				(first.webhook_status, first.webhook_attempts, first.webhook_last_error),
				("Retrying", 1, "HTTP 500"),
			)
			wait = get_datetime(first.webhook_next_attempt_on) - get_datetime(first.webhook_last_attempt_on)
			self.assertAlmostEqual(wait.total_seconds(), 60 * alerts.BACKOFF_MINUTES[0], delta=5)

			alerts.retry_due_webhooks()  # not due yet
			self.assertEqual(len(responses.calls), 1)

			self.make_due(alert.name)
			alerts.retry_due_webhooks()
		second = self.alert(alert.name)
		self.assertEqual(
			(second.webhook_status, second.webhook_attempts, second.webhook_last_error),
			("Delivered", 2, None),
		)
		self.assertEqual(len(responses.calls), 2)

	@responses.activate
	def test_last_attempt_fails_and_is_logged(self):
		responses.add(responses.POST, PINNED_HOOK, status=503)
		self.set_url(HOOK)
		frappe.db.set_single_value("CS Settings", "webhook_max_attempts", 2)
		alert = self.make_alert()
		with public_dns():
			alerts.deliver_webhook(alert.name)
			self.make_due(alert.name)
			alerts.retry_due_webhooks()
			alerts.retry_due_webhooks()  # nothing left to try
		alert = self.alert(alert.name)
		self.assertEqual(
			(
				alert.webhook_status,
				alert.webhook_attempts,
				alert.webhook_last_error,
				alert.webhook_next_attempt_on,
			),
			("Failed", 2, "HTTP 503", None),
		)
		self.assertEqual(len(responses.calls), 2)
		self.assertTrue(
			frappe.db.exists("Error Log", {"method": alerts.FAILED_LOG_TITLE, "reference_name": alert.name})
		)

	@responses.activate
	def test_timeout_and_attempts_are_clamped(self):
		for field, value in (
			("webhook_max_attempts", 6),
			("webhook_max_attempts", 0),
			("webhook_timeout_seconds", alerts.MAX_TIMEOUT_SECONDS + 1),
			("webhook_timeout_seconds", 0),
		):
			with self.subTest(field=field, value=value), self.assertRaises(frappe.ValidationError):
				settings = frappe.get_single("CS Settings")
				settings.set(field, value)
				settings.save()

		# Values written past the form are clamped when used.
		frappe.db.set_single_value(
			"CS Settings", {"webhook_max_attempts": 50, "webhook_timeout_seconds": 600}
		)
		self.assertEqual(alerts.webhook_limits(), (alerts.MAX_TIMEOUT_SECONDS, alerts.MAX_ATTEMPTS))
		responses.add(responses.POST, PINNED_HOOK, status=500)
		self.set_url(HOOK)
		alert = self.make_alert()
		with public_dns():
			alerts.deliver_webhook(alert.name)
			for _ in range(10):
				self.make_due(alert.name)
				alerts.retry_due_webhooks()
		alert = self.alert(alert.name)
		self.assertEqual((alert.webhook_status, alert.webhook_attempts), ("Failed", alerts.MAX_ATTEMPTS))
		self.assertEqual(len(responses.calls), alerts.MAX_ATTEMPTS)
		deadline = alerts.MAX_TIMEOUT_SECONDS
		self.assertEqual(responses.calls[0].request.req_kwargs["timeout"], (deadline, deadline))

	@responses.activate
	def test_alert_left_by_a_killed_job_is_picked_up(self):
		responses.add(responses.POST, PINNED_HOOK, status=200)
		self.set_url(HOOK)
		now = now_datetime()
		# The job claimed the alert five minutes ago and died mid-request: its claim has lapsed.
		killed = self.make_alert(
			webhook_attempts=1,
			webhook_last_attempt_on=add_to_date(now, minutes=-5),
			webhook_next_attempt_on=add_to_date(now, minutes=-5, seconds=alerts.CLAIM_SECONDS),
		)
		# Another job claimed this one ten seconds ago and is still at it: a second send must wait.
		in_flight = self.make_alert(
			webhook_attempts=1,
			webhook_last_attempt_on=add_to_date(now, seconds=-10),
			webhook_next_attempt_on=add_to_date(now, seconds=alerts.CLAIM_SECONDS - 10),
		)
		# A Pending alert from before retries existed (its job was lost): no next attempt set.
		lost = self.make_alert(webhook_next_attempt_on=None)
		with public_dns():
			alerts.retry_due_webhooks()
		self.assertEqual(
			(self.alert(killed.name).webhook_status, self.alert(killed.name).webhook_attempts),
			("Delivered", 2),
		)
		self.assertEqual(self.alert(lost.name).webhook_status, "Delivered")
		self.assertEqual(
			(self.alert(in_flight.name).webhook_status, self.alert(in_flight.name).webhook_attempts),
			("Pending", 1),
		)
		self.assertEqual(len(responses.calls), 2)

	@responses.activate
	def test_killed_last_attempt_is_failed_without_sending(self):
		self.set_url(HOOK)
		alert = self.make_alert(
			webhook_status="Retrying",
			webhook_attempts=3,
			webhook_last_attempt_on=add_to_date(now_datetime(), minutes=-10),
			webhook_next_attempt_on=add_to_date(now_datetime(), minutes=-9),
		)
		alerts.retry_due_webhooks()
		alert = self.alert(alert.name)
		self.assertEqual(
			(alert.webhook_status, alert.webhook_last_error), ("Failed", alerts.ERROR_INTERRUPTED)
		)
		self.assertEqual(len(responses.calls), 0)

	def test_an_alert_is_claimed_once(self):
		self.set_url(HOOK)
		alert = self.make_alert()
		self.assertIsNotNone(alerts._claim(alert.name, HOOK, 3))
		self.assertIsNone(alerts._claim(alert.name, HOOK, 3))  # a second scheduler finds it taken
		self.assertEqual(self.alert(alert.name).webhook_attempts, 1)

	def test_queue_is_never_short(self):
		self.set_url(HOOK)
		customer = frappe.get_doc("Customer", make_customer("WebhookQueue"))
		result = SimpleNamespace(worst_measures=lambda n: [])
		with patch("frappe.enqueue") as enqueue:
			alerts.raise_alert(customer, "Critical", "Healthy", 40, result)
		kwargs = enqueue.call_args.kwargs
		self.assertEqual(enqueue.call_args.args[0], "cs_success.health.alerts.deliver_webhook")
		self.assertEqual((kwargs["queue"], kwargs["enqueue_after_commit"]), (alerts.FALLBACK_QUEUE, True))

		# Frappe caches the configured queues per process (lru_cache): cleared around the new config.
		self.addCleanup(get_queues_timeout.cache_clear)
		workers = {"workers": {alerts.WEBHOOK_QUEUE: {"timeout": 600}}}
		with patch.dict(frappe.local.conf, workers), patch("frappe.enqueue") as enqueue:
			get_queues_timeout.cache_clear()
			alerts.retry_due_webhooks()
		self.assertTrue(enqueue.called)
		self.assertEqual({c.kwargs["queue"] for c in enqueue.call_args_list}, {alerts.WEBHOOK_QUEUE})


class TestOverrideReasonIsSanitised(WebhookTestCase):
	def test_reason_and_audit_text_are_sanitised(self):
		from cs_success.health.overrides import clear_override, set_override

		customer = make_customer("OverrideXSS")
		run_pending_recomputes()
		set_override(customer, 90, "<img src=x onerror=alert(1)>Renewal agreed", add_days(now_datetime(), 7))
		doc = health(customer)
		self.assertEqual(doc.override_active, 1)
		self.assertIn("Renewal agreed", doc.override_reason)
		change = frappe.get_last_doc("Customer Health Change", filters={"customer": customer})
		comment = frappe.get_last_doc(
			"Comment", filters={"reference_doctype": "Customer Health", "reference_name": customer}
		)
		# Stored inert, as typed: the tag shows as text wherever Desk renders it and never runs.
		for text in (doc.override_reason, doc.last_change_summary, change.summary, comment.content):
			self.assertIn("&lt;img src=x onerror=alert(1)&gt;Renewal agreed", text)
			self.assertNotIn("<img", text)

		clear_override(customer, "<script>alert(2)</script>done")
		change = frappe.get_last_doc(
			"Customer Health Change", filters={"customer": customer, "event": "Override Cleared"}
		)
		for text in (change.summary, health(customer).last_change_summary):
			self.assertNotIn("<script", text)
