"""Tier 2, issue 20 (Hardening II) item 6: background work runs as whoever triggered it.

A guest's survey answer queued the drain as Guest: the touchpoint was made inside the guest's request,
the Play Run and ToDo the drain made were owned by Guest, and a play's Success Plan action failed (Guest
may insert nothing). Here a guest answers through the web form, the drain runs while the session is still
the guest's (as it did in the worker), and what it makes is owned by Administrator while naming the real
actor: the touchpoint the respondent's contact, the run its play and the answer that fired it."""

import json

import frappe
from frappe.tests.utils import FrappeTestCase

from cs_success.base.isolation import SCHEDULED_JOB_RUNNER, as_administrator, run_our_jobs_as_administrator
from cs_success.surveys.delivery import run_campaign
from cs_success.tests.utils import (
	ensure_outgoing_email_account,
	make_campaign,
	make_contact,
	make_customer,
	make_customer_group,
	make_issue,
	make_user,
	reset_health_queue,
	run_pending_recomputes,
	token_from_email,
)


def guest_answers(token: str, answers: dict, comment: str = "") -> None:
	"""The survey web form's own endpoint, called by a guest as the browser does."""
	from frappe.website.doctype.web_form.web_form import accept

	frappe.set_user("Guest")
	data = {
		"doctype": "Survey Response",
		"token": token,
		"answers_json": json.dumps(answers),
		"comment": comment,
	}
	accept("survey", json.dumps(data))


class TestGuestTriggeredDrain(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()
		ensure_outgoing_email_account()
		frappe.db.set_single_value("CS Settings", "touchpoint_on_survey_answered", 1)
		frappe.db.set_single_value("CS Settings", "touchpoint_on_ticket_opened", 1)
		frappe.db.set_single_value("CS Settings", "play_daily_cap", 0)
		frappe.clear_document_cache("CS Settings", "CS Settings")
		# Only this test's play follows the answer up (the shipped one is paused for the test).
		frappe.db.sql("UPDATE `tabPlay` SET is_paused = 1")
		frappe.clear_document_cache("Play")
		self.agent = make_user("CS Agent")
		plan_template = frappe.get_all("Success Plan Template", pluck="name", limit=1)[0]
		self.play = frappe.get_doc(
			{
				"doctype": "Play",
				"play_name": f"_CS Test Guest Follow-up {frappe.generate_hash(length=6)}",
				"trigger": "Unhappy Survey Answer",
				"owner_rule": "User",
				"owner_user": self.agent,
				"re_enrolment": "Every Time",
				"actions": [
					{"action_type": "Task", "subject": "Call them"},
					{"action_type": "Success Plan", "success_plan_template": plan_template},
				],
			}
		).insert(ignore_permissions=True)
		self.plan_template = plan_template
		group = make_customer_group("Guest")
		self.customer = make_customer("Guest", customer_group=group)
		self.contact = make_contact(self.customer)
		campaign = make_campaign("Net Promoter Score", customer_group=group)
		run_campaign(campaign.name)
		(self.invitation,) = frappe.get_all("Survey Invitation", {"campaign": campaign.name}, pluck="name")
		self.token = token_from_email(self.invitation)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()
		frappe.clear_document_cache("Play")
		frappe.clear_document_cache("CS Settings", "CS Settings")

	def response(self) -> str:
		return frappe.db.get_value("Survey Response", {"invitation": self.invitation}, "name")

	def test_the_guests_answer_is_worked_by_the_system_and_names_the_respondent(self):
		guest_answers(self.token, {"1": 2}, comment="Nobody calls back")
		response = self.response()
		# Nothing but the answer is made inside the guest's request: the touchpoint waits for the drain.
		self.assertFalse(frappe.db.exists("Touchpoint", {"source_key": f"Survey Response:{response}"}))
		self.assertEqual(frappe.session.user, "Guest")
		run_pending_recomputes()  # the drain, started from the guest's session as the worker was
		self.assertEqual(frappe.session.user, "Guest", "the caller's session is given back")
		frappe.set_user("Administrator")

		touchpoint = frappe.get_doc("Touchpoint", {"source_key": f"Survey Response:{response}"})
		self.assertEqual(touchpoint.owner, "Administrator")
		self.assertEqual((touchpoint.customer, touchpoint.contact), (self.customer, self.contact))
		self.assertIn("Nobody calls back", touchpoint.summary)

		(run,) = frappe.get_all(
			"Play Run", {"source_name": response}, ["name", "owner", "play", "source_doctype", "run_owner"]
		)
		self.assertEqual(
			(run.owner, run.play, run.source_doctype, run.run_owner),
			("Administrator", self.play.name, "Survey Response", self.agent),
		)
		(todo,) = frappe.get_all(
			"ToDo",
			{"reference_type": "Play Run", "reference_name": run.name},
			["owner", "assigned_by", "allocated_to"],
		)
		self.assertEqual(
			(todo.owner, todo.assigned_by, todo.allocated_to), ("Administrator",) * 2 + (self.agent,)
		)
		# The Success Plan action, which failed as Guest, made the plan.
		self.assertEqual(
			frappe.get_all(
				"Success Plan",
				{"customer": self.customer, "template": self.plan_template},
				["owner", "plan_owner"],
			),
			[{"owner": "Administrator", "plan_owner": self.agent}],
		)
		self.assertFalse(
			frappe.db.exists("Error Log", {"reference_doctype": "Play Run", "reference_name": run.name}),
			"no action of the play failed",
		)

	def test_a_completed_partial_answer_updates_its_one_touchpoint(self):
		from cs_success.surveys.responses import save_answers, save_score

		# The survey page's two posts, by a guest: the score clicked in the email, then the whole answer.
		frappe.set_user("Guest")
		save_score(self.token, 9)
		save_answers(self.token, json.dumps({"1": 10, "2": "Fast support"}), "<b>Thanks</b>")
		run_pending_recomputes()
		frappe.set_user("Administrator")
		(touchpoint,) = frappe.get_all(
			"Touchpoint",
			{"source_key": f"Survey Response:{self.response()}"},
			["summary", "contact", "owner"],
		)
		self.assertEqual((touchpoint.contact, touchpoint.owner), (self.contact, "Administrator"))
		self.assertIn("NPS survey answered: 10", touchpoint.summary)
		self.assertNotIn("<b>", touchpoint.summary)  # free text stays inert

	def test_an_outsiders_ticket_is_recorded_by_the_system(self):
		outsider = make_user("Accounts User")
		frappe.set_user(outsider)
		issue = make_issue(self.customer)
		run_pending_recomputes()
		frappe.set_user("Administrator")
		owners = frappe.get_all(
			"Touchpoint", {"reference_doctype": "Issue", "reference_name": issue.name}, pluck="owner"
		)
		self.assertTrue(owners, "the ticket made its touchpoint")
		self.assertEqual(set(owners), {"Administrator"})


class TestJobsActAsAdministrator(FrappeTestCase):
	def tearDown(self):
		frappe.set_user("Administrator")

	def test_before_job_hook_switches_only_our_jobs(self):
		frappe.set_user("Guest")
		run_our_jobs_as_administrator(method="frappe.email.queue.flush", kwargs={})
		self.assertEqual(frappe.session.user, "Guest", "other apps' jobs are left alone")
		run_our_jobs_as_administrator(method="cs_success.jobs.drain", kwargs={})
		self.assertEqual(frappe.session.user, "Administrator")
		frappe.set_user("Guest")
		run_our_jobs_as_administrator(
			method=SCHEDULED_JOB_RUNNER, kwargs={"job_type": "cs_success.playbooks.evaluation.run_daily"}
		)
		self.assertEqual(frappe.session.user, "Administrator")
		self.assertIn(
			"cs_success.base.isolation.run_our_jobs_as_administrator", frappe.get_hooks("before_job")
		)

	def test_as_administrator_gives_the_session_back(self):
		frappe.set_user("Guest")
		frappe.local.form_dict = frappe._dict(token="abc")
		with self.assertRaises(ZeroDivisionError), as_administrator():
			self.assertEqual(frappe.session.user, "Administrator")
			1 / 0  # noqa: B018
		self.assertEqual((frappe.session.user, frappe.form_dict.token), ("Guest", "abc"))
		frappe.local.form_dict = frappe._dict()
