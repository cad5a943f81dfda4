"""Tier 2 on a site with Frappe CRM (skipped elsewhere): the expansion opportunity is a CRM Deal instead of an
ERPNext Opportunity, with the same figures; one open deal per customer; a won deal followed by an upgrade
is CS-sourced, a lost one is not; a CS Agent with no sales role makes one through the endpoint."""

import json
import unittest

import frappe
from frappe.utils import add_days, getdate, today

from cs_success.growth.opportunities import create_expansion_opportunity, cs_sourced_expansion
from cs_success.growth.pipeline import CRM_APP, CRM_CUSTOMER_FIELD, CS_SOURCE, sales_pipeline
from cs_success.growth.signals import evaluate
from cs_success.tests.test_growth import GrowthTestCase, current_model
from cs_success.tests.utils import company, ledger_rows, make_user


def setUpModule():
	if CRM_APP not in frappe.get_installed_apps():
		raise unittest.SkipTest("Frappe CRM is not installed on this site")


class TestExpansionDeal(GrowthTestCase):
	def test_the_deal_carries_the_amount_the_probability_and_the_note(self):
		# As in test_growth: 9 of 10 seats on Team (25 a month a seat); Pro at 40: (40 - 25) x 10 = 150 MRR,
		# a deal of 1,800 a year; an unusable model: its base rate, 12 %.
		full = self.seated_customer(9)
		current_model("No Better Than Chance", base_rate=12)
		evaluate([full])
		self.assertEqual(sales_pipeline().doctype, "CRM Deal")
		name, created = create_expansion_opportunity(full)
		self.assertTrue(created)
		deal = frappe.get_doc("CRM Deal", name)
		self.assertEqual(deal.get(CRM_CUSTOMER_FIELD), full)
		self.assertEqual(deal.source, CS_SOURCE)
		self.assertEqual((deal.deal_value, deal.expected_deal_value, deal.probability), (1800, 1800, 12))
		self.assertEqual(getdate(deal.expected_closure_date), getdate(add_days(today(), 90)))
		self.assertEqual(deal.organization, frappe.db.get_value("Customer", full, "customer_name"))
		status_type = frappe.db.get_value("CRM Deal Status", deal.status, "type")
		self.assertEqual(status_type, "Open")
		note = frappe.db.get_value("FCRM Note", {"reference_docname": name}, "content")
		self.assertIn("9 of 10 seats in use (90%).", note)
		self.assertIn("Next plan: _CS Test Pro Seat x 10.", note)
		# Once: a second click and a second evaluation find the open deal.
		self.assertEqual(create_expansion_opportunity(full), (name, False))
		evaluate([full])
		self.assertEqual(frappe.db.get_value("Customer Health", full, "expansion_opportunity"), name)
		self.assertEqual(sales_pipeline().open_value(company(), [full]), 1800)

	def test_a_won_deal_then_an_upgrade_is_cs_sourced_and_a_lost_one_is_not(self):
		full = self.seated_customer(9)
		current_model("No Better Than Chance", base_rate=12)
		evaluate([full])
		name, _created = create_expansion_opportunity(full)
		won = frappe.db.get_value("CRM Deal Status", {"type": "Won"}, "name")
		lost = frappe.db.get_value("CRM Deal Status", {"type": "Lost"}, "name")
		frappe.db.set_value("CRM Deal", name, "status", won)
		# The upgrade, 30 days after the deal: +150 MRR in the ledger.
		ledger_rows(
			"MRR Movement",
			["customer", "company", "movement_date", "movement_type", "amount"],
			[(full, company(), add_days(today(), 30), "Expansion", 150)],
		)
		start, end = today(), add_days(today(), 60)
		self.assertEqual(cs_sourced_expansion(start, end, company(), [full]), (150.0, 150.0))
		self.assertEqual(sales_pipeline().open_for([full]), {})  # won: no longer open
		frappe.db.set_value("CRM Deal", name, "status", lost)
		self.assertEqual(cs_sourced_expansion(start, end, company(), [full]), (0.0, 150.0))

	def test_a_cs_agent_makes_the_deal_and_sees_it(self):
		from cs_success.api.growth import create_expansion_opportunity as endpoint

		full = self.seated_customer(10)
		current_model("No Better Than Chance", base_rate=5)
		evaluate([full])
		agent = make_user("CS Agent")
		frappe.set_user(agent)
		result = endpoint(full)
		self.assertEqual((result["doctype"], result["created"]), ("CRM Deal", True))
		self.assertTrue(frappe.has_permission("CRM Deal", "read", result["opportunity"]))
		frappe.set_user("Administrator")
		self.assertEqual(frappe.db.get_value("CRM Deal", result["opportunity"], "owner"), agent)
		self.assertEqual(
			json.loads(frappe.db.get_value("Customer Health", full, "expansion_signals"))[0]["kind"],
			"seat_pressure",
		)
