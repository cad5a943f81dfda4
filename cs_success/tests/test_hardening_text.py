"""Tier 2: free text from guests, agents and managers is stored inert and shown as the text typed.

Frappe's save-time sanitiser returns any value that parses as JSON unchanged, so these payloads are
shaped like JSON (a quoted string, an object, an array) as well as bare. Each must be stored with `<` and
`>` escaped, whichever door it came through: a guest's survey answer and comment, an agent's touchpoint, a
manager's override reason, a play run's snooze reason and outcome note, and every plain-text field of
every doctype of the app (so a field added later is covered too)."""

import json

import frappe
from frappe.tests.utils import FrappeTestCase

from cs_success.api import health as health_api
from cs_success.api import plays as plays_api
from cs_success.api import survey as survey_api
from cs_success.api.touchpoint import log_touchpoint
from cs_success.base.text import (
	MODULE,
	NOT_FREE_TEXT_OPTIONS,
	PLAIN_TEXT_TYPES,
	RICH_TEXT_TYPES,
	as_text,
	escape_markup_in_doc,
)
from cs_success.patches import free_text_stored_inert
from cs_success.playbooks.runs import Candidate, start_runs
from cs_success.surveys.delivery import run_campaign
from cs_success.surveys.responses import follow_up_description
from cs_success.tests.utils import (
	ensure_outgoing_email_account,
	make_campaign,
	make_contact,
	make_customer,
	make_customer_group,
	make_play,
	make_user,
	reset_health_queue,
	token_from_email,
)

JSON_STRING = '"<img src=x onerror=alert(document.domain)>"'
PAYLOADS = (
	JSON_STRING,  # valid JSON: the sanitiser returns it unchanged
	"<img src=x onerror=alert(document.domain)>",
	'{"note": "<svg onload=alert(1)>"}',
	'["</textarea><script>alert(1)</script>"]',
	"'\"><img src=x onerror=alert(1)>",
)


def inert(text: str) -> str:
	"""What must be stored: the text typed, with < and > as entities (what every HTML view shows as < and >)."""
	return text.replace("<", "&lt;").replace(">", "&gt;")


def free_text_fields(meta) -> list:
	return [
		df
		for df in meta.fields
		if df.fieldtype in PLAIN_TEXT_TYPES and (df.options or "") not in NOT_FREE_TEXT_OPTIONS
	]


class TestAsText(FrappeTestCase):
	def test_escapes_angle_brackets_once_and_leaves_the_rest(self):
		self.assertEqual(as_text(JSON_STRING), '"&lt;img src=x onerror=alert(document.domain)&gt;"')
		# Idempotent: a value saved twice is not escaped twice.
		self.assertEqual(as_text(as_text(JSON_STRING)), as_text(JSON_STRING))
		self.assertEqual(as_text('Tom & Jerry\'s "plan"'), 'Tom & Jerry\'s "plan"')
		self.assertIsNone(as_text(None))
		self.assertEqual(as_text(3), 3)


class TestEveryDoctypeStoresTextInert(FrappeTestCase):
	def test_hook_is_registered_for_every_document(self):
		hooks = frappe.get_doc_hooks().get("*", {}).get("before_validate", [])
		self.assertIn("cs_success.base.text.escape_markup_in_doc", hooks)

	def test_every_free_text_field_of_every_doctype(self):
		"""Every plain-text field of every parent doctype of the app, and of its child tables, set to each
		payload, comes out of before_validate inert; every rich-text field comes out sanitised."""
		doctypes = frappe.get_all("DocType", filters={"module": MODULE, "istable": 0}, pluck="name")
		self.assertGreater(len(doctypes), 20)
		checked = 0
		for payload in PAYLOADS:
			for doctype in doctypes:
				doc = frappe.new_doc(doctype)
				for df in free_text_fields(doc.meta):
					doc.set(df.fieldname, payload)
				rich = [df for df in doc.meta.fields if df.fieldtype in RICH_TEXT_TYPES]
				for df in rich:
					doc.set(df.fieldname, payload)
				for table in doc.meta.get_table_fields():
					row = doc.append(table.fieldname, {})
					for df in free_text_fields(row.meta):
						row.set(df.fieldname, payload)
				doc.run_method("before_validate")  # as a save does: the hook, through Frappe
				for record in [doc, *doc.get_all_children()]:
					for df in free_text_fields(record.meta):
						self.assertEqual(
							record.get(df.fieldname), inert(payload), f"{record.doctype}.{df.fieldname}"
						)
						checked += 1
				for df in rich:
					self.assertNotIn("onerror", doc.get(df.fieldname) or "", f"{doctype}.{df.fieldname}")
					self.assertNotIn("<script", doc.get(df.fieldname) or "", f"{doctype}.{df.fieldname}")
		self.assertGreater(checked, 100)

	def test_other_apps_documents_are_left_alone(self):
		todo = frappe.new_doc("ToDo")
		todo.description = JSON_STRING
		escape_markup_in_doc(todo)
		self.assertEqual(todo.description, JSON_STRING)


class TestDoorsStoreTextInert(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()
		ensure_outgoing_email_account()

	def tearDown(self):
		frappe.set_user("Administrator")

	def invitation_token(self, template: str):
		group = make_customer_group("Text")
		customer = make_customer("Text", customer_group=group)
		make_contact(customer)
		campaign = make_campaign(template, customer_group=group)
		run_campaign(campaign.name)
		(invitation,) = frappe.get_all("Survey Invitation", filters={"campaign": campaign.name}, pluck="name")
		return customer, token_from_email(invitation)

	def test_guest_answer_and_comment(self):
		for payload in (JSON_STRING, '{"x": "<img src=x onerror=alert(1)>"}'):
			customer, token = self.invitation_token("Exit Survey")
			frappe.set_user("Guest")
			survey_api.submit_answers(token, json.dumps({"1": 0, "2": "Price", "3": payload}), payload)
			frappe.set_user("Administrator")
			(response,) = frappe.get_all("Survey Response", filters={"customer": customer}, pluck="name")
			doc = frappe.get_doc("Survey Response", response)
			self.assertEqual(doc.comment, inert(payload))
			self.assertEqual([row.answer for row in doc.answers if row.answer][-1], inert(payload))
			# The follow-up's text quotes the answers: inert, and not escaped a second time ("&amp;lt;").
			description = follow_up_description(doc)
			self.assertNotIn("<img", description)
			self.assertNotIn("&amp;lt;", description)

	def test_a_choice_with_angle_brackets_is_still_a_choice(self):
		"""The template's choices were stored inert when it was saved; the answer, compared after the same
		step, still matches: "Price > value" is accepted and stored as "Price &gt; value"."""
		template = frappe.get_doc(
			{
				"doctype": "Survey Template",
				"template_name": f"_CS Test Choices {frappe.generate_hash(length=6)}",
				"questions": [
					{"question": "How likely?", "question_type": "NPS", "is_required": 1},
					{
						"question": "Why?",
						"question_type": "Single Choice",
						"options": "Price > value\nOther",
						"is_required": 1,
					},
				],
			}
		).insert(ignore_permissions=True)
		self.assertEqual(template.questions[1].options, "Price &gt; value\nOther")
		customer, token = self.invitation_token(template.name)
		frappe.set_user("Guest")
		survey_api.submit_answers(token, json.dumps({"1": 9, "2": "Price > value"}), "")
		frappe.set_user("Administrator")
		(response,) = frappe.get_all("Survey Response", filters={"customer": customer}, pluck="name")
		answers = frappe.get_doc("Survey Response", response).answers
		self.assertEqual(answers[1].answer, "Price &gt; value")

	def test_override_reason_and_its_audit(self):
		customer = make_customer("Text Override")
		manager = make_user("CS Manager")
		frappe.set_user(manager)
		health_api.set_override(customer, 40, JSON_STRING, frappe.utils.add_days(frappe.utils.today(), 7))
		frappe.set_user("Administrator")
		health = frappe.get_doc("Customer Health", customer)
		self.assertEqual(health.override_reason, inert(JSON_STRING))
		self.assertNotIn("<img", health.last_change_summary)
		for summary in frappe.get_all(
			"Customer Health Change", filters={"customer": customer}, pluck="summary"
		):
			self.assertNotIn("<img", summary or "")
		for content in frappe.get_all(
			"Comment",
			filters={"reference_doctype": "Customer Health", "reference_name": customer},
			pluck="content",
		):
			self.assertNotIn("<img", content or "")

	def test_agent_touchpoint_summary_and_notes(self):
		customer = make_customer("Text Touchpoint")
		agent = make_user("CS Agent")
		frappe.set_user(agent)
		name = log_touchpoint(customer, "Call", JSON_STRING, notes='"<p>ok</p><img src=x onerror=alert(1)>"')
		frappe.set_user("Administrator")
		touchpoint = frappe.get_doc("Touchpoint", name)
		self.assertEqual(touchpoint.summary, inert(JSON_STRING))
		self.assertNotIn("onerror", touchpoint.notes)
		self.assertIn("<p>ok</p>", touchpoint.notes)  # rich text keeps its harmless markup
		# Saved again from the form (the value it shows): stays as it is, never "&amp;lt;".
		touchpoint.save(ignore_permissions=True)
		self.assertEqual(frappe.db.get_value("Touchpoint", name, "summary"), inert(JSON_STRING))

	def test_play_run_snooze_reason_and_outcome_note(self):
		customer = make_customer("Text Play")
		play = make_play("Objective Overdue")
		(run,) = start_runs(play, [Candidate(customer, "test")])
		manager = make_user("CS Manager")
		frappe.set_user(manager)
		plays_api.snooze_runs(json.dumps([run]), frappe.utils.add_days(frappe.utils.today(), 3), JSON_STRING)
		self.assertEqual(frappe.db.get_value("Play Run", run, "snooze_reason"), inert(JSON_STRING))
		plays_api.close_run(run, "Saved", '{"a": "<svg onload=alert(1)>"}')
		frappe.set_user("Administrator")
		self.assertEqual(
			frappe.db.get_value("Play Run", run, "outcome_note"), inert('{"a": "<svg onload=alert(1)>"}')
		)


class TestPatchMakesStoredTextInert(FrappeTestCase):
	def test_rows_stored_before_are_escaped_once(self):
		customer = make_customer("Text Patch")
		agent_text = log_touchpoint(customer, "Call", "plain")
		frappe.db.sql(
			"update `tabTouchpoint` set summary = %s, notes = %s where name = %s",
			(JSON_STRING, JSON_STRING, agent_text),
		)
		free_text_stored_inert.execute()
		summary, notes = frappe.db.get_value("Touchpoint", agent_text, ["summary", "notes"])
		self.assertEqual(summary, inert(JSON_STRING))
		self.assertNotIn("onerror", notes)
		free_text_stored_inert.execute()  # a second run changes nothing
		self.assertEqual(frappe.db.get_value("Touchpoint", agent_text, "summary"), inert(JSON_STRING))
