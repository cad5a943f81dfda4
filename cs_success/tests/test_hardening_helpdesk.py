"""Tier 2 with Helpdesk installed (hd.localhost), issue 20 item 3: an outsider gets neither another
company's health band nor its post-ticket survey.

The attack replayed: a Helpdesk website user (a Contact of HD Customer A only, no desk access) raises an
HD Ticket through the portal's own endpoint naming HD Customer B. Helpdesk lets that through; what the
user gets back must not carry B's band, and closing the ticket must not survey the outsider against B.
Skipped on a site without Helpdesk (it is optional)."""

import json
from contextlib import contextmanager

import frappe
from frappe.handler import execute_cmd
from frappe.tests.utils import FrappeTestCase

from cs_success.install import HEALTH_BAND_PERMLEVEL
from cs_success.surveys.delivery import linked_contacts, recipients_for
from cs_success.tests.utils import (
	ensure_outgoing_email_account,
	make_campaign,
	make_customer,
	make_user,
	reset_health_queue,
	run_pending_recomputes,
)

PORTAL_NEW = "helpdesk.helpdesk.doctype.hd_ticket.api.new"
PORTAL_GET = "helpdesk.helpdesk.doctype.hd_ticket.api.get_one"


@contextmanager
def portal_call(user: str, **form):
	"""What the portal's POST to /api/method/<cmd> runs: as `user`, with these form values."""
	saved = (frappe.session.user, getattr(frappe.local, "request", None), frappe.local.form_dict)
	frappe.set_user(user)
	frappe.local.request = frappe._dict(method="POST", headers={})
	frappe.local.form_dict = frappe._dict(form)
	try:
		yield
	finally:
		frappe.set_user(saved[0])
		frappe.local.request, frappe.local.form_dict = saved[1], saved[2]


def as_json(value) -> dict:
	"""The response body the browser gets."""
	return json.loads(frappe.as_json(value))


class TestOutsiderTicket(FrappeTestCase):
	def setUp(self):
		if "helpdesk" not in frappe.get_installed_apps():
			self.skipTest("Helpdesk is not installed on this site")
		frappe.set_user("Administrator")
		reset_health_queue()
		ensure_outgoing_email_account()
		# Two companies, each an ERPNext Customer with its Helpdesk customer mapped to it.
		self.victim, self.own = make_customer("HD Victim"), make_customer("HD Outsider Own")
		self.hd_victim = self.hd_customer(self.victim)
		self.hd_own = self.hd_customer(self.own)
		run_pending_recomputes()
		frappe.db.set_value("Customer Health", self.victim, "band", "At Risk")
		self.campaign = make_campaign("Post-Ticket Satisfaction", purpose="Post-Ticket", audience="Event")
		from cs_success.surveys.delivery import clear_campaign_cache

		clear_campaign_cache()
		# The outsider: a website user whose Contact is linked to its own HD Customer only.
		self.outsider = make_user()
		self.assertEqual(frappe.db.get_value("User", self.outsider, "user_type"), "Website User")
		self.outsider_contact = self.hd_contact(self.outsider, self.hd_own)

	def tearDown(self):
		frappe.set_user("Administrator")

	def hd_customer(self, customer: str) -> str:
		return (
			frappe.get_doc(
				{"doctype": "HD Customer", "customer_name": f"_CS HD {customer}", "cs_customer": customer}
			)
			.insert(ignore_permissions=True)
			.name
		)

	def hd_contact(self, email: str, hd_customer: str) -> str:
		return (
			frappe.get_doc(
				{
					"doctype": "Contact",
					"first_name": "Casey",
					"email_ids": [{"email_id": email, "is_primary": 1}],
					"links": [{"link_doctype": "HD Customer", "link_name": hd_customer}],
					"user": email if frappe.db.exists("User", email) else None,
				}
			)
			.insert(ignore_permissions=True)
			.name
		)

	def raise_as_outsider(self) -> dict:
		doc = {"subject": "_CS Test outsider ticket", "description": "Hello", "customer": self.hd_victim}
		with portal_call(self.outsider, doc=doc, attachments=[]):
			return as_json(execute_cmd(PORTAL_NEW))

	def close(self, ticket: str) -> None:
		doc = frappe.get_doc("HD Ticket", ticket)
		doc.status = "Closed"
		doc.save(ignore_permissions=True)
		run_pending_recomputes()  # the commit: the drain sends post-ticket invitations

	def invitations(self, ticket: str) -> list[dict]:
		return frappe.get_all(
			"Survey Invitation",
			filters={"reference_doctype": "HD Ticket", "reference_name": ticket},
			fields=["customer", "email", "contact"],
		)

	def test_outsider_gets_no_band_and_no_survey(self):
		created = self.raise_as_outsider()
		ticket = created["name"]
		# Helpdesk accepted the other company's customer, and our hook put that company's band on it...
		self.assertEqual(frappe.db.get_value("HD Ticket", ticket, "customer"), self.hd_victim)
		self.assertEqual(frappe.db.get_value("HD Ticket", ticket, "cs_health_band"), "At Risk")
		# ...which none of the outsider's answers carry.
		self.assertIsNone(created.get("cs_health_band"))
		with portal_call(self.outsider, name=ticket, is_customer_portal=True):
			self.assertIsNone(as_json(execute_cmd(PORTAL_GET)).get("cs_health_band"))
		with portal_call(self.outsider, doctype="HD Ticket", name=ticket):
			self.assertIsNone(as_json(execute_cmd("frappe.client.get")).get("cs_health_band"))
		with portal_call(self.outsider):
			rows = frappe.get_list("HD Ticket", filters={"name": ticket}, fields=["name", "cs_health_band"])
		self.assertEqual([row.get("cs_health_band") for row in rows], [None])

		self.close(ticket)
		self.assertEqual(self.invitations(ticket), [])
		self.assertFalse(
			frappe.db.exists("Survey Invitation", {"email": self.outsider, "customer": self.victim})
		)

	def test_agents_still_see_the_band(self):
		ticket = self.raise_as_outsider()["name"]
		agent = make_user("Agent")
		with portal_call(agent, name=ticket):
			self.assertEqual(as_json(execute_cmd(PORTAL_GET))["cs_health_band"], "At Risk")
		with portal_call(agent):
			rows = frappe.get_list("HD Ticket", filters={"name": ticket}, fields=["name", "cs_health_band"])
		self.assertEqual([row.cs_health_band for row in rows], ["At Risk"])  # the list's column
		self.assertIn(
			HEALTH_BAND_PERMLEVEL, frappe.get_meta("HD Ticket").get_permlevel_access("read", user=agent)
		)

	def test_the_victims_own_contact_is_surveyed(self):
		"""The control: the same path does survey a contact of the customer, through the HD Customer
		mapped to it, so the test above fails if the rule is gone, not because nothing is ever sent."""
		member = f"cs-test-member-{frappe.generate_hash(length=6)}@example.com"
		contact = self.hd_contact(member, self.hd_victim)
		ticket = frappe.get_doc(
			{
				"doctype": "HD Ticket",
				"subject": "_CS Test member ticket",
				"description": "Hello",
				"raised_by": member,
				"customer": self.hd_victim,
			}
		).insert(ignore_permissions=True)
		self.close(ticket.name)
		self.assertEqual(
			self.invitations(ticket.name), [{"customer": self.victim, "email": member, "contact": contact}]
		)

	def test_every_audience_uses_the_same_rule(self):
		member = f"cs-test-member-{frappe.generate_hash(length=6)}@example.com"
		contact = self.hd_contact(member, self.hd_victim)
		self.assertEqual(
			[(row.customer, row.contact) for row in linked_contacts([self.victim])], [(self.victim, contact)]
		)
		periodic = make_campaign(audience="Customer Group")
		chosen = recipients_for([self.victim, self.own], periodic)
		self.assertEqual(
			{(r.customer, r.contact) for r in chosen},
			{(self.victim, contact), (self.own, self.outsider_contact)},
		)
