"""Tier 2 with Helpdesk installed: HD Tickets count toward the mapped ERPNext Customer.

Runs on a site with the helpdesk app (.ci/run uses hd.localhost); elsewhere it is skipped, since
Helpdesk is optional.
"""

import frappe
from frappe.tests.utils import FrappeTestCase

from cs_success.tests.utils import make_customer, measure, reset_health_queue, run_pending_recomputes


class TestHelpdeskTickets(FrappeTestCase):
	def setUp(self):
		if "helpdesk" not in frappe.get_installed_apps():
			self.skipTest("Helpdesk is not installed on this site")
		frappe.set_user("Administrator")
		reset_health_queue()

	def make_hd_ticket(self, hd_customer: str):
		return frappe.get_doc(
			{
				"doctype": "HD Ticket",
				"subject": f"_CS Test HD {frappe.generate_hash(length=6)}",
				"description": "Printer on fire",
				"raised_by": "cs-test-requester@example.com",
				"customer": hd_customer,
			}
		).insert(ignore_permissions=True)

	def test_custom_field_maps_hd_customer(self):
		self.assertTrue(frappe.db.has_column("HD Customer", "cs_customer"))
		customer = make_customer("HD Mapped")
		hd_customer = frappe.get_doc(
			{"doctype": "HD Customer", "customer_name": f"_CS HD {customer}", "cs_customer": customer}
		).insert(ignore_permissions=True)
		run_pending_recomputes()
		self.assertEqual(measure(customer, "open_tickets").raw_value, 0)

		ticket = self.make_hd_ticket(hd_customer.name)
		run_pending_recomputes()
		self.assertEqual(measure(customer, "open_tickets").raw_value, 1)
		self.assertEqual(measure(customer, "tickets_90d").raw_value, 1)

		ticket.reload()
		ticket.status = "Resolved"
		ticket.save(ignore_permissions=True)
		run_pending_recomputes()
		self.assertEqual(measure(customer, "open_tickets").raw_value, 0)

	def test_same_name_fallback(self):
		customer = make_customer("HD Same Name")
		hd_customer = frappe.get_doc({"doctype": "HD Customer", "customer_name": customer}).insert(
			ignore_permissions=True
		)
		self.assertEqual(hd_customer.name, customer)
		self.make_hd_ticket(hd_customer.name)
		run_pending_recomputes()
		self.assertEqual(measure(customer, "open_tickets").raw_value, 1)

	def test_hd_tickets_carry_the_band_for_the_list(self):
		from frappe.utils import add_days, now_datetime

		from cs_success.health.overrides import set_override

		self.assertTrue(frappe.db.has_column("HD Ticket", "cs_health_band"))
		mapped, same_name = make_customer("HD Band Mapped"), make_customer("HD Band Same")
		hd_mapped = frappe.get_doc(
			{"doctype": "HD Customer", "customer_name": f"_CS HD {mapped}", "cs_customer": mapped}
		).insert(ignore_permissions=True)
		hd_same = frappe.get_doc({"doctype": "HD Customer", "customer_name": same_name}).insert(
			ignore_permissions=True
		)
		run_pending_recomputes()
		tickets = {mapped: self.make_hd_ticket(hd_mapped.name), same_name: self.make_hd_ticket(hd_same.name)}
		run_pending_recomputes()
		for customer, ticket in tickets.items():
			band = frappe.db.get_value("Customer Health", customer, "band")
			self.assertEqual(frappe.db.get_value("HD Ticket", ticket.name, "cs_health_band"), band)

		# The band moves (a manager's override): both kinds of ticket follow it.
		for customer in tickets:
			set_override(customer, 10, "Escalated to the CEO", str(add_days(now_datetime(), 3)))
		for ticket in tickets.values():
			self.assertEqual(frappe.db.get_value("HD Ticket", ticket.name, "cs_health_band"), "Critical")

	def test_hd_ticket_is_a_sign_of_life(self):
		"""Days since activity takes the latest of the customer's own signs and its HD Tickets (mapped
		through HD Customer, read apart from the indexed signs)."""
		from frappe.utils import add_days, getdate, today

		from cs_success.health.measure_data import activity_measures

		customer = make_customer("HD Activity")
		hd_customer = frappe.get_doc(
			{"doctype": "HD Customer", "customer_name": f"_CS HD {customer}", "cs_customer": customer}
		).insert(ignore_permissions=True)
		frappe.get_doc(
			{"doctype": "Touchpoint", "customer": customer, "touchpoint_type": "Call",
			 "touchpoint_date": add_days(today(), -40), "summary": "Quarterly call"}
		).insert(ignore_permissions=True)  # fmt: skip
		on = getdate(today())
		# Only the call, 40 days ago.
		self.assertEqual(activity_measures([customer], on)[customer]["days_since_activity"], 40.0)
		ticket = self.make_hd_ticket(hd_customer.name)
		frappe.db.set_value("HD Ticket", ticket.name, "opening_date", add_days(on, -6))
		# The ticket opened 6 days ago is later than the call: 6. Seen 10 days later, from then: 16.
		self.assertEqual(activity_measures([customer], on)[customer]["days_since_activity"], 6.0)
		self.assertEqual(
			activity_measures([customer], add_days(on, 10))[customer]["days_since_activity"], 16.0
		)
		# On a day before the ticket was opened, only the call counts: 40 - 7 = 33.
		self.assertEqual(
			activity_measures([customer], add_days(on, -7))[customer]["days_since_activity"], 33.0
		)
