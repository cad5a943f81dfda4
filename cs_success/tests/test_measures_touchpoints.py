"""Tier 2: automated mail is not a touchpoint; a person's email, call or meeting is (issue 12).

Each case inserts a real Communication, lets the after-commit drain run, and counts the customer's
touchpoints. The customer is reached through its contact's email address (Frappe's own timeline
linking), as in production."""

import frappe
from frappe.tests.utils import FrappeTestCase

from cs_success.tests.utils import (
	ensure_outgoing_email_account,
	make_contact,
	make_customer,
	make_sales_invoice,
	make_user,
	reset_health_queue,
	run_pending_recomputes,
)
from cs_success.touchpoints.sources import personal_communication


class TestAutomatedMailIsNotATouchpoint(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()
		self.customer = make_customer("Mail Rule")
		self.contact_email = f"cs-test-{frappe.generate_hash(length=8)}@example.com"
		self.contact = make_contact(self.customer, email=self.contact_email)
		self.agent = make_user("CS Agent")

	def tearDown(self):
		frappe.set_user("Administrator")

	def communicate(self, as_user="Administrator", **fields):
		"""Insert a Communication as `as_user` (the session user is who Frappe records as its maker)
		and drain; returns the customer's touchpoints as (type, channel, direction)."""
		frappe.set_user(as_user)
		values = {
			"doctype": "Communication",
			"communication_type": "Communication",
			"communication_medium": "Email",
			"sent_or_received": "Sent",
			"subject": f"_CS Test mail {frappe.generate_hash(length=6)}",
			"content": "Hello",
			"recipients": self.contact_email,
			# Frappe links a received mail to contacts only if no sent mail has its message id.
			"message_id": f"cs-test-{frappe.generate_hash(length=10)}@example.com",
		}
		values.update(fields)
		frappe.get_doc(values).insert(ignore_permissions=True)
		frappe.set_user("Administrator")
		run_pending_recomputes()
		return self.touchpoints()

	def touchpoints(self):
		return [
			(row.touchpoint_type, row.channel or None, row.direction or None)
			for row in frappe.get_all(
				"Touchpoint",
				filters={"customer": self.customer},
				fields=["touchpoint_type", "channel", "direction"],
				order_by="creation asc",
			)
		]

	# A person: counts.

	def test_an_agents_email_to_the_contact_counts(self):
		self.assertEqual(self.communicate(as_user=self.agent), [("Email", "Email", "Outbound")])

	def test_a_logged_call_and_meeting_count(self):
		self.communicate(
			as_user=self.agent,
			communication_medium="Phone",
			recipients=None,
			reference_doctype="Customer",
			reference_name=self.customer,
		)
		rows = self.communicate(
			as_user=self.agent,
			communication_medium="Meeting",
			recipients=None,
			reference_doctype="Customer",
			reference_name=self.customer,
		)
		self.assertEqual(rows, [("Call", "Phone", "Outbound"), ("Meeting", None, None)])

	# A machine: does not count.

	def test_mail_sent_by_a_job_or_the_scheduler_does_not_count(self):
		# Auto Repeat, scheduled statements and imports run as Administrator.
		self.assertEqual(self.communicate(as_user="Administrator"), [])

	def test_billing_mail_does_not_count_even_when_a_person_sends_it_but_the_reply_does(self):
		invoice = make_sales_invoice(self.customer, 100).name
		sent = self.communicate(as_user=self.agent, reference_doctype="Sales Invoice", reference_name=invoice)
		self.assertEqual(sent, [])
		# The customer answering the invoice mail: a person wrote it.
		reply = self.communicate(
			sent_or_received="Received",
			sender=self.contact_email,
			recipients="accounts@example.com",
			reference_doctype="Sales Invoice",
			reference_name=invoice,
		)
		self.assertEqual(reply, [("Email", "Email", "Inbound")])

	def test_automated_message_type_sms_and_bounces_do_not_count(self):
		self.assertEqual(self.communicate(as_user=self.agent, communication_type="Automated Message"), [])
		self.assertEqual(self.communicate(as_user=self.agent, communication_medium="SMS"), [])
		bounce = self.communicate(
			sent_or_received="Received",
			sender="MAILER-DAEMON@example.com",
			recipients="cs@example.com",
			reference_doctype="Customer",
			reference_name=self.customer,
		)
		self.assertEqual(bounce, [])
		no_reply = self.communicate(
			sent_or_received="Received",
			sender="no-reply@vendor.example.com",
			recipients="cs@example.com",
			reference_doctype="Customer",
			reference_name=self.customer,
		)
		self.assertEqual(no_reply, [])

	def test_a_real_notification_mail_does_not_count(self):
		"""Frappe's own Notification doctype, end to end: it does store a Communication about the
		customer (so the test is not vacuous), and that is not a touchpoint."""
		ensure_outgoing_email_account()
		notification = frappe.get_doc(
			{
				"doctype": "Notification",
				"name": f"_CS Test Notification {frappe.generate_hash(length=6)}",
				"subject": "Your account was updated",
				"document_type": "Customer",
				"event": "Save",
				"channel": "Email",
				"condition": f"doc.name == {self.customer!r}",
				"recipients": [{"cc": self.contact_email}],
				"message": "Updated",
			}
		).insert(ignore_permissions=True)
		self.addCleanup(frappe.delete_doc, "Notification", notification.name, force=True)
		frappe.set_user(self.agent)  # a person's save triggers it: the mail is still automated
		customer = frappe.get_doc("Customer", self.customer)
		customer.customer_details = "touched"
		customer.save(ignore_permissions=True)
		frappe.set_user("Administrator")
		run_pending_recomputes()
		stored = frappe.get_all(
			"Communication",
			filters={"reference_doctype": "Customer", "reference_name": self.customer},
			pluck="communication_type",
		)
		self.assertEqual(stored, ["Automated Message"])
		self.assertEqual(self.touchpoints(), [])

	def test_rule_needs_no_database(self):
		person = frappe._dict(
			communication_type="Communication",
			communication_medium="Visit",
			sent_or_received="Sent",
			user="a@b.c",
		)
		self.assertEqual(personal_communication(person), ("Meeting", "In Person"))
		self.assertIsNone(personal_communication(frappe._dict(person, user="Guest")))
		self.assertIsNone(personal_communication(frappe._dict(person, communication_medium="Chat")))
		received = frappe._dict(person, sent_or_received="Received", sender="pat@customer.example")
		self.assertEqual(personal_communication(received), ("Meeting", "In Person"))
		self.assertIsNone(personal_communication(frappe._dict(received, email_status="Spam")))
		self.assertIsNone(personal_communication(frappe._dict(received, sender="noreply@customer.example")))
		# Billing documents: only the sent mail is out; machine sources are out either way.
		for doctype in ("Payment Entry", "Dunning", "Payment Request", "Process Statement Of Accounts"):
			self.assertIsNone(
				personal_communication(frappe._dict(person, reference_doctype=doctype)), doctype
			)
			self.assertIsNotNone(personal_communication(frappe._dict(received, reference_doctype=doctype)))
		for doctype in (
			"Survey Invitation",
			"Survey Campaign",
			"Newsletter",
			"Email Campaign",
			"Auto Repeat",
		):
			self.assertIsNone(
				personal_communication(frappe._dict(person, reference_doctype=doctype)), doctype
			)
			self.assertIsNone(
				personal_communication(frappe._dict(received, reference_doctype=doctype)), doctype
			)
		self.assertIsNotNone(personal_communication(frappe._dict(person, reference_doctype="Quotation")))

	def test_survey_invitations_store_no_communication_at_all(self):
		"""Our invitations go through frappe.sendmail, which queues mail without a Communication, so
		they cannot reach the hook; the rule above excludes them should that ever change."""
		from cs_success.surveys.delivery import create_invitation, send_invitation
		from cs_success.tests.utils import make_campaign

		ensure_outgoing_email_account()
		campaign = make_campaign()
		before = frappe.db.count("Communication")
		invitation = create_invitation(
			campaign, frappe._dict(customer=self.customer, contact=self.contact, email=self.contact_email)
		)
		send_invitation(invitation, campaign)
		run_pending_recomputes()
		self.assertEqual(frappe.db.count("Communication"), before)
		self.assertEqual(self.touchpoints(), [])
