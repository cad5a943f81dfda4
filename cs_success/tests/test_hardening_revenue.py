"""Tier 2, Hardening II items 4 and 5: revenue stays with who may read Sales Invoices, on every path that
reads a document (REST list and single GET, frappe.client, report view, Desk form); the revenue reports
keep to the user's companies; every report and number card applies the User Permissions on Customer,
Territory and Customer Group; health changes go over socket.io only to who may read the record.

Ledger of the class (built from real invoices, rebuilt): X (territory T, group G) at company A, 1200
invoiced for 2025 (100 MRR) under a signed 2025 contract (one Agreement Renewal, due 2025-12-31, 100 MRR);
Z (another territory, group G) at company A, 3600 for 2025 (300 MRR); Y (territory T, group G) at company
B, 2400 for 2025 (200 MRR)."""

import json
from unittest.mock import patch

import frappe
from frappe.tests.utils import FrappeTestCase

from cs_success.ledger.build import rebuild_customers
from cs_success.tests.test_ledger_reports import ensure_fiscal_years, invoice, run, second_company
from cs_success.tests.utils import (
	company,
	make_campaign,
	make_contract,
	make_customer,
	make_customer_group,
	make_issue,
	make_territory,
	make_user,
	reset_health_queue,
	restrict_user,
	run_pending_recomputes,
)

YEAR = ("2025-01-01", "2025-12-31")


class RevenueTestCase(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		cls.company_b = second_company()
		ensure_fiscal_years(2025, 2026)
		cls.territory = make_territory("Hardening T")
		cls.other_territory = make_territory("Hardening Other")
		cls.group = make_customer_group("Hardening")
		cls.x = make_customer("Hardening X", territory=cls.territory, customer_group=cls.group)
		cls.z = make_customer("Hardening Z", territory=cls.other_territory, customer_group=cls.group)
		cls.y = make_customer("Hardening Y", territory=cls.territory, customer_group=cls.group)
		make_contract(cls.x, *YEAR)
		invoice(cls.x, 1200, YEAR[0], YEAR)
		invoice(cls.z, 3600, YEAR[0], YEAR)
		invoice(cls.y, 2400, YEAR[0], YEAR, at=cls.company_b)
		rebuild_customers([cls.x, cls.y, cls.z])
		reset_health_queue()

	def setUp(self):
		frappe.set_user("Administrator")

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.local.form_dict = frappe._dict()

	def one(self, doctype: str, customer: str) -> str:
		return frappe.get_all(doctype, filters={"customer": customer}, pluck="name", limit=1)[0]

	def agent(self, *roles: str) -> str:
		return make_user("CS Agent", *roles)


# Each ledger doctype whose every row is revenue, and its money field.
MONEY = {"MRR Interval": "mrr", "MRR Movement": "amount", "Agreement Renewal": "mrr"}


class TestLedgerDoctypes(RevenueTestCase):
	def test_the_ledger_holds_what_the_tests_expect(self):
		# X: one interval of 100 and a New movement of 100 at company A; one renewal term of 100.
		self.assertEqual(
			frappe.get_all("MRR Interval", filters={"customer": self.x}, fields=["company", "mrr"]),
			[{"company": company(), "mrr": 100.0}],
		)
		new = frappe.get_all(
			"MRR Movement", filters={"customer": self.x, "movement_type": "New"}, pluck="amount"
		)
		self.assertEqual(new, [100.0])
		self.assertEqual(
			frappe.get_all("Agreement Renewal", filters={"customer": self.x}, pluck="mrr"), [100.0]
		)

	def test_agent_without_sales_invoice_read_gets_no_ledger_money(self):
		from frappe.api.v1 import read_doc
		from frappe.client import get, get_list
		from frappe.desk.form.load import getdoc
		from frappe.desk.reportview import get as reportview_get
		from frappe.desk.reportview import get_count as reportview_get_count

		names = {doctype: self.one(doctype, self.x) for doctype in MONEY}
		frappe.set_user(self.agent())
		self.assertFalse(frappe.has_permission("Sales Invoice", "read"))
		for doctype, field in MONEY.items():
			name = names[doctype]
			# Lists: no rows at all (REST /api/resource list and frappe.client.get_list are the same call).
			self.assertEqual(get_list(doctype, fields=["name", field], filters={"customer": self.x}), [])
			frappe.local.form_dict = frappe._dict(
				doctype=doctype, fields=json.dumps(["name", field]), filters=json.dumps({"customer": self.x})
			)
			self.assertFalse(reportview_get(), doctype)  # [] or an empty compressed result
			frappe.local.form_dict = frappe._dict(doctype=doctype, filters=json.dumps({"customer": self.x}))
			self.assertEqual(reportview_get_count(), 0, doctype)
			# Single documents: 403 on every path.
			with self.assertRaises(frappe.PermissionError, msg=doctype):
				get(doctype, name)
			with self.assertRaises(frappe.PermissionError, msg=doctype):
				read_doc(doctype, name)
			with self.assertRaises(frappe.PermissionError, msg=doctype):
				getdoc(doctype, name)

	def test_user_with_sales_invoice_read_sees_the_money(self):
		from frappe.client import get, get_list

		name = self.one("MRR Interval", self.x)
		frappe.set_user(self.agent("Accounts User"))
		self.assertEqual(
			get_list("MRR Interval", fields=["mrr"], filters={"customer": self.x}), [{"mrr": 100.0}]
		)
		self.assertEqual(get("MRR Interval", name)["mrr"], 100.0)

	def test_company_restriction_keeps_other_companies_rows_out(self):
		from frappe.client import get

		user = self.agent("Accounts User")
		restrict_user(user, "Company", self.company_b)
		x_interval = self.one("MRR Interval", self.x)
		frappe.set_user(user)
		# Y's 200 at company B only; X's and Z's rows are at company A.
		rows = frappe.get_list(
			"MRR Interval", filters={"customer": ("in", [self.x, self.y, self.z])}, fields=["customer", "mrr"]
		)
		self.assertEqual(rows, [{"customer": self.y, "mrr": 200.0}])
		with self.assertRaises(frappe.PermissionError):
			get("MRR Interval", x_interval)

	def test_territory_restriction_applies_to_ledger_rows(self):
		from frappe.client import get

		user = self.agent("Accounts User")
		restrict_user(user, "Territory", self.territory)
		z_interval = self.one("MRR Interval", self.z)
		frappe.set_user(user)
		# X (100, company A) and Y (200, company B) are in T; Z (300) is not.
		rows = frappe.get_list(
			"MRR Interval",
			filters={"customer": ("in", [self.x, self.y, self.z])},
			fields=["customer", "mrr"],
			order_by="mrr asc",
		)
		self.assertEqual(rows, [{"customer": self.x, "mrr": 100.0}, {"customer": self.y, "mrr": 200.0}])
		with self.assertRaises(frappe.PermissionError):
			get("MRR Interval", z_interval)


class TestPlayRunMrr(RevenueTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		play = frappe.get_all("Play", pluck="name", limit=1)[0]
		cls.run_name = (
			frappe.get_doc(
				{
					"doctype": "Play Run",
					"play": play,
					"customer": cls.x,
					"status": "Open",
					"reason": "Hardening test",
					"enrolled_on": frappe.utils.now_datetime(),
					"mrr_at_start": 100,
				}
			)
			.insert(ignore_permissions=True)
			.name
		)

	def test_agent_without_sales_invoice_read_gets_no_mrr_at_start(self):
		from frappe.api.v1 import read_doc
		from frappe.client import get, get_list
		from frappe.desk.form.load import getdoc
		from frappe.desk.reportview import get as reportview_get

		frappe.set_user(self.agent())
		# The value is removed; as_dict fills a missing number with 0, never the 100 stored.
		self.assertFalse(get("Play Run", self.run_name).get("mrr_at_start"))
		self.assertFalse(read_doc("Play Run", self.run_name).get("mrr_at_start"))
		getdoc("Play Run", self.run_name)
		self.assertFalse(frappe.response.docs[-1].get("mrr_at_start"))
		rows = get_list("Play Run", fields=["name", "mrr_at_start"], filters={"name": self.run_name})
		self.assertEqual(rows, [{"name": self.run_name}])
		self.assertEqual(
			get_list("Play Run", fields=["*"], filters={"name": self.run_name})[0].get("mrr_at_start"), None
		)
		frappe.local.form_dict = frappe._dict(
			doctype="Play Run",
			fields=json.dumps(["name", "mrr_at_start"]),
			filters=json.dumps({"name": self.run_name}),
		)
		self.assertEqual(reportview_get()["keys"], ["name"])

	def test_user_with_sales_invoice_read_sees_mrr_at_start(self):
		from frappe.client import get, get_list

		frappe.set_user(self.agent("Accounts User"))
		self.assertEqual(get("Play Run", self.run_name)["mrr_at_start"], 100)
		rows = get_list("Play Run", fields=["mrr_at_start"], filters={"name": self.run_name})
		self.assertEqual(rows, [{"mrr_at_start": 100}])


class TestRevenueReportsKeepToTheUsersCompanies(RevenueTestCase):
	def user_for_company_b(self) -> str:
		user = self.agent("Accounts User")
		restrict_user(user, "Company", self.company_b)
		return user

	def test_mrr_movements_and_revenue_retention_refuse_another_company(self):
		frappe.set_user(self.user_for_company_b())
		for report, filters in (
			("MRR Movements", {"from_date": "2025-01-01", "to_date": "2025-12-31"}),
			("Revenue Retention", {"from_date": "2025-04-01", "to_date": "2025-06-30"}),
		):
			with self.assertRaises(frappe.PermissionError, msg=report):
				run(report, company=company(), customer_group=self.group, **filters)

	def test_their_own_company_figures(self):
		frappe.set_user(self.user_for_company_b())
		# Company B, group G: only Y, 200 MRR through 2025. Movements: New 200 in January, nothing after
		# (its churn is dated 2026-01-01); twelve months, ending MRR 200, ARR 2400.
		movements = run(
			"MRR Movements",
			company=self.company_b,
			customer_group=self.group,
			from_date=YEAR[0],
			to_date=YEAR[1],
		)
		self.assertEqual(len(movements.data), 12)
		self.assertEqual(movements.data[0]["new"], 200.0)
		self.assertEqual(movements.summary["Added"], 200.0)
		self.assertEqual(movements.summary["Ending MRR"], 200.0)
		self.assertEqual(movements.summary["ARR"], 2400.0)
		# Q2 2025: 200 on 2025-03-31 and 200 on 2025-06-30: GRR = NRR = 200 / 200 = 100 %.
		retention = run(
			"Revenue Retention",
			company=self.company_b,
			customer_group=self.group,
			from_date="2025-04-01",
			to_date="2025-06-30",
			periodicity="Quarterly",
		)
		(row,) = retention.data
		self.assertEqual((row["start_mrr"], row["grr"], row["nrr"]), (200.0, 100.0, 100.0))


class TestUserPermissionsInReportsAndCards(RevenueTestCase):
	def territory_user(self, *roles: str) -> str:
		user = self.agent(*roles)
		restrict_user(user, "Territory", self.territory)
		return user

	def test_report_keeps_to_the_territory(self):
		# Company A, group G, 2025: X 100 (in T) and Z 300 (not). Unrestricted: 400; in T: 100.
		filters = {
			"company": company(),
			"customer_group": self.group,
			"from_date": YEAR[0],
			"to_date": YEAR[1],
		}
		self.assertEqual(run("MRR Movements", **filters).summary["Ending MRR"], 400.0)
		frappe.set_user(self.territory_user("Accounts User"))
		self.assertEqual(run("MRR Movements", **filters).summary["Ending MRR"], 100.0)

	def test_health_report_and_number_cards_keep_to_the_territory(self):
		from cs_success.api.dashboard import average_customer_health, customers_at_risk

		run_pending_recomputes()
		# In T: X 80 Healthy and Y 60 At Risk; outside: Z 10 Critical.
		for customer, score, band in (
			(self.x, 80, "Healthy"),
			(self.y, 60, "At Risk"),
			(self.z, 10, "Critical"),
		):
			if not frappe.db.exists("Customer Health", customer):
				frappe.get_doc({"doctype": "Customer Health", "customer": customer}).insert(
					ignore_permissions=True
				)
			frappe.db.set_value("Customer Health", customer, {"score": score, "band": band})
		frappe.set_user(self.territory_user())
		report = run("At-Risk Customers", customer_group=self.group)
		self.assertEqual([row["customer"] for row in report.data], [self.y])
		# (80 + 60) / 2 = 70; one customer At Risk or Critical (Y).
		self.assertEqual(average_customer_health()["value"], 70)
		self.assertEqual(customers_at_risk()["value"], 1)

	def test_survey_campaign_performance_applies_user_permissions(self):
		# Both campaigns name T (the field defaults to All Territories, outside a restriction to T).
		campaign = make_campaign(customer_group=self.group, territory=self.territory, status="Draft")
		other = make_campaign(
			customer_group=self.group, territory=self.territory, company=self.company_b, status="Draft"
		)
		# Answered by X (in T); sent to Z twice (not in T); one invitation of the company B campaign to X.
		for name, customer, status in (
			(campaign.name, self.x, "Answered"),
			(campaign.name, self.z, "Sent"),
			(campaign.name, self.z, "Sent"),
			(other.name, self.x, "Sent"),
		):
			frappe.get_doc(
				{
					"doctype": "Survey Invitation",
					"name": frappe.generate_hash(length=12),
					"campaign": name,
					"customer": customer,
					"email": "hardening@example.com",
					"status": status,
				}
			).db_insert()

		def figures(data, name):
			return next(((r["invited"], r["answered"]) for r in data if r["campaign"] == name), None)

		data = run("Survey Campaign Performance").data
		self.assertEqual(figures(data, campaign.name), (3, 1))
		self.assertEqual(figures(data, other.name), (1, 0))
		user = self.territory_user()
		restrict_user(user, "Company", company())
		frappe.set_user(user)
		data = run("Survey Campaign Performance").data
		# In T only X: invited 1, answered 1 (1 / 1 = 100 %); the company B campaign is not listed.
		self.assertEqual(figures(data, campaign.name), (1, 1))
		self.assertEqual(next(r for r in data if r["campaign"] == campaign.name)["response_rate"], 100.0)
		self.assertIsNone(figures(data, other.name))


class TestHealthRealtimeGoesToReaders(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()

	def tearDown(self):
		frappe.set_user("Administrator")

	def test_published_to_the_records_room_only(self):
		customer = make_customer("Realtime Room")
		run_pending_recomputes()
		with patch("frappe.publish_realtime") as publish:
			make_issue(customer)
			run_pending_recomputes()
		calls = [c for c in publish.call_args_list if c.args and c.args[0] == "cs_success_health"]
		self.assertEqual(len(calls), 1)
		for call in calls:
			self.assertEqual((call.kwargs["doctype"], call.kwargs["docname"]), ("Customer Health", customer))
			self.assertNotIn("room", call.kwargs)
			self.assertNotIn("user", call.kwargs)

	def test_frappe_routes_it_to_the_doc_room(self):
		from frappe.realtime import flush_realtime_log, get_doc_room

		customer = make_customer("Realtime Route")
		run_pending_recomputes()
		with patch("frappe.realtime.emit_via_redis") as emit:
			make_issue(customer)
			run_pending_recomputes()
			flush_realtime_log()  # what the commit would emit
		rooms = [c.args[2] for c in emit.call_args_list if c.args[0] == "cs_success_health"]
		# Every message (the creation's and the ticket's recompute) to the record's room, none elsewhere.
		self.assertTrue(rooms)
		self.assertEqual(set(rooms), {get_doc_room("Customer Health", customer)})

	def test_only_readers_may_join_the_room(self):
		from frappe.realtime import can_subscribe_doc

		customer = make_customer("Realtime Reader")
		run_pending_recomputes()
		self.assertTrue(frappe.db.exists("Customer Health", customer))
		frappe.set_user(make_user("Sales User"))
		self.assertFalse(frappe.has_permission("Customer Health", "read"))
		with self.assertRaises(frappe.PermissionError):
			can_subscribe_doc("Customer Health", customer)
		frappe.set_user(make_user("CS Agent"))
		self.assertTrue(can_subscribe_doc("Customer Health", customer))
