"""Tier 2, issue 20 (Hardening II) items 2 and 7.

Item 2: a CS Agent took over another agent's play run and mailed any customer: the permission hook judged
the run after the client's changes, and read-only fields were read-only in the form only. Here the exact
attack is replayed through every client path (frappe.client.set_value, frappe.client.save, the REST PUT
handler, start_held_run) and each step must be refused with nothing made or mailed; the people the
design lets change runs (the run's own agent, the customer's account manager, a CS Manager) still can.

Item 7: an NPS answer of 0 never got a follow-up (`headline_score is set` is `!= ''`, which MariaDB reads
as `!= 0`). Every trigger that reads a score is tried with the lowest score of each scale."""

import json

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, getdate, now_datetime, today

from cs_success.api.plays import close_run, snooze_runs, start_held_run
from cs_success.base.bulk import insert_rows
from cs_success.playbooks import runs
from cs_success.playbooks.evaluation import after_recompute
from cs_success.playbooks.permissions import ServerOwnedFieldError
from cs_success.playbooks.runs import Candidate, PlayRunError
from cs_success.surveys.delivery import run_campaign
from cs_success.tests.utils import (
	STANDARD,
	ensure_outgoing_email_account,
	make_campaign,
	make_contact,
	make_customer,
	make_customer_group,
	make_play,
	make_user,
	reset_health_queue,
	run_pending_recomputes,
	token_from_email,
)

ATTACK_TEXT = "Your account is suspended, pay here: https://attacker.example/pay"


def stored(run: str) -> dict:
	return frappe.db.get_value(
		"Play Run", run, ["run_owner", "status", "customer", "reason", "open_key"], as_dict=True
	)


def rest_put(run: str, values: dict):
	"""What PUT /api/resource/Play Run/<name> runs (frappe.api.v1.update_doc) with that JSON body."""
	from frappe.api.v1 import update_doc

	frappe.local.form_dict = frappe._dict(data=json.dumps(values))
	try:
		return update_doc("Play Run", run)
	finally:
		frappe.local.form_dict = frappe._dict()


class HardeningTestCase(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()
		ensure_outgoing_email_account()
		self.today = getdate(today())
		# Only this test's plays run: the shipped ones (and any left by others) are paused for its duration.
		frappe.db.sql("UPDATE `tabPlay` SET is_paused = 1")
		frappe.clear_document_cache("Play")
		frappe.db.set_single_value("CS Settings", "play_daily_cap", 0)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()
		frappe.clear_document_cache("Play")


class TestAgentCannotTakeOverARun(HardeningTestCase):
	def setUp(self):
		super().setUp()
		self.agent_a, self.agent_b = make_user("CS Agent"), make_user("CS Agent")
		template = frappe.get_doc(
			{
				"doctype": "Email Template",
				"name": f"_CS Test Mail {frappe.generate_hash(length=5)}",
				"subject": "About your account",
				"response": "Hello {{ customer_name }}. {{ reason }}",
			}
		).insert(ignore_permissions=True)
		# The play of the report: a task for the owner and an email sent to every contact of the customer.
		self.play = make_play(
			"Customer Churned",
			owner_user=self.agent_b,
			actions=[
				{"action_type": "Task", "subject": "Call them"},
				{"action_type": "Email", "email_template": template.name, "send_email": "Sent"},
			],
		)
		self.b_customer = make_customer("B's customer", account_manager=self.agent_b)
		(self.run,) = runs.start_runs(self.play, [Candidate(self.b_customer, "Churned last week")])
		# Any customer the attacker picks, with four contacts who would get the mail.
		self.victim = make_customer("Victim")
		self.victim_emails = [f"victim-{i}-{frappe.generate_hash(length=6)}@example.com" for i in range(4)]
		for email in self.victim_emails:
			make_contact(self.victim, email)
		self.before = stored(self.run)
		self.todos_before = frappe.db.count("ToDo")

	def assert_nothing_happened(self):
		frappe.set_user("Administrator")
		self.assertEqual(stored(self.run), self.before)
		self.assertEqual(frappe.db.count("ToDo"), self.todos_before, "no task was made")
		self.assertEqual(
			frappe.db.count("Email Queue Recipient", {"recipient": ("in", self.victim_emails)}),
			0,
			"nothing was queued to the victim's contacts",
		)
		self.assertFalse(frappe.db.exists("Play Run", {"customer": self.victim}))

	def test_the_reported_attack_is_refused_at_every_step(self):
		from frappe.client import set_value

		frappe.set_user(self.agent_a)
		# 1. Make myself the owner: the hook judges the run as stored (B's), not as sent.
		with self.assertRaises(frappe.PermissionError):
			set_value("Play Run", self.run, "run_owner", self.agent_a)
		# 2. Hold it for any customer, with my text in the mail.
		with self.assertRaises(frappe.PermissionError):
			set_value(
				"Play Run",
				self.run,
				json.dumps({"status": "Held", "customer": self.victim, "reason": ATTACK_TEXT}),
			)
		# The same through REST and frappe.client.save (the Desk form's path).
		with self.assertRaises(frappe.PermissionError):
			rest_put(self.run, {"run_owner": self.agent_a, "status": "Held", "customer": self.victim})
		from frappe.client import save

		doc = frappe.get_doc("Play Run", self.run).as_dict()
		doc.update({"run_owner": self.agent_a, "status": "Held", "customer": self.victim})
		with self.assertRaises(frappe.PermissionError):
			save(json.dumps(doc, default=str))
		# 3. Start it: refused on the stored run.
		with self.assertRaises(frappe.PermissionError):
			start_held_run(self.run)
		self.assert_nothing_happened()

	def test_the_hook_reads_owner_and_customer_from_the_database(self):
		doc = frappe.get_doc("Play Run", self.run)
		doc.run_owner = self.agent_a  # changed in memory only, as a client save would
		doc.customer = make_customer("Mine", account_manager=self.agent_a)
		self.assertFalse(frappe.has_permission("Play Run", "write", doc, user=self.agent_a))
		self.assertTrue(frappe.has_permission("Play Run", "write", doc, user=self.agent_b))
		self.assertTrue(frappe.has_permission("Play Run", "read", doc, user=self.agent_a))  # team sees it

	def test_the_owner_may_not_rewrite_their_own_run_either(self):
		"""Agent B passes the permission check on B's run, but what the server owns stays the server's:
		a run made Held for another customer, with B's text, and started, would mail that customer."""
		from frappe.client import set_value

		frappe.set_user(self.agent_b)
		for values in (
			{"status": "Held"},
			{"customer": self.victim},
			{"reason": ATTACK_TEXT},
			{"run_owner": self.agent_a},  # handing a run over is a manager's call
			{"outcome": "Saved"},
			{"band_at_start": "Healthy"},
			{"checked_on": str(self.today), "churned_within_90": 1},
			{"open_key": "anything"},
			{"enrolled_on": "2020-01-01 00:00:00"},
			# Play Effectiveness' stored facts (health/band_outcomes.py writes them, nobody else)
			{"effect_day": "2020-01-01", "effect_customer": self.victim, "effect_facts": "{}"},
		):
			with self.subTest(values=values), self.assertRaises(ServerOwnedFieldError):
				set_value("Play Run", self.run, json.dumps(values))
		# MRR is revenue, a field agents may not even see (permlevel 1): Frappe puts the stored value back
		# before validation, or the lock refuses it; either way the figure stands.
		mrr = frappe.db.get_value("Play Run", self.run, "mrr_at_start")
		try:
			set_value("Play Run", self.run, "mrr_at_start", 1000)
		except ServerOwnedFieldError:
			pass
		self.assertEqual(frappe.db.get_value("Play Run", self.run, "mrr_at_start"), mrr)
		with self.assertRaises(ServerOwnedFieldError):
			rest_put(self.run, {"status": "Held", "customer": self.victim, "reason": ATTACK_TEXT})
		with self.assertRaises(PlayRunError):  # the stored run is Open, whatever was sent before
			start_held_run(self.run)
		self.assert_nothing_happened()

	def test_nobody_inserts_a_run_by_hand(self):
		from frappe.client import insert

		frappe.set_user(make_user("CS Manager"))
		with self.assertRaises(ServerOwnedFieldError):
			insert(
				json.dumps(
					{
						"doctype": "Play Run",
						"play": self.play.name,
						"customer": self.victim,
						"status": "Held",
						"run_owner": frappe.session.user,
						"reason": ATTACK_TEXT,
					}
				)
			)
		self.assert_nothing_happened()

	def test_a_manager_may_reassign_a_run_but_not_rewrite_it(self):
		from frappe.client import set_value

		frappe.set_user(make_user("CS Manager"))
		set_value("Play Run", self.run, "run_owner", self.agent_a)
		self.assertEqual(frappe.db.get_value("Play Run", self.run, "run_owner"), self.agent_a)
		with self.assertRaises(ServerOwnedFieldError):
			set_value("Play Run", self.run, json.dumps({"status": "Held", "customer": self.victim}))
		# Saving the form unchanged (the Desk sends every field back, dates as text) is no change.
		from frappe.client import save

		save(json.dumps(frappe.get_doc("Play Run", self.run).as_dict(), default=str))

	def test_the_runs_agent_and_a_manager_still_snooze_and_close(self):
		until = str(add_days(self.today, 3))
		frappe.set_user(self.agent_b)
		self.assertEqual(snooze_runs(self.run, until, "Customer on holiday"), 1)
		self.assertEqual(frappe.db.get_value("Play Run", self.run, "status"), "Snoozed")
		close_run(self.run, "Saved", "Renewed after the call")
		self.assertEqual(
			frappe.db.get_value("Play Run", self.run, ["status", "outcome", "open_key"]),
			("Closed", "Saved", None),
		)
		# Agent A may do neither on B's run; a CS Manager may do both on anyone's.
		(other,) = runs.start_runs(
			make_play("Customer Churned", owner_user=self.agent_b), [Candidate(self.b_customer, "why")]
		)
		frappe.set_user(self.agent_a)
		with self.assertRaises(frappe.PermissionError):
			snooze_runs(other, until, "Not mine")
		with self.assertRaises(frappe.PermissionError):
			close_run(other, "Churned")
		frappe.set_user(make_user("CS Manager"))
		self.assertEqual(snooze_runs(json.dumps([other]), until, "Waiting for budget"), 1)
		close_run(other, "No Effect")
		self.assertEqual(frappe.db.get_value("Play Run", other, "status"), "Closed")

	def test_the_customers_account_manager_may_start_a_held_run_once(self):
		frappe.db.set_single_value("CS Settings", "play_daily_cap", 1)
		play = make_play("Customer Churned", owner_user=self.agent_b)
		customers = [make_customer(f"Held {i}", account_manager=self.agent_a) for i in range(2)]
		started = runs.start_runs(play, [Candidate(c, "why") for c in customers])
		held = next(name for name in started if frappe.db.get_value("Play Run", name, "status") == "Held")
		frappe.set_user(self.agent_a)  # not the owner, but the customer's account manager
		start_held_run(held)
		self.assertEqual(frappe.db.get_value("Play Run", held, "status"), "Open")
		self.assertEqual(frappe.db.count("ToDo", {"reference_type": "Play Run", "reference_name": held}), 1)
		with self.assertRaises(PlayRunError):  # a second click makes no second set of tasks
			start_held_run(held)
		self.assertEqual(frappe.db.count("ToDo", {"reference_type": "Play Run", "reference_name": held}), 1)


class TestLowestScoresAreFollowedUp(HardeningTestCase):
	"""Every trigger that reads a score, with the lowest score of each scale (0 for NPS)."""

	def answer(self, template: str, score: int) -> tuple[str, str]:
		group = make_customer_group("Lowest")
		customer = make_customer("Lowest", customer_group=group)
		make_contact(customer)
		campaign = make_campaign(template, customer_group=group)
		run_campaign(campaign.name)
		(invitation,) = frappe.get_all("Survey Invitation", {"campaign": campaign.name}, pluck="name")
		token = token_from_email(invitation)
		from cs_success.surveys.responses import save_answers

		response = save_answers(token, json.dumps({"1": score}))
		self.assertEqual(response.headline_score, score)
		return customer, response.name

	def runs_for(self, play, response: str) -> list[str]:
		return frappe.get_all("Play Run", {"play": play.name, "source_name": response}, pluck="name")

	def test_nps_0_csat_1_and_ces_1_each_start_the_follow_up(self):
		for template, question_type, score in (
			("Net Promoter Score", "NPS", 0),
			("Post-Ticket Satisfaction", "CSAT", 1),
			("Customer Effort", "CES", 1),
		):
			with self.subTest(question_type=question_type, score=score):
				typed = make_play("Unhappy Survey Answer", question_type=question_type)
				any_type = make_play("Unhappy Survey Answer")  # the shipped play's shape: no type set
				_customer, response = self.answer(template, score)
				run_pending_recomputes()  # the drain: recompute, then the plays
				self.assertEqual(len(self.runs_for(typed, response)), 1)
				self.assertEqual(len(self.runs_for(any_type, response)), 1)
				frappe.db.set_value("Play", typed.name, "is_paused", 1)
				frappe.db.set_value("Play", any_type.name, "is_paused", 1)
				frappe.clear_document_cache("Play")

	def test_two_nps_0_answers_start_two_runs_like_an_nps_3(self):
		"""The report: two NPS 0 answers started no play, an NPS 3 did."""
		play = make_play("Unhappy Survey Answer", question_type="NPS")
		responses = [self.answer("Net Promoter Score", score)[1] for score in (0, 0, 3)]
		run_pending_recomputes()
		self.assertEqual([len(self.runs_for(play, r)) for r in responses], [1, 1, 1])

	def test_a_campaign_threshold_of_0_follows_up_an_nps_0(self):
		play = make_play("Unhappy Survey Answer")
		group = make_customer_group("Threshold")
		customer = make_customer("Threshold", customer_group=group)
		make_contact(customer)
		campaign = make_campaign("Net Promoter Score", customer_group=group, follow_up_threshold=0)
		run_campaign(campaign.name)
		(invitation,) = frappe.get_all("Survey Invitation", {"campaign": campaign.name}, pluck="name")
		from cs_success.surveys.responses import save_answers

		response = save_answers(token_from_email(invitation), json.dumps({"1": 0})).name
		run_pending_recomputes()
		self.assertEqual(len(self.runs_for(play, response)), 1)

	def test_a_score_that_drops_to_0_is_a_drop(self):
		play = make_play("Score Dropped", points=20, days=30)
		customer = make_customer("To zero")
		now = now_datetime()
		standard = (frappe.generate_hash(length=20), now, now, "Administrator", "Administrator", 0)
		insert_rows(
			"Customer Health Snapshot",
			[*STANDARD, "customer", "snapshot_date", "kind", "score", "band"],
			[(*standard, customer, add_days(self.today, -30), "Daily", 60, "At Risk")],
		)
		outcome = frappe._dict(
			customer=frappe._dict(name=customer, customer_name=customer),
			score=0.0,
			band="Critical",
			previous=None,
			band_changed=False,
		)
		after_recompute([outcome])
		(run,) = frappe.get_all("Play Run", {"play": play.name}, ["customer", "reason"])
		self.assertEqual(run.customer, customer)
		self.assertIn("Health score 0, down from 60", run.reason)
