"""Tier 2: touchpoints by hand and from their sources, without duplicates, feeding health."""

import frappe
from frappe.desk.form.load import get_docinfo
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, now_datetime

from cs_success.api.touchpoint import log_touchpoint
from cs_success.health.recompute import recompute_customers
from cs_success.tests.utils import (
	make_contact,
	make_customer,
	make_issue,
	make_user,
	measure,
	reset_health_queue,
	run_pending_recomputes,
)


class TestTouchpoints(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()

	def tearDown(self):
		frappe.set_user("Administrator")

	def touchpoints(self, customer, **filters):
		return frappe.get_all(
			"Touchpoint",
			filters={"customer": customer, **filters},
			fields=[
				"touchpoint_type",
				"summary",
				"stage",
				"source_key",
				"is_automatic",
				"reference_name",
				"direction",
			],
			order_by="touchpoint_date asc, creation asc",
		)

	def test_ticket_opened_and_resolved_once_each(self):
		customer = make_customer("Ticket Touch")
		issue = make_issue(customer, subject="Printer on fire")
		issue.reload()
		issue.description = "Still on fire"
		issue.save(ignore_permissions=True)  # saved again: no new touchpoint
		issue.status = "Resolved"
		issue.save(ignore_permissions=True)
		issue.save(ignore_permissions=True)
		run_pending_recomputes()  # the commit: the drain records them
		rows = self.touchpoints(customer)
		self.assertEqual(
			[(r.touchpoint_type, r.source_key) for r in rows],
			[("Ticket", f"Issue:{issue.name}:opened"), ("Ticket", f"Issue:{issue.name}:resolved")],
		)
		self.assertIn("Printer on fire", rows[0].summary)
		self.assertEqual(
			(rows[0].stage, rows[0].is_automatic, rows[0].reference_name), ("During service", 1, issue.name)
		)

	def test_sources_can_be_switched_off(self):
		frappe.db.set_single_value("CS Settings", "touchpoint_on_ticket_opened", 0)
		frappe.clear_document_cache("CS Settings", "CS Settings")
		self.addCleanup(frappe.db.set_single_value, "CS Settings", "touchpoint_on_ticket_opened", 1)
		customer = make_customer("Switched Off")
		make_issue(customer)
		run_pending_recomputes()
		self.assertEqual(self.touchpoints(customer), [])

	def test_email_with_a_contact_is_a_touchpoint_of_its_customer(self):
		customer = make_customer("Email Touch")
		contact = make_contact(customer)
		email = frappe.get_doc(
			{
				"doctype": "Communication",
				"communication_type": "Communication",
				"communication_medium": "Email",
				"sent_or_received": "Received",
				"subject": "Question about the renewal",
				"content": "Hello",
				"sender": frappe.db.get_value("Contact", contact, "email_id"),
				"reference_doctype": "Contact",
				"reference_name": contact,
			}
		).insert(ignore_permissions=True)
		run_pending_recomputes()
		(row,) = self.touchpoints(customer)
		self.assertEqual(
			(row.touchpoint_type, row.summary, row.direction),
			("Email", "Question about the renewal", "Inbound"),
		)
		from cs_success.touchpoints.sources import touchpoint_for_email

		self.assertEqual(touchpoint_for_email(email.name), [])  # processed again: nothing new

	def test_quick_entry_by_an_agent_and_stage_from_type(self):
		customer = make_customer("Quick")
		frappe.set_user(make_user("CS Agent"))
		name = log_touchpoint(customer, "QBR", "Quarterly review: expansion discussed", sentiment="Positive")
		frappe.set_user("Administrator")
		doc = frappe.get_doc("Touchpoint", name)
		self.assertEqual((doc.stage, doc.sentiment, doc.is_automatic), ("After service", "Positive", 0))
		frappe.set_user(make_user(""))
		with self.assertRaises(frappe.PermissionError):
			log_touchpoint(customer, "Call", "Not allowed")

	def test_timeline_on_the_customer_form(self):
		customer = make_customer("Timeline")
		log_touchpoint(customer, "Call", "Discussed onboarding blockers")
		docinfo = get_docinfo(frappe.get_doc("Customer", customer)) or frappe.response["docinfo"]
		contents = [item["content"] for item in docinfo["additional_timeline_content"]]
		self.assertTrue(any("Discussed onboarding blockers" in c for c in contents))

	def test_engagement_measures(self):
		customer = make_customer("Engaged")
		run_pending_recomputes()
		self.assertFalse(measure(customer, "days_since_touchpoint").has_data)
		log_touchpoint(customer, "Call", "Old call", touchpoint_date=str(add_days(now_datetime(), -100)))
		log_touchpoint(
			customer, "Meeting", "Recent meeting", touchpoint_date=str(add_days(now_datetime(), -10))
		)
		run_pending_recomputes()
		self.assertEqual(measure(customer, "days_since_touchpoint").raw_value, 10)
		self.assertEqual(measure(customer, "touchpoints_90d").raw_value, 1)
		recompute_customers(None)  # the full, set-based path agrees
		self.assertEqual(measure(customer, "days_since_touchpoint").raw_value, 10)
