"""Tier 2: advocacy. Asks only of promoters in good health, never while at risk, at most once per contact
per interval; a referral offered on the survey page becomes an ERPNext Lead and an Advocacy Ask, and once a
Customer is made from that Lead and the ledger shows its New MRR, the Advocacy report credits it to the
advocate. Then the same over HTTP: GET changes nothing, markup is stored and shown as text, the rate limit
answers 429."""

import contextlib
import json
from unittest.mock import patch

import requests

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, add_months, get_first_day, getdate, today
from frappe.utils.password import update_password

from cs_success.api.survey import refer, submit_answers
from cs_success.base.roles import CS_AGENT, CS_MANAGER
from cs_success.growth import advocacy
from cs_success.ledger.build import rebuild_customers
from cs_success.playbooks import runs
from cs_success.playbooks.runs import Candidate
from cs_success.surveys.delivery import run_campaign
from cs_success.tests.browser import live_server
from cs_success.tests.test_survey_page import guest_post
from cs_success.tests.utils import (
	company,
	ensure_outgoing_email_account,
	make_advocacy_ask,
	make_campaign,
	make_contact,
	make_customer,
	make_customer_group,
	make_monthly_invoices,
	make_nps_answer,
	make_play,
	make_user,
	reset_health_queue,
	run_pending_recomputes,
	token_from_email,
)

XSS = '"<img src=x onerror=alert(1)>"'
XSS_STORED = '"&lt;img src=x onerror=alert(1)&gt;"'
PASSWORD = "Cs-Test-Passw0rd!"
HTTP_DOMAIN = "advocacy-http.example.com"


def set_band(customer: str, band: str) -> None:
	frappe.db.set_value("Customer Health", customer, "band", band)


def asks_of(customer: str, **filters) -> list:
	return frappe.get_all(
		"Advocacy Ask",
		filters={"customer": customer, **filters},
		fields=["name", "contact", "ask_type", "status", "asked_by", "result_lead", "survey_response"],
	)


def run_report(**filters):
	from cs_success.cs_success.report.advocacy.advocacy import execute

	columns, data, message, chart, summary = execute(frappe._dict(filters))
	return columns, data, {item["label"]: item["value"] for item in summary}, chart, message


def report_filters(**filters) -> dict:
	return {
		"company": company(),
		"from_date": add_months(today(), -12),
		"to_date": today(),
		**filters,
	}


class AdvocacyTestCase(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()
		frappe.db.set_single_value("CS Settings", "advocacy_ask_interval_days", 90)
		self.group = make_customer_group("Advocacy")

	def promoter(self, score: int = 9, band: str = "Healthy", days_ago: int = 0):
		"""A customer with a contact whose NPS answer `days_ago` days ago was `score`, in `band`."""
		customer = make_customer("Advocate", customer_group=self.group)
		contact = make_contact(customer)
		run_pending_recomputes()  # its Customer Health record
		make_nps_answer(customer, score, contact, frappe.utils.add_to_date(None, days=-days_ago))
		set_band(customer, band)
		return customer, contact

	def open_run(self, customer: str, trigger: str, **play_fields) -> str:
		play = make_play(trigger, **play_fields)
		(run,) = runs.start_runs(play, [Candidate(customer, "test")])
		return run


class TestAskRules(AdvocacyTestCase):
	def test_the_ask_limit_holds_per_contact(self):
		customer, contact = self.promoter()
		first = advocacy.ask(customer, contact, "Review")
		self.assertEqual(
			frappe.db.get_value("Advocacy Ask", first, ["status", "asked_by", "asked_on"]),
			("Asked", "Administrator", getdate(today())),
		)
		# The same contact again the same day, for something else: refused.
		with self.assertRaises(advocacy.AskedRecentlyError):
			advocacy.ask(customer, contact, "Case Study")
		# 89 days ago is within 90 days; 90 and 91 days ago are not.
		for days_ago, refused in ((89, True), (90, False), (91, False)):
			frappe.db.set_value("Advocacy Ask", first, "asked_on", add_days(today(), -days_ago))
			reason = advocacy.eligible_to_ask([customer], {customer: contact})[customer]
			self.assertEqual(bool(reason), refused, days_ago)
		second = advocacy.ask(customer, contact, "Case Study")
		self.assertEqual(len(asks_of(customer)), 2)
		# Another contact of the same customer is a different person: asked the same day.
		other = make_contact(customer)
		self.assertTrue(advocacy.ask(customer, other, "Reference Call"))
		# A shorter interval from CS Settings: 30 days; the second ask moved back 31 days is outside it.
		frappe.db.set_single_value("CS Settings", "advocacy_ask_interval_days", 30)
		frappe.db.set_value("Advocacy Ask", second, "asked_on", add_days(today(), -31))
		self.assertIsNone(advocacy.eligible_to_ask([customer], {customer: contact})[customer])

	def test_a_customer_with_an_open_risk_play_is_never_asked(self):
		customer, contact = self.promoter(score=10)
		# Plays that are no risk (a renewal coming, a Healthy band entered) do not stop an ask.
		self.open_run(customer, "Renewal Due", days=30)
		self.open_run(customer, "Health Band Entered", band="Healthy")
		self.assertIsNone(advocacy.eligible_to_ask([customer])[customer])
		for trigger, fields in (
			("Score Dropped", {"points": 10, "days": 30}),
			("Health Band Entered", {"band": "At Risk"}),
			("Churn Risk Above", {"percent": 50}),
		):
			run = self.open_run(customer, trigger, **fields)
			reason = advocacy.eligible_to_ask([customer])[customer]
			self.assertIn("open risk play", reason)
			with self.assertRaises(advocacy.OpenRiskPlayError):
				advocacy.ask(customer, contact, "Review")
			# Snoozed or held is still open; closed is not.
			frappe.db.set_value("Play Run", run, "status", "Snoozed")
			self.assertTrue(advocacy.eligible_to_ask([customer])[customer])
			frappe.db.set_value("Play Run", run, "status", "Closed")
			self.assertIsNone(advocacy.eligible_to_ask([customer])[customer], trigger)
		self.assertFalse(asks_of(customer))

	def test_detractors_old_promoters_and_unhealthy_customers_are_refused(self):
		detractor, d_contact = self.promoter(score=6)
		passive_after_promoter, p_contact = self.promoter(score=10, days_ago=10)
		make_nps_answer(passive_after_promoter, 8, p_contact)  # the latest answer is what counts
		old, o_contact = self.promoter(score=10, days_ago=91)  # outside the 90 days
		at_risk, r_contact = self.promoter(score=9, band="At Risk")
		eligible, e_contact = self.promoter(score=9, days_ago=89)
		reasons = advocacy.eligible_to_ask([detractor, passive_after_promoter, old, at_risk, eligible])
		self.assertIn("no promoter answer", reasons[detractor])
		self.assertIn("no promoter answer", reasons[passive_after_promoter])
		self.assertIn("no promoter answer", reasons[old])
		self.assertIn("not Healthy", reasons[at_risk])
		self.assertIsNone(reasons[eligible])
		for customer, contact, error in (
			(detractor, d_contact, advocacy.NotAPromoterError),
			(old, o_contact, advocacy.NotAPromoterError),
			(at_risk, r_contact, advocacy.NotHealthyError),
		):
			with self.assertRaises(error):
				advocacy.ask(customer, contact, "Review")
		# The play's action: asks the promoter who answered, once; nothing for the others.
		self.assertIsNone(advocacy.ask_for_advocacy(detractor))
		name = advocacy.ask_for_advocacy(eligible, "Case Study")
		self.assertEqual(frappe.db.get_value("Advocacy Ask", name, "contact"), e_contact)
		self.assertIsNone(advocacy.ask_for_advocacy(eligible, "Case Study"))

	def test_eligibility_reads_the_same_few_queries_for_one_customer_or_many(self):
		customers = [self.promoter()[0] for _ in range(5)]
		advocacy.eligible_to_ask(customers[:1])  # warm the caches

		def queries(batch) -> int:
			with patch.object(frappe.db, "sql", wraps=frappe.db.sql) as sql:
				advocacy.eligible_to_ask(batch)
			return sql.call_count

		self.assertEqual(queries(customers[:1]), queries(customers))

	def test_server_fields_cannot_be_set_or_changed_by_a_client(self):
		customer, contact = self.promoter()
		other = make_customer("Other", customer_group=self.group)
		agent = make_user(CS_AGENT)
		frappe.set_user(agent)
		doc = frappe.get_doc(
			{
				"doctype": "Advocacy Ask",
				"customer": customer,
				"contact": contact,
				"ask_type": "Review",
				"asked_by": "Administrator",
				"referred_customer": other,
				"survey_response": frappe.db.get_value("Survey Response", {"customer": customer}),
			}
		).insert()
		self.assertEqual((doc.asked_by, doc.referred_customer, doc.survey_response), (agent, None, None))
		doc.update({"asked_by": "Administrator", "referred_customer": other, "status": "Agreed"})
		doc.save()
		doc.reload()
		self.assertEqual((doc.asked_by, doc.referred_customer, doc.status), (agent, None, "Agreed"))
		# An agent may not delete an ask; a contact of another customer is refused.
		with self.assertRaises(frappe.PermissionError):
			frappe.delete_doc("Advocacy Ask", doc.name)
		frappe.set_user("Administrator")
		with self.assertRaises(advocacy.AdvocacyAskError):
			advocacy.ask(other, contact, "Review")


class TestReferralFromTheSurveyPage(AdvocacyTestCase):
	def answered(self, score: int):
		"""A customer invited by an NPS campaign, and the token of its answer `score`."""
		ensure_outgoing_email_account()
		customer = make_customer("Referrer", customer_group=self.group)
		contact = make_contact(customer)
		campaign = make_campaign("Net Promoter Score", customer_group=self.group, recontact_window_days=0)
		run_campaign(campaign.name)
		invitation = frappe.get_value("Survey Invitation", {"campaign": campaign.name, "customer": customer})
		token = token_from_email(invitation)
		submit_answers(token, json.dumps({"1": score}))
		run_pending_recomputes()  # what the answer's commit does: the customer scored
		return customer, contact, token

	def test_a_promoters_referral_becomes_a_lead_and_an_ask_stored_as_text(self):
		customer, contact, token = self.answered(10)
		# Not Healthy and never asked: a referral the customer offers is not an ask, no rule applies.
		frappe.set_user("Guest")
		self.assertEqual(refer(token, f"  Ada {XSS} ", XSS, " Ada.Referred@Example.com "), {"recorded": True})
		frappe.set_user("Administrator")
		lead = frappe.get_doc("Lead", {"email_id": "ada.referred@example.com"})
		self.assertEqual((lead.first_name, lead.company_name), (f"Ada {XSS_STORED}", XSS_STORED))
		self.assertNotIn("<", lead.lead_name + lead.title)
		(ask,) = asks_of(customer)
		self.assertEqual(
			(ask.contact, ask.ask_type, ask.status, ask.asked_by, ask.result_lead),
			(contact, "Referral", "Done", "Guest", lead.name),
		)
		self.assertTrue(ask.survey_response)
		# The same person again: the Lead is reused, no second ask; someone else: a second Lead.
		frappe.set_user("Guest")
		refer(token, "Ada again", "", "ada.referred@example.com")
		refer(token, "Bob", "Bob's Bakery", "bob.referred@example.com")
		frappe.set_user("Administrator")
		self.assertEqual(frappe.db.count("Lead", {"email_id": "ada.referred@example.com"}), 1)
		self.assertEqual(len(asks_of(customer)), 2)
		# It does not count against the ask limit: the promoter, Healthy, can still be asked.
		set_band(customer, "Healthy")
		self.assertTrue(advocacy.ask(customer, contact, "Review"))

	def test_refused_referrals_change_nothing(self):
		_customer, _contact, detractor_token = self.answered(6)
		customer, _contact, token = self.answered(9)
		leads = frappe.db.count("Lead")
		frappe.set_user("Guest")
		for args, message in (
			((detractor_token, "Ada", "", "ada@example.com"), "cannot be used"),
			(("x" * 43, "Ada", "", "ada@example.com"), "cannot be used"),
			((None, "Ada", "", "ada@example.com"), "cannot be used"),
			((token, "   ", "", "ada@example.com"), "name of the person"),
			((token, "Ada", "", "not an address"), "valid email"),
			((token, "Ada", "", "ada@example.com, eve@example.com"), "valid email"),
			((token, "Ada", "", "a" * 140 + "@example.com"), "valid email"),
		):
			with self.assertRaisesRegex(advocacy.ReferralError, message):
				refer(*args)
		frappe.set_user("Administrator")
		self.assertEqual(frappe.db.count("Lead"), leads)
		self.assertFalse(asks_of(customer))
		# One answer brings at most five referrals.
		frappe.set_user("Guest")
		for i in range(advocacy.MAX_REFERRALS_PER_ANSWER):
			refer(token, f"Person {i}", "", f"person{i}.{frappe.generate_hash(length=5)}@example.com")
		with self.assertRaisesRegex(advocacy.ReferralError, "received your recommendations"):
			refer(token, "One more", "", "one.more@example.com")
		frappe.set_user("Administrator")
		self.assertEqual(len(asks_of(customer)), advocacy.MAX_REFERRALS_PER_ANSWER)

	def test_the_endpoint_is_rate_limited(self):
		_customer, _contact, token = self.answered(9)
		frappe.set_user("Guest")
		with guest_post("refer", "203.0.113.7"):
			outcomes = []
			for i in range(7):
				try:
					refer(token, f"P {i}", "", f"rl{i}.{frappe.generate_hash(length=5)}@example.com")
					outcomes.append("ok")
				except frappe.RateLimitExceededError:
					outcomes.append("429")
				except advocacy.ReferralError:
					outcomes.append("refused")
		frappe.set_user("Administrator")
		# Five requests a minute from one address; the sixth and seventh are turned away before any work.
		self.assertEqual(outcomes, ["ok"] * 5 + ["429"] * 2)


class TestReferredRevenue(AdvocacyTestCase):
	def test_a_converted_referral_credits_its_new_mrr_to_the_advocate(self):
		advocate, contact = self.promoter(score=10)
		second_advocate, second_contact = self.promoter(score=9)
		# Offered on the survey page after their promoter answers (not asks: the limit is not spent).
		answers = {
			customer: frappe.db.get_value("Survey Response", {"customer": customer})
			for customer in (advocate, second_advocate)
		}
		invitation = frappe._dict(name=None, customer=advocate, contact=contact)
		lead = advocacy.record_referral(
			invitation, XSS, XSS, "carol.referred@example.com", survey_response=answers[advocate]
		)
		# The same person referred later by another advocate: the Lead is shared, the credit is the first's.
		self.assertEqual(
			advocacy.record_referral(
				frappe._dict(name=None, customer=second_advocate, contact=second_contact),
				"Carol",
				"",
				"carol.referred@example.com",
				survey_response=answers[second_advocate],
			),
			lead,
		)
		advocacy.ask(advocate, contact, "Review")
		# The Lead becomes a customer paying 250 a month for three months: New MRR 250 in the ledger.
		referred = make_customer("Referred", customer_group=self.group, lead_name=lead)
		make_monthly_invoices(referred, 250, get_first_day(add_months(today(), -2)), 3)
		rebuild_customers([referred])
		# (The ledger also dates a Churn at the end of the last month invoiced: no later invoice yet.)
		self.assertEqual(
			frappe.get_all(
				"MRR Movement",
				filters={"customer": referred, "movement_type": "New"},
				fields=["movement_date", "amount"],
			),
			[{"movement_date": get_first_day(add_months(today(), -2)), "amount": 250}],
		)
		self.assertEqual(advocacy.sync_referred_customers(), 2)  # both referrals of the Lead
		self.assertEqual(advocacy.sync_referred_customers(), 0)
		self.assertEqual(
			frappe.get_all(
				"Advocacy Ask",
				filters={"result_lead": lead},
				fields=["customer", "referred_customer"],
				order_by="customer",
			),
			sorted(
				[
					{"customer": advocate, "referred_customer": referred},
					{"customer": second_advocate, "referred_customer": referred},
				],
				key=lambda row: row["customer"],
			),
		)

		columns, data, summary, chart, _message = run_report(**report_filters(customer_group=self.group))
		rows = {row["customer"]: row for row in data}
		first, second = rows[advocate], rows[second_advocate]
		self.assertEqual(
			(first["asks"], first["type_review"], first["status_asked"], first["referrals"]), (1, 1, 1, 1)
		)
		self.assertEqual(
			(first["referred_customers"], first["referred_mrr"], first["referred_leads"]),
			(1, 250, XSS_STORED),
		)
		self.assertNotIn("<", json.dumps(data))
		# The second advocate referred the same Lead later: a referral, no credit. Empty, not 0.
		self.assertEqual(second["referrals"], 1)
		for field in ("asks", "type_review", "referred_customers", "referred_mrr"):
			self.assertNotIn(field, second)
		self.assertEqual(data[0]["customer"], advocate)  # by referred MRR
		self.assertEqual(
			(summary["Advocates"], summary["Asks"], summary["Referrals"], summary["Referred MRR"]),
			(2, 1, 2, 250),
		)
		self.assertEqual(chart["data"]["labels"][0], "Review")
		self.assertIn("referred_mrr", [c["fieldname"] for c in columns])

		# A CS Agent who may not read Sales Invoices sees the referrals, not the money.
		agent = make_user(CS_AGENT)
		frappe.set_user(agent)
		if frappe.has_permission("Sales Invoice", "read"):
			self.skipTest("CS Agent reads Sales Invoices on this site")
		columns, data, summary, _chart, message = run_report(**report_filters(customer_group=self.group))
		self.assertNotIn("referred_mrr", [c["fieldname"] for c in columns])
		self.assertNotIn("Referred MRR", summary)
		self.assertNotIn("referred_mrr", {key for row in data for key in row})
		self.assertIn("Sales Invoices", message)
		self.assertEqual({row["customer"]: row.get("referred_customers") for row in data}[advocate], 1)


class TestReferralOverHttp(FrappeTestCase):
	"""As a browser or an attacker would call it. The web server is another process: the data is committed
	in setUpClass and deleted in tearDownClass."""

	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		cls.account = ensure_outgoing_email_account()
		cls.group = make_customer_group("Advocacy HTTP")
		cls.customer = make_customer("Advocacy HTTP", customer_group=cls.group)
		cls.contact = make_contact(cls.customer)
		cls.campaign = make_campaign("Net Promoter Score", customer_group=cls.group, recontact_window_days=0)
		run_campaign(cls.campaign.name)
		cls.invitation = frappe.get_value("Survey Invitation", {"campaign": cls.campaign.name})
		cls.token = token_from_email(cls.invitation)
		submit_answers(cls.token, json.dumps({"1": 10}))
		cls.manager = make_user(CS_MANAGER, "Accounts User")
		update_password(cls.manager, PASSWORD)
		run_pending_recomputes()
		frappe.db.commit()
		cls._server = contextlib.ExitStack()
		cls.base_url = cls._server.enter_context(live_server())

	@classmethod
	def tearDownClass(cls):
		cls._server.close()
		frappe.db.rollback()
		frappe.set_user("Administrator")
		frappe.db.delete("Advocacy Ask", {"customer": cls.customer})
		for lead in frappe.get_all("Lead", {"email_id": ("like", f"%@{HTTP_DOMAIN}")}, pluck="name"):
			frappe.delete_doc("Lead", lead, force=True, ignore_permissions=True)
		responses = frappe.get_all("Survey Response", {"campaign": cls.campaign.name}, pluck="name")
		for doctype, field in (("ToDo", "reference_name"), ("Touchpoint", "reference_name")):
			frappe.db.delete(doctype, {field: ("in", responses or [""])})
		frappe.db.delete("Survey Answer", {"parent": ("in", responses or [""])})
		frappe.db.delete("Survey Response", {"campaign": cls.campaign.name})
		frappe.db.delete(
			"Email Queue", {"reference_doctype": "Survey Invitation", "reference_name": cls.invitation}
		)
		frappe.db.delete("Survey Invitation", {"campaign": cls.campaign.name})
		frappe.delete_doc("Customer", cls.customer, force=True, ignore_permissions=True)
		frappe.delete_doc("Contact", cls.contact, force=True, ignore_permissions=True)
		frappe.delete_doc("Survey Campaign", cls.campaign.name, force=True, ignore_permissions=True)
		frappe.delete_doc("Customer Group", cls.group, force=True, ignore_permissions=True)
		frappe.delete_doc("User", cls.manager, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDownClass()

	def setUp(self):
		frappe.cache.delete_keys("rl:")
		frappe.db.rollback()  # read what the web server committed
		# Each test starts without referrals (one answer brings at most five).
		frappe.db.delete("Advocacy Ask", {"customer": self.customer})
		frappe.db.commit()

	def post(self, session=None, **data) -> requests.Response:
		return (session or requests).post(
			f"{self.base_url}/api/method/cs_success.api.survey.refer",
			data=data,
			headers={"Accept": "application/json"},
			timeout=30,
		)

	def test_get_changes_nothing_post_stores_text_and_the_report_shows_it_escaped(self):
		email = f"dora.{frappe.generate_hash(length=5)}@{HTTP_DOMAIN}"
		args = {"token": self.token, "name": XSS, "company": XSS, "email": email}
		response = requests.get(
			f"{self.base_url}/api/method/cs_success.api.survey.refer", params=args, timeout=30
		)
		self.assertGreaterEqual(response.status_code, 400)
		frappe.db.rollback()
		self.assertFalse(frappe.db.exists("Lead", {"email_id": email}))
		self.assertFalse(frappe.db.exists("Advocacy Ask", {"customer": self.customer}))

		response = self.post(**args)
		self.assertEqual(response.status_code, 200, response.text[:300])
		self.assertEqual(response.json()["message"], {"recorded": True})
		frappe.db.rollback()
		lead = frappe.db.get_value(
			"Lead", {"email_id": email}, ["name", "first_name", "company_name"], as_dict=True
		)
		self.assertEqual((lead.first_name, lead.company_name), (XSS_STORED, XSS_STORED))
		self.assertTrue(
			frappe.db.exists("Advocacy Ask", {"customer": self.customer, "result_lead": lead.name})
		)

		# The report, as a CS Manager's browser asks for it: the name comes back as text.
		session = requests.Session()
		login = session.post(
			f"{self.base_url}/api/method/login", data={"usr": self.manager, "pwd": PASSWORD}, timeout=30
		)
		self.assertEqual(login.status_code, 200, login.text[:200])
		report = session.get(
			f"{self.base_url}/api/method/frappe.desk.query_report.run",
			params={
				"report_name": "Advocacy",
				"filters": json.dumps(report_filters(customer_group=self.group), default=str),
			},
			headers={"Accept": "application/json"},
			timeout=60,
		)
		self.assertEqual(report.status_code, 200, report.text[:300])
		self.assertIn("&lt;img src=x", report.text)
		self.assertNotIn("<img", report.text)
		(row,) = report.json()["message"]["result"]
		self.assertEqual(
			(row["customer"], row["referrals"], row["referred_leads"]), (self.customer, 1, XSS_STORED)
		)

	def test_the_rate_limit_answers_429(self):
		statuses = [
			self.post(
				token=self.token, name=f"R {i}", email=f"r{i}.{frappe.generate_hash(length=5)}@{HTTP_DOMAIN}"
			).status_code
			for i in range(7)
		]
		self.assertEqual(statuses[0], 200)
		self.assertEqual(statuses[-1], 429)
		self.assertEqual(statuses.count(429), 2)


class TestAdvocacyPlay(AdvocacyTestCase):
	def test_the_promoter_play_asks_only_who_may_be_asked(self):
		"""Three promoters: healthy (asked, a referral, linked to the run), At Risk (not found), healthy but
		asked 30 days ago (not found: once per contact per 90 days)."""
		from cs_success.playbooks.evaluation import run_daily

		asked, _contact = self.promoter(10)
		at_risk, _c = self.promoter(10, band="At Risk")
		recently, recent_contact = self.promoter(9)
		make_advocacy_ask(recently, recent_contact, add_days(today(), -30))
		play = make_play(
			"Promoter",
			re_enrolment="Never",
			actions=[{"action_type": "Ask for Advocacy", "ask_type": "Referral"}],
		)
		run_daily()
		runs = frappe.get_all("Play Run", filters={"play": play.name}, fields=["name", "customer", "reason"])
		found = {r.customer for r in runs}
		self.assertIn(asked, found)
		self.assertNotIn(at_risk, found)
		self.assertNotIn(recently, found)
		run = next(r for r in runs if r.customer == asked)
		self.assertIn("answered NPS 10", run.reason)
		ask = frappe.get_doc("Advocacy Ask", {"customer": asked})
		self.assertEqual((ask.ask_type, ask.status, ask.play_run), ("Referral", "Asked", run.name))
