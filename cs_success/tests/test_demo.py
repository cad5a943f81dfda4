"""Tier 2: the demo data command refuses real sites, is reproducible, scores, and clears only itself."""

import frappe
from frappe.tests.utils import FrappeTestCase

from cs_success.demo import DemoRefused, clear_demo_data, create_demo_data, demo_customers


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
