"""Browser: a CS Manager opens every view that shows text a guest, an agent or another manager wrote, and no
script runs: the survey response (comment and answers grid), the touchpoint form, list and report view, the
customer's timeline, the Customer Health form (override reason), the Play Run form (snooze reason and
outcome note) and the Churned Customer Audit report. Each payload is shaped like JSON, which Frappe's own
sanitiser lets through; the text must show as typed."""

import json

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, today
from frappe.utils.password import update_password

from cs_success.api import health as health_api
from cs_success.api import plays as plays_api
from cs_success.api import survey as survey_api
from cs_success.api.touchpoint import log_touchpoint
from cs_success.playbooks.runs import Candidate, start_runs
from cs_success.surveys.delivery import run_campaign
from cs_success.tests.browser import browser_page, live_server, screenshot
from cs_success.tests.utils import (
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

PASSWORD = "Cs-Test-Passw0rd!"
PAYLOAD = '"<img src=x onerror=alert(document.domain)>"'
SHOWN = "<img src=x onerror=alert(document.domain)>"  # what a person must see, as text


class TestNoScriptRunsInDesk(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		reset_health_queue()
		ensure_outgoing_email_account()
		cls.manager = make_user("CS Manager", "Sales User")  # Sales User: the Customer form and its timeline
		update_password(cls.manager, PASSWORD)
		cls.agent = make_user("CS Agent")
		cls.group = make_customer_group("Browser Text")
		cls.customer = make_customer("Browser Text", customer_group=cls.group)
		make_contact(cls.customer)

		# A guest's exit-survey answer and comment.
		campaign = make_campaign("Exit Survey", customer_group=cls.group)
		run_campaign(campaign.name)
		(invitation,) = frappe.get_all("Survey Invitation", filters={"campaign": campaign.name}, pluck="name")
		token = token_from_email(invitation)
		frappe.set_user("Guest")
		survey_api.submit_answers(token, json.dumps({"1": 2, "2": "Price", "3": PAYLOAD}), PAYLOAD)
		frappe.set_user("Administrator")
		cls.response = frappe.get_all("Survey Response", filters={"customer": cls.customer}, pluck="name")[0]

		# An agent's touchpoint.
		frappe.set_user(cls.agent)
		cls.touchpoint = log_touchpoint(cls.customer, "Call", PAYLOAD)
		frappe.set_user("Administrator")

		# Another manager's override reason.
		other_manager = make_user("CS Manager")
		cls.other_manager = other_manager
		frappe.set_user(other_manager)
		health_api.set_override(cls.customer, 40, PAYLOAD, add_days(today(), 7))
		frappe.set_user("Administrator")

		# A play run snoozed and closed with text.
		cls.play = make_play("Objective Overdue")
		(cls.play_run,) = start_runs(cls.play, [Candidate(cls.customer, "test")])
		plays_api.snooze_runs(json.dumps([cls.play_run]), add_days(today(), 3), PAYLOAD)
		plays_api.close_run(cls.play_run, "Saved", PAYLOAD)
		run_pending_recomputes()
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		frappe.set_user("Administrator")
		for doctype, filters in (
			("Play Run", {"play": cls.play.name}),
			("ToDo", {"reference_type": "Play Run"}),
			("Touchpoint", {"customer": cls.customer}),
			("Survey Response", {"customer": cls.customer}),
			("Survey Invitation", {"customer": cls.customer}),
			("Customer Health Change", {"customer": cls.customer}),
		):
			for name in frappe.get_all(doctype, filters=filters, pluck="name"):
				if doctype == "ToDo" and frappe.db.get_value("ToDo", name, "reference_name") != cls.play_run:
					continue
				frappe.delete_doc(doctype, name, force=True, ignore_permissions=True)
		frappe.delete_doc("Play", cls.play.name, force=True, ignore_permissions=True)
		frappe.delete_doc("Customer", cls.customer, force=True, ignore_permissions=True)
		for user in (cls.manager, cls.agent, cls.other_manager):
			frappe.delete_doc("User", user, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDownClass()

	def open_and_check(self, page, dialogs, route: str, ready: str, name: str, must_show: bool = True):
		page.goto(route)
		page.locator(ready).first.wait_for(timeout=30000)
		page.wait_for_timeout(800)  # formatters and late renders (timeline, grids) have run
		screenshot(page, f"no_script_{name}")
		self.assertEqual(dialogs, [], f"a script ran on {route}")
		self.assertEqual(page.locator("img[src='x']").count(), 0, f"an injected element on {route}")
		if must_show:
			self.assertIn(
				SHOWN, page.locator("body").inner_text(), f"the text is not shown as typed on {route}"
			)

	def test_manager_views_run_no_script(self):
		with live_server() as base_url, browser_page(base_url, self.manager, PASSWORD) as page:
			dialogs = []

			def on_dialog(dialog):
				dialogs.append(dialog.message)
				dialog.dismiss()

			page.on("dialog", on_dialog)
			form = ".page-head .title-text"
			self.open_and_check(
				page, dialogs, f"/app/survey-response/{self.response}", form, "survey_response"
			)
			self.open_and_check(page, dialogs, f"/app/touchpoint/{self.touchpoint}", form, "touchpoint")
			self.open_and_check(page, dialogs, "/app/touchpoint", ".list-row", "touchpoints")
			self.open_and_check(
				page,
				dialogs,
				"/app/touchpoint/view/report",
				".dt-row",
				"touchpoint_report",
				must_show=False,  # the summary is not one of the report view's default columns
			)
			self.open_and_check(page, dialogs, f"/app/customer/{self.customer}", form, "customer_timeline")
			self.open_and_check(
				page, dialogs, f"/app/customer-health/{self.customer}", form, "customer_health"
			)
			self.open_and_check(page, dialogs, f"/app/play-run/{self.play_run}", form, "play_run")
			self.open_and_check(
				page,
				dialogs,
				"/app/query-report/Churned Customer Audit",
				".page-head .title-text",
				"churned_customer_audit",
				must_show=False,  # the customer has not churned in the ledger; the report must still run clean
			)
