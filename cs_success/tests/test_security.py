"""Tier 2, over HTTP against a real web server (gunicorn), as an attacker would: script payloads in
every guest and portal parameter, forged, malformed, expired and replayed survey tokens, a portal user
reaching for another customer's survey, plan, task and health, a Helpdesk customer reaching for health
data, opt-out by GET, double submit and rate limits.

The web server is another process: the data is committed in setUpClass and deleted in tearDownClass."""

import contextlib
import json
import threading
import unittest

import requests

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, now_datetime
from frappe.utils.password import update_password

from cs_success.api.success_plan import create_from_template
from cs_success.surveys.delivery import run_campaign
from cs_success.tests.browser import live_server
from cs_success.tests.utils import (
	ensure_outgoing_email_account,
	make_campaign,
	make_contact,
	make_customer,
	make_customer_group,
	make_issue,
	make_user,
	run_pending_recomputes,
	token_from_email,
)

PASSWORD = "Cs-Test-Passw0rd!"
ACCEPT = "/api/method/frappe.website.doctype.web_form.web_form.accept"
PAYLOADS = (
	'"><img src=x onerror=alert(document.domain)>',
	"</script><script>alert(document.domain)</script>",
	"'-alert(document.domain)-'",
	"{{ 7*7 }}<svg onload=alert(1)>",
)


def submit(session, base_url: str, token, answers, comment="") -> requests.Response:
	data = {
		"doctype": "Survey Response",
		"token": token,
		"answers_json": json.dumps(answers),
		"comment": comment,
	}
	return session.post(
		base_url + ACCEPT,
		data={"web_form": "survey", "data": json.dumps(data)},
		headers={"Accept": "application/json"},
		timeout=30,
	)


class TestSecurityOverHttp(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		cls.account = ensure_outgoing_email_account()
		# A group each, so each campaign run invites exactly one customer.
		cls.groups = [make_customer_group("Security A"), make_customer_group("Security B")]
		cls.customers = [
			make_customer(f"Security {x}", customer_group=g) for x, g in zip("AB", cls.groups, strict=True)
		]
		cls.users, cls.contacts = [], []
		for customer in cls.customers:
			user = make_user("Customer")
			update_password(user, PASSWORD)
			cls.users.append(user)
			cls.contacts.append(make_contact(customer, email=user, user=user))
		cls.campaign = make_campaign("Net Promoter Score", audience="Customer Group", recontact_window_days=0)
		cls.invitations = {}
		for customer in cls.customers:
			cls.campaign.db_set(
				{
					"customer_group": frappe.db.get_value("Customer", customer, "customer_group"),
					"status": "Active",
				}
			)
			run_campaign(cls.campaign.name)
			(cls.invitations[customer],) = frappe.get_all(
				"Survey Invitation",
				filters={"campaign": cls.campaign.name, "customer": customer},
				pluck="name",
			)
		cls.tokens = {customer: token_from_email(name) for customer, name in cls.invitations.items()}
		cls.plans = {
			customer: create_from_template("Quarterly Business Review", customer)
			for customer in cls.customers
		}
		for customer in cls.customers:
			make_issue(customer)
		run_pending_recomputes()
		frappe.db.commit()
		cls._server = contextlib.ExitStack()
		cls.base_url = cls._server.enter_context(live_server())

	@classmethod
	def tearDownClass(cls):
		cls._server.close()
		frappe.db.rollback()
		frappe.set_user("Administrator")
		invitations = list(cls.invitations.values())
		frappe.db.delete(
			"Email Queue", {"reference_doctype": "Survey Invitation", "reference_name": ("in", invitations)}
		)
		frappe.db.delete("Survey Opt Out", {"invitation": ("in", invitations)})
		frappe.db.delete("ToDo", {"reference_type": "Survey Response"})
		for plan in cls.plans.values():
			frappe.delete_doc("Success Plan", plan, force=True, ignore_permissions=True)
		for customer in cls.customers:
			frappe.db.delete("Issue", {"customer": customer})
			frappe.delete_doc("Customer", customer, force=True, ignore_permissions=True)
		for contact in cls.contacts:
			frappe.delete_doc("Contact", contact, force=True, ignore_permissions=True)
		for group in cls.groups:
			frappe.delete_doc("Customer Group", group, force=True, ignore_permissions=True)
		for user in cls.users:
			frappe.delete_doc("User", user, force=True, ignore_permissions=True)
		frappe.delete_doc("Survey Campaign", cls.campaign.name, force=True, ignore_permissions=True)
		frappe.delete_doc("Email Account", cls.account, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDownClass()

	def setUp(self):
		# Each test starts with every guest rate limit unspent, whatever ran before it.
		frappe.cache.delete_keys("cs_success:rl:")
		frappe.cache.delete_keys("rl:")
		frappe.db.rollback()  # read what the web server committed

	def login(self, user: str) -> requests.Session:
		session = requests.Session()
		response = session.post(
			f"{self.base_url}/api/method/login", data={"usr": user, "pwd": PASSWORD}, timeout=30
		)
		self.assertEqual(response.status_code, 200, response.text[:200])
		return session

	def assert_escaped(self, response: requests.Response, payload: str) -> None:
		self.assertNotIn(payload, response.text)
		for fragment in ("<img src=x", "<script>alert", "<svg onload"):
			self.assertNotIn(fragment, response.text)

	def test_script_payloads_in_guest_and_portal_parameters_come_back_escaped(self):
		a = self.customers[0]
		guest, portal = requests.Session(), self.login(self.users[0])
		for payload in PAYLOADS:
			quoted = requests.utils.quote(payload)
			cases = [
				(guest, f"/survey-link?state={quoted}"),
				(guest, f"/survey-link?state=expired&lang={quoted}"),
				(guest, f"/survey/new?token={quoted}&score={quoted}"),
				(guest, f"/survey/new?token={self.tokens[a]}&score={quoted}"),
				(guest, f"/survey-opt-out?token={quoted}"),
				(guest, f"/survey-opt-out?token={self.tokens[a]}&x={quoted}"),
				(portal, f"/success-plans?plan={quoted}"),
				(portal, f"/success-plans?x={quoted}"),
				(portal, f"/my-surveys?x={quoted}"),
			]
			for session, path in cases:
				with self.subTest(payload=payload, path=path.split("?")[0]):
					response = session.get(self.base_url + path, timeout=30)
					self.assertLess(response.status_code, 500)
					self.assert_escaped(response, payload)
		# The reflected case the review found, exactly: the state comes back as a known value only.
		response = guest.get(
			f"{self.base_url}/survey-link?state={requests.utils.quote(PAYLOADS[0])}", timeout=30
		)
		self.assertIn('data-state="invalid"', response.text)

	def test_a_customer_name_with_markup_is_escaped_in_the_portal(self):
		a = self.customers[0]
		plan = self.plans[a]
		title = frappe.db.get_value("Success Plan", plan, "plan_title")
		frappe.db.set_value("Success Plan", plan, "plan_title", PAYLOADS[0])
		frappe.db.commit()
		try:
			session = self.login(self.users[0])
			for path in ("/success-plans", f"/success-plans?plan={plan}"):
				with self.subTest(path=path):
					response = session.get(self.base_url + path, timeout=30)
					self.assertEqual(response.status_code, 200)
					self.assert_escaped(response, PAYLOADS[0])
					self.assertIn("&lt;img src=x onerror=alert(document.domain)&gt;", response.text)
		finally:
			frappe.db.set_value("Success Plan", plan, "plan_title", title)
			frappe.db.commit()

	def test_forged_malformed_and_expired_tokens_are_refused_and_write_nothing(self):
		guest = requests.Session()
		before = frappe.db.count("Survey Response")
		forged = "A" * 43
		for token in (forged, "../../etc/passwd", "x" * 5000, "", None, 12345, {"$ne": ""}, ["a"]):
			with self.subTest(token=str(token)[:20]):
				response = submit(guest, self.base_url, token, {"1": 9})
				self.assertIn(response.status_code, (403, 404, 417), response.text[:300])
		b = self.customers[1]
		frappe.db.set_value(
			"Survey Invitation", self.invitations[b], "expires_on", add_days(now_datetime(), -1)
		)
		frappe.db.commit()
		try:
			response = submit(guest, self.base_url, self.tokens[b], {"1": 9})
			self.assertEqual(response.status_code, 417)
			self.assertIn("expired", response.text)
		finally:
			frappe.db.set_value(
				"Survey Invitation", self.invitations[b], "expires_on", add_days(now_datetime(), 14)
			)
			frappe.db.commit()
		frappe.db.rollback()
		self.assertEqual(frappe.db.count("Survey Response"), before)

	def test_double_submit_and_replay_store_one_response(self):
		a = self.customers[0]
		statuses = []
		barrier = threading.Barrier(2)

		def racer(score):
			barrier.wait()
			statuses.append(
				submit(requests.Session(), self.base_url, self.tokens[a], {"1": score}).status_code
			)

		threads = [threading.Thread(target=racer, args=(score,)) for score in (3, 10)]
		for thread in threads:
			thread.start()
		for thread in threads:
			thread.join()
		replay = submit(requests.Session(), self.base_url, self.tokens[a], {"1": 5})
		self.assertEqual(sorted(statuses)[0], 200)
		self.assertNotEqual(sorted(statuses)[1], 200)
		self.assertEqual(replay.status_code, 417)
		frappe.db.rollback()
		self.assertEqual(frappe.db.count("Survey Response", {"invitation": self.invitations[a]}), 1)
		# Put the link back for the other tests of this class.
		frappe.db.delete("Survey Response", {"invitation": self.invitations[a]})
		frappe.db.set_value("Survey Invitation", self.invitations[a], {"status": "Sent", "answered_on": None})
		frappe.db.commit()

	def test_portal_user_cannot_reach_another_customers_survey_plan_task_or_health(self):
		a, b = self.customers
		session = self.login(self.users[0])
		surveys = session.get(f"{self.base_url}/my-surveys", timeout=30)
		self.assertIn(self.tokens[a], surveys.text)
		self.assertNotIn(self.tokens[b], surveys.text)

		own = session.get(f"{self.base_url}/success-plans?plan={self.plans[a]}", timeout=30)
		self.assertEqual(own.status_code, 200)
		theirs = session.get(f"{self.base_url}/success-plans?plan={self.plans[b]}", timeout=30)
		missing = session.get(f"{self.base_url}/success-plans?plan=SP-NO-SUCH-PLAN", timeout=30)
		self.assertEqual((theirs.status_code, missing.status_code), (404, 404))

		their_task = frappe.get_all(
			"Success Plan Task", filters={"parent": self.plans[b], "side": "Customer"}, pluck="name", limit=1
		)[0]
		answers = []
		for plan in (self.plans[b], "SP-NO-SUCH-PLAN"):
			response = session.post(
				f"{self.base_url}/api/method/cs_success.api.success_plan.complete_task",
				data={"plan": plan, "task": their_task},
				timeout=30,
			)
			answers.append((response.status_code, response.json().get("exception", "").split(":")[0]))
		self.assertEqual(answers[0], answers[1])  # nothing to tell them apart by
		self.assertEqual(answers[0][0], 404)
		frappe.db.rollback()
		self.assertEqual(frappe.db.get_value("Success Plan Task", their_task, "status"), "Open")

		for method, data in (
			("cs_success.api.health.get_customer_health", {"customer": b}),
			("cs_success.api.health.get_customer_health", {"customer": a}),
		):
			response = session.post(f"{self.base_url}/api/method/{method}", data=data, timeout=30)
			self.assertEqual(response.status_code, 403, response.text[:200])
			self.assertNotIn('"score"', response.text)
		response = session.post(
			f"{self.base_url}/api/method/cs_success.api.health.get_health_for_document",
			data={"doctype": "Customer", "name": b},
			timeout=30,
		)
		self.assertEqual(response.json().get("message"), {})

	def test_opt_out_by_get_changes_nothing_and_the_confirmed_post_does(self):
		b = self.customers[1]
		guest = requests.Session()
		api = f"{self.base_url}/api/method/cs_success.api.survey.opt_out?token={self.tokens[b]}"
		response = guest.get(api, allow_redirects=False, timeout=30)
		self.assertIn(response.status_code, (301, 302, 303))
		self.assertIn("/survey-opt-out?token=", response.headers["Location"])
		page = guest.get(f"{self.base_url}/survey-opt-out?token={self.tokens[b]}", timeout=30)
		self.assertEqual(page.status_code, 200)
		self.assertIn("cs-confirm-opt-out", page.text)
		frappe.db.rollback()
		self.assertEqual(frappe.db.get_value("Survey Invitation", self.invitations[b], "status"), "Sent")
		self.assertEqual(frappe.db.get_value("Contact", self.contacts[1], "cs_no_surveys"), 0)

		# The survey page itself (a scanner's GET) does not count as opened either.
		guest.get(f"{self.base_url}/survey/new?token={self.tokens[b]}", timeout=30)
		frappe.db.rollback()
		self.assertEqual(frappe.db.get_value("Survey Invitation", self.invitations[b], "status"), "Sent")

		try:
			response = guest.post(
				f"{self.base_url}/api/method/cs_success.api.survey.opt_out",
				data={"token": self.tokens[b]},
				allow_redirects=False,
				timeout=30,
			)
			self.assertIn("opted_out_done", response.headers.get("Location", ""))
			frappe.db.rollback()
			self.assertEqual(
				frappe.db.get_value("Survey Invitation", self.invitations[b], "status"), "Opted Out"
			)
			self.assertEqual(frappe.db.get_value("Contact", self.contacts[1], "cs_no_surveys"), 1)
		finally:
			frappe.db.delete("Survey Opt Out", {"invitation": self.invitations[b]})
			frappe.db.set_value("Contact", self.contacts[1], "cs_no_surveys", 0)
			frappe.db.set_value("Survey Invitation", self.invitations[b], "status", "Sent")
			frappe.db.commit()

	def test_the_referral_endpoint_refuses_get_forged_tokens_and_floods(self):
		"""The survey page's referral (issue 23): a GET changes nothing, forged tokens carrying script make no
		Lead and come back escaped, and a flood is cut off."""
		url = f"{self.base_url}/api/method/cs_success.api.survey.refer"
		leads = frappe.db.count("Lead")
		guest = requests.Session()
		response = guest.get(
			url,
			params={"token": self.tokens[self.customers[0]], "name": "Get Only", "email": "get@example.com"},
			timeout=30,
		)
		self.assertNotEqual(response.status_code, 200)
		for payload in PAYLOADS:
			with self.subTest(payload=payload):
				response = guest.post(
					url,
					data={"token": payload, "name": payload, "company": payload, "email": "x@example.com"},
					timeout=30,
				)
				self.assertIn(response.status_code, (400, 403, 404, 417, 429))
				self.assert_escaped(response, payload)
		frappe.db.rollback()
		self.assertEqual(frappe.db.count("Lead"), leads)
		frappe.cache.delete_keys("rl:")
		codes = [
			guest.post(
				url, data={"token": "bad", "name": "n", "email": "n@example.com"}, timeout=30
			).status_code
			for _ in range(8)
		]
		self.assertIn(429, codes)

	def test_guest_pages_and_endpoints_are_rate_limited(self):
		guest = requests.Session()
		pages = [
			guest.get(f"{self.base_url}/survey-opt-out?token=bad", timeout=30).status_code for _ in range(62)
		]
		self.assertEqual(pages[0], 200)
		self.assertEqual(pages[-1], 429)
		calls = [
			guest.post(
				f"{self.base_url}/api/method/cs_success.api.survey.opt_out", data={"token": "bad"}, timeout=30
			).status_code
			for _ in range(32)
		]
		self.assertIn(429, calls)
		# The window expires: the counter was created with its time to live.
		key = frappe.cache.make_key("cs_success:rl:survey_page:127.0.0.1")
		self.assertGreater(frappe.cache.ttl(key), 0)


class TestHelpdeskCustomerCannotReadHealth(FrappeTestCase):
	"""In Helpdesk the person who raised an HD Ticket can read it and set its customer to any company."""

	@classmethod
	def setUpClass(cls):
		if "helpdesk" not in frappe.get_installed_apps():
			raise unittest.SkipTest("Helpdesk is not installed on this site")
		super().setUpClass()
		frappe.set_user("Administrator")
		cls.victim = make_customer("HD Victim")
		cls.hd_customer = frappe.get_doc(
			{"doctype": "HD Customer", "customer_name": f"_CS HD {cls.victim}", "cs_customer": cls.victim}
		).insert(ignore_permissions=True)
		cls.user = make_user("Customer")
		update_password(cls.user, PASSWORD)
		cls.ticket = (
			frappe.get_doc(
				{
					"doctype": "HD Ticket",
					"subject": "_CS Test whose health is it",
					"description": "-",
					"raised_by": cls.user,
					"customer": cls.hd_customer.name,
				}
			)
			.insert(ignore_permissions=True)
			.name
		)
		run_pending_recomputes()
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		frappe.set_user("Administrator")
		frappe.delete_doc("HD Ticket", cls.ticket, force=True, ignore_permissions=True)
		frappe.delete_doc("HD Customer", cls.hd_customer.name, force=True, ignore_permissions=True)
		frappe.delete_doc("Customer", cls.victim, force=True, ignore_permissions=True)
		frappe.delete_doc("User", cls.user, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDownClass()

	def test_the_ticket_raiser_gets_no_health_data(self):
		self.assertTrue(frappe.db.exists("Customer Health", self.victim))
		with live_server() as base_url:
			session = requests.Session()
			login = session.post(
				f"{base_url}/api/method/login", data={"usr": self.user, "pwd": PASSWORD}, timeout=30
			)
			self.assertEqual(login.status_code, 200)
			readable = session.get(f"{base_url}/api/resource/HD Ticket/{self.ticket}", timeout=30)
			response = session.post(
				f"{base_url}/api/method/cs_success.api.health.get_health_for_document",
				data={"doctype": "HD Ticket", "name": self.ticket},
				timeout=30,
			)
		self.assertEqual(response.status_code, 200, response.text[:200])
		self.assertEqual(response.json().get("message"), {})
		self.assertNotIn("score", response.text)
		# Whether or not Helpdesk lets them read the ticket, the answer holds no health data.
		self.assertIn(readable.status_code, (200, 403))
