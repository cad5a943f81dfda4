"""Tier 2: the demo data command refuses real sites, is reproducible, scores, and clears only itself."""

from itertools import pairwise

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, getdate, today

from cs_success.demo import (
	DEMO_ITEM,
	DEMO_PLAN,
	DEMO_TAG,
	DemoRefused,
	clear_demo_data,
	create_demo_data,
	demo_customers,
)
from cs_success.health.measure_data import renewal_measures
from cs_success.ledger.queries import active_on_days
from cs_success.tests.utils import make_contact, make_customer, make_sales_invoice

OTHER_CUSTOMER = "_CS Subscriber"
OTHER_ITEM = "_CS Subscription Service"
OTHER_PLAN = "_CS Plan Monthly"


class TestDemoData(FrappeTestCase):
	def tearDown(self):
		clear_demo_data()

	def test_refuses_a_site_with_real_customers(self):
		if not frappe.get_all("Customer", limit=1):
			frappe.get_doc(
				{
					"doctype": "Customer",
					"customer_name": "_CS Real Customer",
					"customer_group": frappe.db.get_value("Customer Group", {"is_group": 0}),
					"territory": frappe.db.get_value("Territory", {"is_group": 0}),
				}
			).insert()
		with self.assertRaises(DemoRefused):
			create_demo_data(customers=1)
		self.assertEqual(demo_customers(), [])

	def test_reproducible_scored_and_cleared_alone(self):
		others = set(frappe.get_all("Customer", pluck="name")) - set(demo_customers())
		created = create_demo_data(customers=4, seed=11, force=True)
		first = sorted(demo_customers())
		self.assertEqual((created["customers"], len(first)), (4, 4))
		self.assertGreater(created["invoices"], 0)
		for customer in first:
			self.assertTrue(frappe.db.exists("Customer Health", customer))
		self.assertGreater(frappe.db.count("Customer Health Snapshot", {"customer": first[0]}), 30)  # history

		self.assertEqual(clear_demo_data(), 4)
		self.assertEqual(demo_customers(), [])
		self.assertFalse(frappe.db.exists("Customer Health", first[0]))
		self.assertFalse(frappe.db.exists("Sales Invoice", {"customer": first[0]}))
		self.assertEqual(set(frappe.get_all("Customer", pluck="name")) - set(demo_customers()), others)

		create_demo_data(customers=4, seed=11, force=True)
		self.assertEqual(sorted(demo_customers()), first)  # the same seed, the same data

	def test_clear_leaves_a_real_customer_that_carries_the_demo_tag(self):
		# Anyone can add a tag: it must not make a real customer, its invoice or its contact demo data.
		real = make_customer("Tagged Real")
		frappe.db.set_value("Customer", real, "_user_tags", f",{DEMO_TAG}", update_modified=False)
		invoice = make_sales_invoice(real).name
		contact = make_contact(real)
		self.addCleanup(self._remove_real, real, invoice, contact)
		create_demo_data(customers=1, seed=7, force=True)
		self.assertNotIn(real, demo_customers())

		self.assertEqual(clear_demo_data(), 1)
		self.assertTrue(frappe.db.exists("Customer", real))
		self.assertEqual(frappe.db.get_value("Sales Invoice", invoice, "docstatus"), 1)
		self.assertTrue(frappe.db.exists("Contact", contact))
		self.assertEqual(demo_customers(), [])

	def test_clear_keeps_a_demo_customer_that_someone_added_an_invoice_to(self):
		create_demo_data(customers=1, seed=3, force=True)
		(customer,) = demo_customers()
		demo_invoices = frappe.get_all("Sales Invoice", filters={"customer": customer}, pluck="name")
		invoice = make_sales_invoice(customer).name
		self.addCleanup(clear_demo_data)  # cleanups run last first: after the invoice is gone
		self.addCleanup(self._remove_real, None, invoice, None)

		self.assertEqual(clear_demo_data(), 0)
		self.assertEqual(demo_customers(), [customer])  # kept, with what the demo made for it
		self.assertEqual(frappe.db.get_value("Sales Invoice", invoice, "docstatus"), 1)
		self.assertEqual(
			frappe.db.count("Sales Invoice", {"name": ("in", demo_invoices), "docstatus": 1}),
			len(demo_invoices),
		)

		self._remove_real(None, invoice, None)
		self.assertEqual(clear_demo_data(), 1)  # nothing of anyone else's left on it
		self.assertEqual(demo_customers(), [])

	def test_subscriptions_cancelled_renewed_scored_and_cleared_alone(self):
		other = self._other_subscription()
		created = create_demo_data(customers=15, seed=5, force=True)
		customers = demo_customers()
		subscriptions = frappe.get_all(
			"Subscription",
			filters={"party_type": "Customer", "party": ("in", customers)},
			fields=["name", "party", "status", "start_date", "end_date", "cancelation_date"],
			order_by="start_date",
		)
		self.assertEqual(len(subscriptions), created["subscriptions"])
		self.assertTrue(all(s.start_date < getdate(today()) for s in subscriptions))
		cancelled = [s for s in subscriptions if s.status == "Cancelled"]
		self.assertTrue(cancelled)
		for subscription in cancelled:
			self.assertTrue(subscription.start_date < subscription.cancelation_date < getdate(today()))
		cancelled_contracts = frappe.db.count("Contract", {"party_name": ("in", customers), "docstatus": 2})
		self.assertTrue(cancelled_contracts)
		self.assertEqual(len(cancelled) + cancelled_contracts, created["cancelled"])
		self.assertFalse(  # the demo bills nothing through them
			frappe.db.exists("Sales Invoice", {"subscription": ("in", [s.name for s in subscriptions])})
		)

		by_customer = {}
		for subscription in subscriptions:
			by_customer.setdefault(subscription.party, []).append(subscription)
		renewals = 0
		for terms in by_customer.values():
			for earlier, later in pairwise(terms):
				self.assertIn(earlier.status, ("Cancelled", "Completed"))
				self.assertGreater(later.start_date, earlier.cancelation_date or earlier.end_date)
				renewals += 1
		self.assertTrue(renewals)

		# Health and retention read these: live subscription without a contract scores on renewal,
		# one whose only agreement was cancelled is not active.
		live_contracts = set(
			frappe.get_all(
				"Contract", filters={"party_name": ("in", customers), "docstatus": 1}, pluck="party_name"
			)
		)
		measures = renewal_measures(customers, getdate(today()))
		active = active_on_days([getdate(today())], customers)[getdate(today())]
		subscribed = [c for c, terms in by_customer.items() if terms[-1].status == "Active"]
		lapsed = [c for c, terms in by_customer.items() if terms[-1].status == "Cancelled"]
		self.assertTrue(set(subscribed) - live_contracts)
		self.assertTrue(set(lapsed) - live_contracts)
		for customer in set(subscribed) - live_contracts:
			self.assertEqual(measures[customer]["renewal_standing"], 100)
			self.assertIn("days_to_renewal", measures[customer])
			self.assertIn(customer, active)
		for customer in set(lapsed) - live_contracts:
			self.assertEqual(measures.get(customer, {}).get("renewal_standing", 0), 0)
			self.assertNotIn(customer, active)

		clear_demo_data()
		self.assertFalse(frappe.db.exists("Subscription", {"name": ("in", [s.name for s in subscriptions])}))
		self.assertFalse(frappe.db.exists("Subscription Plan", DEMO_PLAN))
		self.assertFalse(frappe.db.exists("Item", DEMO_ITEM))
		self.assertTrue(frappe.db.exists("Subscription", other))
		self.assertTrue(frappe.db.exists("Subscription Plan", OTHER_PLAN))

	def test_clear_keeps_the_demo_plan_while_a_real_subscription_uses_it(self):
		create_demo_data(customers=1, seed=3, force=True)
		other = self._other_subscription(plan=DEMO_PLAN)
		clear_demo_data()
		self.assertEqual(demo_customers(), [])
		self.assertTrue(frappe.db.exists("Subscription", other))
		self.assertTrue(frappe.db.exists("Subscription Plan", DEMO_PLAN))
		self.assertTrue(frappe.db.exists("Item", DEMO_ITEM))

	def _other_subscription(self, plan: str = OTHER_PLAN) -> str:
		"""A subscription the demo did not create, removed after the test (and after tearDown's clear)."""
		company = frappe.defaults.get_global_default("company")
		if not frappe.db.exists("Customer", OTHER_CUSTOMER):
			frappe.get_doc(
				{
					"doctype": "Customer",
					"customer_name": OTHER_CUSTOMER,
					"customer_group": frappe.db.get_value("Customer Group", {"is_group": 0}),
					"territory": frappe.db.get_value("Territory", {"is_group": 0}),
				}
			).insert()
		if not frappe.db.exists("Item", OTHER_ITEM):
			frappe.get_doc(
				{
					"doctype": "Item",
					"item_code": OTHER_ITEM,
					"item_group": frappe.db.get_value("Item Group", {"is_group": 0}),
					"stock_uom": "Nos",
					"is_stock_item": 0,
				}
			).insert()
		if not frappe.db.exists("Subscription Plan", OTHER_PLAN):
			frappe.get_doc(
				{
					"doctype": "Subscription Plan",
					"plan_name": OTHER_PLAN,
					"item": OTHER_ITEM,
					"currency": frappe.get_cached_value("Company", company, "default_currency"),
					"price_determination": "Fixed Rate",
					"cost": 100,
					"billing_interval": "Month",
					"billing_interval_count": 1,
				}
			).insert()
		subscription = frappe.get_doc(
			{
				"doctype": "Subscription",
				"party_type": "Customer",
				"party": OTHER_CUSTOMER,
				"company": company,
				"start_date": add_days(today(), -40),
				"plans": [{"plan": plan, "qty": 1}],
				"submit_invoice": 0,
			}
		).insert()
		frappe.db.commit()
		self.addCleanup(self._remove_other, subscription.name, plan)
		return subscription.name

	def _remove_other(self, subscription: str, plan: str) -> None:
		frappe.db.rollback()
		frappe.delete_doc("Subscription", subscription, force=True)
		if plan == DEMO_PLAN:  # the clear kept them for this subscription
			frappe.delete_doc("Subscription Plan", DEMO_PLAN, force=True)
			frappe.delete_doc("Item", DEMO_ITEM, force=True)
		for doctype, name in (
			("Subscription Plan", OTHER_PLAN),
			("Item", OTHER_ITEM),
			("Customer", OTHER_CUSTOMER),
		):
			if frappe.db.exists(doctype, name):
				frappe.delete_doc(doctype, name, force=True)
		frappe.db.commit()

	def _remove_real(self, customer: str | None, invoice: str, contact: str | None) -> None:
		"""Documents the demo did not create, which the clear (and its commits) left in place."""
		frappe.db.rollback()
		if frappe.db.exists("Sales Invoice", invoice):
			doc = frappe.get_doc("Sales Invoice", invoice)
			if doc.docstatus == 1:
				doc.cancel()
			frappe.delete_doc("Sales Invoice", invoice, force=True)
		if contact and frappe.db.exists("Contact", contact):
			frappe.delete_doc("Contact", contact, force=True)
		if customer and frappe.db.exists("Customer", customer):
			frappe.delete_doc("Customer", customer, force=True)
		frappe.db.commit()
