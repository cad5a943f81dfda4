"""Tier 2: the reports built on the revenue ledger (Cohort Retention, Customer Lifetime Value, Churned Customer
Audit, Renewal Rate), each figure worked out by hand in the comments, on data that breaks naive code:
annual and six-monthly billing, churn and reactivation inside a cohort, revenue that stops before the
agreement does, cancelled subscriptions, unsigned and draft contracts, a second company, a user without
Sales Invoice permission, and no data at all."""

from unittest.mock import patch

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, get_first_day, getdate, today

from cs_success.ledger.build import rebuild_customers
from cs_success.tests.utils import (
	company,
	index_columns,
	make_contract,
	make_customer,
	make_subscription,
	make_user,
	reset_health_queue,
	service_item,
)

SECOND_COMPANY = "_CS Test Ledger Company"


def run(report: str, **filters):
	module = frappe.scrub(report).replace("-", "_")
	execute = frappe.get_attr(f"cs_success.cs_success.report.{module}.{module}.execute")
	columns, data, message, chart, summary = execute(frappe._dict(filters))
	return frappe._dict(
		columns=columns,
		data=data,
		message=message,
		chart=chart,
		summary={item["label"]: item["value"] for item in summary},
		summary_items=summary,
	)


def ensure_fiscal_years(*years: int) -> None:
	"""Invoices in past years need a fiscal year; a test site only has the current one."""
	from erpnext.accounts.utils import get_fiscal_year

	for year in years:
		if get_fiscal_year(f"{year}-06-30", boolean=True):
			continue
		frappe.get_doc(
			{
				"doctype": "Fiscal Year",
				"year": f"_CS Test {year}",
				"year_start_date": f"{year}-01-01",
				"year_end_date": f"{year}-12-31",
			}
		).insert(ignore_permissions=True)


def second_company() -> str:
	"""Another company in the same currency (a second currency would need exchange rates offline)."""
	if not frappe.db.exists("Company", SECOND_COMPANY):
		first = frappe.get_cached_doc("Company", company())
		frappe.get_doc(
			{
				"doctype": "Company",
				"company_name": SECOND_COMPANY,
				"abbr": "_CSTL",
				"default_currency": first.default_currency,
				"country": first.country,
				"create_chart_of_accounts_based_on": "Standard Template",
				"chart_of_accounts": "Standard",
			}
		).insert(ignore_permissions=True)
	return SECOND_COMPANY


def invoice(
	customer: str, amount: float, posting_date: str, period: tuple | None = None, at: str | None = None
):
	"""A submitted Sales Invoice; `period` (from, to) is the invoice period the ledger spreads it over."""
	doc = frappe.new_doc("Sales Invoice")
	doc.customer = customer
	doc.company = at or company()
	doc.set_posting_time = 1
	doc.posting_date = doc.due_date = posting_date
	if period:
		doc.from_date, doc.to_date = period
	doc.append("items", {"item_code": service_item(), "qty": 1, "rate": amount})
	doc.insert(ignore_permissions=True)
	doc.submit()
	return doc


def customer_group(label: str, parent: str = "All Customer Groups", is_group: int = 0) -> str:
	return (
		frappe.get_doc(
			{
				"doctype": "Customer Group",
				"customer_group_name": f"_CS {label} {frappe.generate_hash(length=5)}",
				"parent_customer_group": parent,
				"is_group": is_group,
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


def cancel_subscription(name: str, on: str) -> None:
	"""Only a cancellation date, no end date, as ERPNext leaves a subscription cancelled mid-term."""
	frappe.db.set_value("Subscription", name, {"cancelation_date": on, "status": "Cancelled"})


class LedgerReportTestCase(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		# The company first: were creating it to commit, nothing else of this class would go with it.
		cls.company2 = second_company()
		ensure_fiscal_years(2024, 2025, 2026, 2027)

	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()

	def tearDown(self):
		frappe.set_user("Administrator")

	def assertFigures(self, actual, expected, places=6):
		"""Lists of percentages or amounts: None must stay None, numbers equal to `places`."""
		self.assertEqual(len(actual), len(expected), (actual, expected))
		for got, want in zip(actual, expected, strict=True):
			if want is None:
				self.assertIsNone(got, (actual, expected))
			else:
				self.assertIsNotNone(got, (actual, expected))
				self.assertAlmostEqual(got, want, places=places, msg=(actual, expected))


def months(row: dict, count: int) -> list:
	return [row[f"month_{k}"] for k in range(count + 1)]


class TestCohortRetention(LedgerReportTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.group = customer_group("Cohorts")
		make = lambda label: make_customer(label, customer_group=cls.group)  # noqa: E731
		# Cohort 2025-01 (4 customers, 100 MRR each at the end of January):
		# A: billed annually in advance, 1200 for 2025 and 1200 for 2026: 100 MRR without a break.
		a = make("Annual")
		invoice(a, 1200, "2025-01-01", ("2025-01-01", "2025-12-31"))
		invoice(a, 1200, "2026-01-01", ("2026-01-01", "2026-12-31"))
		# B: billed every six months, 600 each (cadence detected from the 6-month gaps): 100 MRR to 2026-06-30.
		b = make("SixMonthly")
		for posted in ("2025-01-01", "2025-07-01", "2026-01-01"):
			invoice(b, 600, posted)
		# C: 300 for Jan 15 - Apr 14 (3 months: 100 MRR), then nothing: churned on 2025-04-15.
		c = make("Churned")
		invoice(c, 300, "2025-01-15", ("2025-01-15", "2025-04-14"))
		# D: 200 for Jan 20 - Mar 19 (100 MRR), gone from Mar 20, back on Jun 1 at 1800 for 9 months (200 MRR)
		# to 2026-02-28. Reactivation keeps D in its first (January) cohort.
		d = make("Reactivated")
		invoice(d, 200, "2025-01-20", ("2025-01-20", "2025-03-19"))
		invoice(d, 1800, "2025-06-01", ("2025-06-01", "2026-02-28"))
		# Cohort 2025-02: nobody. Cohort 2025-03 (2 customers, 100 MRR each):
		# E: annual, 1200 for Mar 2025 - Feb 2026 and again for Mar 2026 - Feb 2027.
		e = make("Annual2")
		invoice(e, 1200, "2025-03-01", ("2025-03-01", "2026-02-28"))
		invoice(e, 1200, "2026-03-01", ("2026-03-01", "2027-02-28"))
		# F: six-monthly, 600 on Mar 10, Sep 10, Mar 10: 100 MRR to 2026-09-09.
		f = make("SixMonthly2")
		for posted in ("2025-03-10", "2025-09-10", "2026-03-10"):
			invoice(f, 600, posted)
		cls.customers = [a, b, c, d, e, f]
		rebuild_customers(cls.customers)

	def cohorts(self, **filters):
		return run(
			"Cohort Retention",
			**{
				"company": company(),
				"from_date": "2025-01-01",
				"to_date": "2025-03-31",
				"customer_group": self.group,
				"months": 12,
				**filters,
			},
		)

	def test_logo_retention_with_churn_and_reactivation(self):
		report = self.cohorts(measure="Logos")
		january, february, march, average = report.data
		self.assertEqual([row["cohort"] for row in report.data[:3]], ["2025-01", "2025-02", "2025-03"])
		self.assertEqual((january["cohort_size"], february["cohort_size"], march["cohort_size"]), (4, 0, 2))
		# Month ends Jan 31 .. 2026-01-31. Active: A and B always; C to Apr 14 (Jan, Feb, Mar);
		# D Jan 20 - Mar 19 and Jun 1 on. k0 4, k1 4, k2 3 (D out), k3 2 (C gone), k4 2, k5..k12 3 (D back).
		self.assertFigures(months(january, 12), [100, 100, 75, 50, 50] + [75] * 8)
		# An empty cohort: no percentages at all, not 0 %.
		self.assertFigures(months(february, 12), [None] * 13)
		self.assertIsNone(february["starting_mrr"])
		# E and F, billed annually and six-monthly, stay active through every month end.
		self.assertFigures(months(march, 12), [100] * 13)
		# All cohorts: (January + March active) / 6. k2: (3 + 2) / 6; k3, k4: (2 + 2) / 6; k5..: (3 + 2) / 6.
		self.assertEqual(average["cohort_size"], 6)
		self.assertFigures(months(average, 12), [100, 100, 500 / 6, 400 / 6, 400 / 6] + [500 / 6] * 8)
		self.assertEqual(report.summary["Customers Acquired"], 6)
		self.assertEqual(report.summary["Starting MRR"], 600)  # 400 + 200
		self.assertAlmostEqual(report.summary["Logo Retention at Month 1 %"], 100)
		self.assertAlmostEqual(report.summary["Logo Retention at Month 12 %"], 83.33)
		self.assertEqual(len(report.chart["data"]["labels"]), 13)
		self.assertIn("Logo retention", report.message)

	def test_revenue_retention_stays_whole_between_annual_and_six_monthly_invoices(self):
		report = self.cohorts(measure="Revenue")
		january, _february, march, average = report.data
		# Starting MRR: January 100 x 4 = 400; March 100 x 2 = 200.
		self.assertEqual((january["starting_mrr"], march["starting_mrr"]), (400, 200))
		self.assertEqual(
			january["currency"], frappe.get_cached_value("Company", company(), "default_currency")
		)
		# January: k2 300 (A, B, C), k3 and k4 200 (A, B), k5..k12 100 + 100 + 200 (D back at 200) = 400.
		self.assertFigures(months(january, 12), [100, 100, 75, 50, 50] + [100] * 8)
		# March: the annual and the six-monthly customer, 200 at every month end although invoiced twice a year.
		self.assertFigures(months(march, 12), [100] * 13)
		# All cohorts: k2 (300 + 200) / 600, k3 and k4 (200 + 200) / 600, k5.. (400 + 200) / 600.
		self.assertFigures(months(average, 12), [100, 100, 500 / 6, 400 / 6, 400 / 6] + [100] * 8)
		self.assertAlmostEqual(report.summary["Revenue Retention at Month 12 %"], 100)

	def test_months_not_yet_ended_are_empty(self):
		# A subscription (100 a month) from the first day of last month: its month 0 has ended, month 1 is
		# this month, still running.
		started = get_first_day(add_days(get_first_day(today()), -1))
		newcomer = make_customer("Newcomer", customer_group=self.group)
		make_subscription(newcomer, start_date=started)
		rebuild_customers([newcomer])
		report = run(
			"Cohort Retention",
			company=company(),
			from_date=started,
			to_date=today(),
			customer_group=self.group,
			months=3,
			measure="Revenue",
		)
		last_month, this_month, average = report.data
		self.assertEqual((last_month["cohort_size"], last_month["starting_mrr"]), (1, 100))
		self.assertFigures(months(last_month, 3), [100, None, None, None])
		# This month's cohort is empty and has not ended: nothing, not 0.
		self.assertEqual(this_month["cohort_size"], 0)
		self.assertFigures(months(this_month, 3), [None] * 4)
		self.assertFigures(months(average, 3), [100, None, None, None])
		self.assertIsNone(report.summary["Revenue Retention at Month 1 %"])
		month_one = next(
			item for item in report.summary_items if item["label"] == "Revenue Retention at Month 1 %"
		)
		self.assertNotIn("indicator", month_one)

	def test_an_earlier_invoice_moves_the_customer_to_its_earlier_cohort(self):
		# The cohort is carried on every span and MRR interval (acquired_on) and is the customer's first
		# acquisition: when an earlier invoice turns up, rows that did not change otherwise must follow.
		group = customer_group("Cohort Move")
		late = make_customer("Late", customer_group=group)
		# 300 for Mar - May 2025: 100 MRR, acquired 2025-03-01.
		invoice(late, 300, "2025-03-01", ("2025-03-01", "2025-05-31"))
		rebuild_customers([late])
		filters = {"from_date": "2024-10-01", "to_date": "2025-03-31", "customer_group": group, "months": 2}
		sizes = [row["cohort_size"] for row in run("Cohort Retention", measure="Logos", **filters).data]
		# Cohorts Oct 2024 .. Mar 2025 and the average row: only March.
		self.assertEqual(sizes, [0, 0, 0, 0, 0, 1, 1])
		# Then an invoice for Oct 2024 (100 MRR), four months before: acquired 2024-10-01, churned,
		# reactivated on Mar 1. The Mar - May interval and span are as before but for their cohort.
		invoice(late, 100, "2024-10-01", ("2024-10-01", "2024-10-31"))
		rebuild_customers([late])
		for doctype in ("Customer Active Span", "MRR Interval"):
			cohorts = frappe.get_all(doctype, filters={"customer": late}, pluck="acquired_on")
			self.assertEqual(len(cohorts), 2, doctype)
			self.assertEqual(set(cohorts), {getdate("2024-10-01")}, doctype)
		report = run("Cohort Retention", measure="Revenue", **filters)
		self.assertEqual([row["cohort_size"] for row in report.data], [1, 0, 0, 0, 0, 0, 1])
		october = report.data[0]
		# October's 100 MRR at Oct 31, gone at Nov 30 and Dec 31 (a real 0 %, the MRR went).
		self.assertEqual(october["starting_mrr"], 100)
		self.assertFigures(months(october, 2), [100, 0, 0])

	def test_patch_fills_the_cohort_of_rows_stored_before(self):
		# Rows written before the ledger carried cohorts get them from the Acquired events, exactly the day
		# the rebuild writes: the next rebuild then finds them unchanged and rewrites none.
		from cs_success.patches import ledger_rows_carry_cohort

		def stored():
			return {
				doctype: dict(
					frappe.get_all(
						doctype,
						filters={"customer": ("in", self.customers)},
						fields=["name", "acquired_on"],
						as_list=True,
					)
				)
				for doctype in ("Customer Active Span", "MRR Interval")
			}

		written = stored()
		# D (reactivated) has two spans, both of its January cohort.
		self.assertEqual(len(written["Customer Active Span"]), 7)
		self.assertNotIn(None, written["Customer Active Span"].values())
		for doctype in written:
			frappe.db.sql(
				f"UPDATE `tab{doctype}` SET acquired_on = NULL WHERE customer IN %(customers)s",
				{"customers": tuple(self.customers)},
			)
		with patch.object(frappe.db, "commit"):  # the patch commits; the test's rows must roll back
			ledger_rows_carry_cohort.execute()
		self.assertEqual(stored(), written)
		rebuild_customers(self.customers)
		self.assertEqual(stored(), written)

	def test_months_filter_is_bounded(self):
		with self.assertRaises(frappe.ValidationError):
			self.cohorts(measure="Logos", months=25)

	def test_figures_per_company(self):
		group = customer_group("Cohort Companies")
		# K at the first company: 300 for Jan - Mar 2025 (100 MRR). J at the second only: 1000 for
		# Jan 5 - Jun 4 (5 months, 200 MRR). Both acquired in January 2025: one logo cohort of 2.
		k = make_customer("AtFirst", customer_group=group)
		j = make_customer("AtSecond", customer_group=group)
		invoice(k, 300, "2025-01-01", ("2025-01-01", "2025-03-31"))
		invoice(j, 1000, "2025-01-05", ("2025-01-05", "2025-06-04"), at=self.company2)
		rebuild_customers([k, j])
		filters = {"from_date": "2025-01-01", "to_date": "2025-01-31", "customer_group": group, "months": 5}
		first = run("Cohort Retention", company=company(), measure="Revenue", **filters).data[0]
		second = run("Cohort Retention", company=self.company2, measure="Revenue", **filters).data[0]
		self.assertEqual((first["cohort_size"], first["starting_mrr"]), (2, 100))
		self.assertEqual((second["cohort_size"], second["starting_mrr"]), (2, 200))
		# First company: K's 100 to Mar 31 (k0..k2), then 0 % (a real 0: the MRR went).
		self.assertFigures(months(first, 5), [100, 100, 100, 0, 0, 0])
		# Second company: J's 200 to Jun 4: k0..k4 (Jan 31 .. May 31), 0 at Jun 30.
		self.assertFigures(months(second, 5), [100, 100, 100, 100, 100, 0])
		# Logos are the customer's across companies, the same whichever company is chosen: both to Mar 31,
		# J alone Apr 30 and May 31, nobody on Jun 30.
		for at in (company(), self.company2):
			logos = run("Cohort Retention", company=at, measure="Logos", **filters).data[0]
			self.assertFigures(months(logos, 5), [100, 100, 100, 50, 50, 0])

	def test_without_sales_invoice_permission(self):
		frappe.set_user(make_user("CS Agent"))
		with self.assertRaises(frappe.PermissionError):
			self.cohorts(measure="Revenue")
		# Logo retention stays open to them; the MRR is blank and the message says why.
		report = self.cohorts(measure="Logos")
		january = report.data[0]
		self.assertFigures(months(january, 12), [100, 100, 75, 50, 50] + [75] * 8)
		self.assertIsNone(january["starting_mrr"])
		self.assertNotIn("Starting MRR", report.summary)
		self.assertIn("Sales Invoices", report.message)


class TestCustomerLifetimeValue(LedgerReportTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.parent = customer_group("CLV", is_group=1)
		cls.group_a = customer_group("CLV A", parent=cls.parent)
		cls.group_b = customer_group("CLV B", parent=cls.parent)
		# Period 2025-01-01 .. 2025-06-30: 6 months; S is who paid on 2024-12-31.
		# P1 (A): 1200 for Jul 2024 - Jun 2025: 100 MRR throughout. In S, kept.
		p1 = make_customer("P1", customer_group=cls.group_a)
		invoice(p1, 1200, "2024-07-01", ("2024-07-01", "2025-06-30"))
		# P2 (A): 900 a quarter for Q4 2024 and Q1 2025: 300 MRR to Mar 31, then nothing. In S, lost.
		p2 = make_customer("P2", customer_group=cls.group_a)
		invoice(p2, 900, "2024-10-01", ("2024-10-01", "2024-12-31"))
		invoice(p2, 900, "2025-01-01", ("2025-01-01", "2025-03-31"))
		# P3 (B): 1400 for Dec 2024 - Jun 2025 (7 months): 200 MRR. In S, kept.
		p3 = make_customer("P3", customer_group=cls.group_b)
		invoice(p3, 1400, "2024-12-01", ("2024-12-01", "2025-06-30"))
		# P4 (B): 450 for Apr - Jun 2025: 150 MRR. New in the period, not in S.
		p4 = make_customer("P4", customer_group=cls.group_b)
		invoice(p4, 450, "2025-04-01", ("2025-04-01", "2025-06-30"))
		# P5 (A) at the second company only: 2400 for Jul 2024 - Jun 2025: 200 MRR there.
		p5 = make_customer("P5", customer_group=cls.group_a)
		invoice(p5, 2400, "2024-07-01", ("2024-07-01", "2025-06-30"), at=cls.company2)
		rebuild_customers([p1, p2, p3, p4, p5])

	def clv(self, at=None, **filters):
		return run(
			"Customer Lifetime Value",
			company=at or company(),
			from_date="2025-01-01",
			to_date="2025-06-30",
			customer_group=self.parent,
			**filters,
		)

	def test_arpa_churn_and_clv_per_group_and_total(self):
		report = self.clv(gross_margin=60)
		rows = {row["customer_group"]: row for row in report.data}
		total = report.data[-1]
		self.assertEqual(total["customer_group"], "Total")
		# Month ends Jan 31 .. Jun 30. Paying: Jan-Mar P1 100, P2 300, P3 200 (3 customers, 600);
		# Apr-Jun P1 100, P3 200, P4 150 (3, 450). ARPA = (3 x 600 + 3 x 450) / 18 = 3150 / 18 = 175.
		# S = {P1, P2, P3}, lost {P2}: monthly churn = 1 / 3 / 6 = 5.5556 %. CLV = 175 / (1/18) = 3150.
		self.assertEqual((total["start_customers"], total["lost"], total["months"]), (3, 1, 6))
		self.assertAlmostEqual(total["arpa"], 175)
		self.assertAlmostEqual(total["monthly_churn"], 100 / 18)
		self.assertAlmostEqual(total["lifespan_months"], 18)
		self.assertAlmostEqual(total["clv"], 3150)
		self.assertAlmostEqual(total["margin_clv"], 1890)  # x 60 %
		self.assertAlmostEqual(total["average_paying"], 3)
		# Group A: S {P1, P2}, lost 1: 1 / 2 / 6 = 8.3333 %; ARPA (6 x 100 + 3 x 300) / 9 = 166.667;
		# CLV = 166.667 x 12 = 2000.
		a = rows[self.group_a]
		self.assertEqual((a["start_customers"], a["lost"]), (2, 1))
		self.assertAlmostEqual(a["monthly_churn"], 100 / 12)
		self.assertAlmostEqual(a["arpa"], 1500 / 9)
		self.assertAlmostEqual(a["clv"], 2000)
		self.assertAlmostEqual(a["margin_clv"], 1200)
		# Group B: S {P3}, nobody lost: churn 0 %, so no lifespan and no CLV (not 0, not infinite);
		# ARPA (6 x 200 + 3 x 150) / 9 = 183.333.
		b = rows[self.group_b]
		self.assertEqual((b["start_customers"], b["lost"], b["monthly_churn"]), (1, 0, 0))
		self.assertAlmostEqual(b["arpa"], 1650 / 9)
		self.assertIsNone(b["clv"])
		self.assertIsNone(b["lifespan_months"])
		self.assertIsNone(b["margin_clv"])
		self.assertAlmostEqual(report.summary["CLV"], 3150)
		self.assertAlmostEqual(report.summary["Monthly Churn %"], 5.56)
		self.assertEqual(report.chart["data"]["labels"], [self.group_a])

	def test_second_company(self):
		# Only P5 pays at the second company: S {P5}, none lost, ARPA 200, CLV empty.
		report = self.clv(at=self.company2)
		self.assertEqual([row["customer_group"] for row in report.data], [self.group_a, "Total"])
		total = report.data[-1]
		self.assertEqual((total["start_customers"], total["lost"], total["arpa"]), (1, 0, 200))
		self.assertIsNone(total["clv"])
		self.assertIsNone(report.summary["CLV"])
		self.assertNotIn("indicator", next(item for item in report.summary_items if item["label"] == "CLV"))

	def test_without_sales_invoice_permission(self):
		frappe.set_user(make_user("CS Agent"))
		with self.assertRaises(frappe.PermissionError):
			self.clv()


class TestChurnedCustomerAudit(LedgerReportTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.parent = customer_group("Audit", is_group=1)
		cls.group_a = customer_group("Audit A", parent=cls.parent)
		cls.group_b = customer_group("Audit B", parent=cls.parent)
		make = lambda label, group: make_customer(label, customer_group=group)  # noqa: E731
		# X1 (A): 300 for Q1 2025 (100 MRR); churned 2025-04-01.
		cls.x1 = make("X1", cls.group_a)
		invoice(cls.x1, 300, "2025-01-01", ("2025-01-01", "2025-03-31"))
		# X2 (A): 600 for Jan - Jun 2025 (100 MRR) under a contract to Sep 30: revenue churns on Jul 1, the
		# logo on Oct 1. The MRR lost is that 100, from the Churn movement within the span.
		cls.x2 = make("X2", cls.group_a)
		invoice(cls.x2, 600, "2025-01-01", ("2025-01-01", "2025-06-30"))
		make_contract(cls.x2, "2025-01-01", "2025-09-30")
		# X3 (B): 300 for Nov 2024 - Jan 2025 (100 MRR), churned Feb 1; back May 1 with 1000 for May - Sep
		# (200 MRR), churned again Oct 1. Two churns in the year.
		cls.x3 = make("X3", cls.group_b)
		invoice(cls.x3, 300, "2024-11-01", ("2024-11-01", "2025-01-31"))
		invoice(cls.x3, 1000, "2025-05-01", ("2025-05-01", "2025-09-30"))
		# X4 (B): at the second company only, 400 for Jan - Apr 2025 (100 MRR there); churned May 1.
		cls.x4 = make("X4", cls.group_b)
		invoice(cls.x4, 400, "2025-01-01", ("2025-01-01", "2025-04-30"), at=cls.company2)
		# X5 (B): 2400 for 2024 - 2025 (100 MRR), active at the start, churns 2026-01-01 (after the year).
		cls.x5 = make("X5", cls.group_b)
		invoice(cls.x5, 2400, "2024-01-01", ("2024-01-01", "2025-12-31"))
		rebuild_customers([cls.x1, cls.x2, cls.x3, cls.x4, cls.x5])

		cls.reason = frappe.get_doc(
			{"doctype": "Churn Reason", "reason": f"_CS Test Price {frappe.generate_hash(length=5)}"}
		).insert(ignore_permissions=True)
		frappe.db.set_value(
			"Customer Lifecycle Event",
			{"customer": cls.x1, "event_type": "Churned"},
			{"churn_reason": cls.reason.name, "churn_reason_source": "Manual"},
		)
		# X1's health: 42 (At Risk) on Mar 15, 30 on Apr 10 (after it left, so not "before").
		for day, score, band in (("2025-03-15", 42, "At Risk"), ("2025-04-10", 30, "Critical")):
			frappe.get_doc(
				{"doctype": "Customer Health Snapshot", "customer": cls.x1, "snapshot_date": day,
				 "kind": "Daily", "score": score, "band": band}
			).insert(ignore_permissions=True)  # fmt: skip

	def audit(self, at=None, **filters):
		return run(
			"Churned Customer Audit",
			company=at or company(),
			from_date="2025-01-01",
			to_date="2025-12-31",
			customer_group=self.parent,
			medium_from=2000,
			large_from=100000,
			**filters,
		)

	def test_churn_events_mrr_lost_and_health_before(self):
		report = self.audit()
		events = sorted((row["churn_date"], row["customer"], row["mrr_lost"]) for row in report.data)
		self.assertEqual(
			events,
			sorted(
				[
					(getdate("2025-02-01"), self.x3, 100),
					(getdate("2025-04-01"), self.x1, 100),
					(getdate("2025-05-01"), self.x4, None),  # no MRR at this company
					(getdate("2025-10-01"), self.x2, 100),
					(getdate("2025-10-01"), self.x3, 200),
				]
			),
		)
		x1 = next(row for row in report.data if row["customer"] == self.x1)
		self.assertEqual((x1["churn_reason"], x1["churn_reason_source"]), (self.reason.name, "Manual"))
		self.assertEqual((x1["health_score"], x1["health_band"]), (42, "At Risk"))
		self.assertEqual(x1["health_date"], getdate("2025-03-15"))
		self.assertEqual(x1["size_band"], "Small")  # ARR 1200 < 2000
		x3_again = next(
			row
			for row in report.data
			if row["customer"] == self.x3 and row["churn_date"] == getdate("2025-10-01")
		)
		self.assertEqual(x3_again["size_band"], "Medium")  # ARR 2400
		self.assertIsNone(x3_again["health_score"])  # no snapshot before
		# 4 customers (X3 twice), MRR lost 100 + 100 + 100 + 200 = 500, one of 5 churns with a reason.
		self.assertEqual(report.summary["Churned Customers"], 4)
		self.assertEqual(report.summary["MRR Lost"], 500)
		self.assertAlmostEqual(report.summary["With a Churn Reason %"], 20)
		self.assertEqual(
			dict(
				zip(
					report.chart["data"]["labels"], report.chart["data"]["datasets"][0]["values"], strict=True
				)
			),
			{self.group_a: 2, self.group_b: 2},
		)

	def test_segment_summary(self):
		rows = self.audit(view="Segments").data
		headings = [row["segment"] for row in rows if row.get("bold")]
		self.assertEqual(headings, ["Customer Group", "Territory", "Churn Reason", "Size Band"])
		by_segment = {row["segment"]: row for row in rows if not row.get("bold")}
		# Group A: X1, X2 lost (2 of 4 customers), MRR 200 of 500; nobody in A was active on 2024-12-31.
		a = by_segment[self.group_a]
		self.assertEqual((a["customers_lost"], a["mrr_lost"], a["active_at_start"]), (2, 200, 0))
		self.assertAlmostEqual(a["share_lost"], 50)
		self.assertAlmostEqual(a["share_mrr_lost"], 40)
		self.assertIsNone(a["churn_rate"])
		# Group B: X3, X4 lost, MRR 100 + 200 = 300 (X4 had none here); active at start X3 and X5, of whom
		# X3 churned: 50 %.
		b = by_segment[self.group_b]
		self.assertEqual((b["customers_lost"], b["mrr_lost"], b["active_at_start"]), (2, 300, 2))
		self.assertAlmostEqual(b["share_mrr_lost"], 60)
		self.assertAlmostEqual(b["churn_rate"], 50)
		reason = by_segment[self.reason.name]
		self.assertEqual((reason["customers_lost"], reason["mrr_lost"]), (1, 100))
		self.assertIsNone(reason["active_at_start"])
		self.assertEqual((by_segment["Not Set"]["customers_lost"]), 1)  # sizes: X4 lost no MRR here

	def test_second_company(self):
		# The same five churns (the logo is the customer's), MRR lost only X4's 100 at the second company.
		report = self.audit(at=self.company2)
		lost = {(row["customer"], row["churn_date"]): row["mrr_lost"] for row in report.data}
		self.assertEqual(len(lost), 5)
		self.assertEqual(lost[(self.x4, getdate("2025-05-01"))], 100)
		self.assertEqual(sum(value for value in lost.values() if value), 100)
		self.assertEqual(report.summary["MRR Lost"], 100)

	def test_without_sales_invoice_permission(self):
		frappe.set_user(make_user("CS Agent"))
		with self.assertRaises(frappe.PermissionError):
			self.audit()


class TestRenewalRate(LedgerReportTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.group = customer_group("Renewals")
		make = lambda label: make_customer(label, customer_group=cls.group)  # noqa: E731
		# R1: contract for 2025, 1200 invoiced for it (100 MRR), renewed by a contract from 2026-01-01 with no
		# end (one ending on a fixed date would be upcoming, then due, from some day on).
		cls.r1 = make("Renewed")
		first = make_contract(cls.r1, "2025-01-01", "2025-12-31")
		make_contract(cls.r1, "2026-01-01")
		invoice(cls.r1, 1200, "2025-01-01", ("2025-01-01", "2025-12-31"))
		cls.r1_term = first.name
		# R2: contract Mar 2025 - Feb 2026, 2400 invoiced for it (200 MRR), never renewed.
		cls.r2 = make("Lapsed")
		make_contract(cls.r2, "2025-03-01", "2026-02-28")
		invoice(cls.r2, 2400, "2025-03-01", ("2025-03-01", "2026-02-28"))
		# R3: a 100-a-month subscription from 2025-01-01, cancelled from 2025-09-01 with no end date: due
		# 2025-08-31, not renewed, 100 MRR.
		cls.r3 = make("Cancelled")
		cls.subscription = make_subscription(cls.r3, start_date="2025-01-01").name
		cancel_subscription(cls.subscription, "2025-09-01")
		# R4: an unsigned (submitted) contract and a signed draft, both ending in the period; invoiced, so it
		# has a ledger, but neither contract ever is a term.
		cls.r4 = make("Unsigned")
		make_contract(cls.r4, "2025-01-01", "2025-10-31", signed=False)
		frappe.get_doc(
			{"doctype": "Contract", "party_type": "Customer", "party_name": cls.r4, "start_date": "2025-02-01",
			 "end_date": "2025-11-30", "is_signed": 1, "signee": "CS Test Signee", "contract_terms": "Draft."}
		).insert(ignore_permissions=True)  # fmt: skip
		invoice(cls.r4, 100, "2025-05-01")
		# R5: ended 10 days ago, grace window (30 days) still open: Pending, listed, not counted.
		cls.r5 = make("Pending")
		make_contract(cls.r5, add_days(today(), -200), add_days(today(), -10))
		# R6: ends in 10 days: upcoming, not counted.
		cls.r6 = make("Upcoming")
		make_contract(cls.r6, add_days(today(), -200), add_days(today(), 10))
		# R7: at the second company only, contract for 2025 with 1200 invoiced there (100 MRR), not renewed.
		cls.r7 = make("SecondCompany")
		make_contract(cls.r7, "2025-01-01", "2025-12-31")
		invoice(cls.r7, 1200, "2025-01-01", ("2025-01-01", "2025-12-31"), at=cls.company2)
		rebuild_customers([cls.r1, cls.r2, cls.r3, cls.r4, cls.r5, cls.r6, cls.r7])

	def renewals(self, at=None, **filters):
		return run(
			"Renewal Rate",
			company=at or company(),
			from_date="2025-07-01",
			to_date=today(),
			customer_group=self.group,
			upcoming_days=30,
			**filters,
		)

	def test_rate_by_count_and_value(self):
		report = self.renewals()
		rows = [(row["customer"], row["due_date"], row["status"], row["mrr"]) for row in report.data]
		self.assertEqual(
			rows,
			[
				(self.r3, getdate("2025-08-31"), "Cancelled", 100),
				(self.r1, getdate("2025-12-31"), "Renewed", 100),
				(self.r2, getdate("2026-02-28"), "Not Renewed", 200),
				(self.r5, getdate(add_days(today(), -10)), "Pending", 0),
				(self.r6, getdate(add_days(today(), 10)), "Upcoming", 0),
			],
		)
		self.assertEqual(report.data[1]["agreement"], self.r1_term)
		self.assertEqual(report.data[0]["agreement"], self.subscription)
		# Due: R1, R2, R3 (the cancelled subscription). Renewed: R1. By count 1 / 3; by value 100 / 400.
		summary = report.summary
		self.assertEqual((summary["Due"], summary["Renewed"], summary["Not Renewed"]), (3, 1, 2))
		self.assertAlmostEqual(summary["Renewal Rate by Count"], 33.33)
		self.assertEqual(summary["MRR Due"], 400)
		self.assertAlmostEqual(summary["Renewal Rate by Value"], 25)
		self.assertEqual((summary["Pending (Grace Window Open)"], summary["Upcoming Renewals"]), (1, 1))
		self.assertNotIn(self.r4, {row["customer"] for row in report.data})
		self.assertIn("30 days after the term ended", report.message)

	def test_second_company(self):
		# Only R7's term is at the second company: due 1, renewed 0: 0 % by count and by value (real zeros).
		report = self.renewals(at=self.company2)
		self.assertEqual(
			[(row["customer"], row["status"], row["mrr"]) for row in report.data],
			[(self.r7, "Not Renewed", 100)],
		)
		self.assertEqual((report.summary["Due"], report.summary["Renewed"]), (1, 0))
		self.assertEqual(report.summary["Renewal Rate by Count"], 0)
		self.assertEqual(report.summary["Renewal Rate by Value"], 0)
		self.assertEqual(report.summary["MRR Due"], 100)

	def test_values_blank_without_sales_invoice_permission(self):
		frappe.set_user(make_user("CS Agent"))
		report = self.renewals()
		self.assertEqual([row["mrr"] for row in report.data], [None] * 5)
		self.assertEqual((report.summary["Due"], report.summary["Renewed"]), (3, 1))
		self.assertAlmostEqual(report.summary["Renewal Rate by Count"], 33.33)
		self.assertNotIn("Renewal Rate by Value", report.summary)
		self.assertIn("Sales Invoices", report.message)

	def test_company_outside_user_permissions(self):
		user = make_user("CS Agent", "Accounts User")
		frappe.get_doc(
			{"doctype": "User Permission", "user": user, "allow": "Company", "for_value": company()}
		).insert(ignore_permissions=True)
		frappe.set_user(user)
		self.assertEqual(self.renewals().summary["Due"], 3)
		with self.assertRaises(frappe.PermissionError):
			self.renewals(at=self.company2)


class TestNoData(LedgerReportTestCase):
	def test_empty_figures_are_empty_not_zero(self):
		group = customer_group("Empty")
		filters = {
			"company": company(),
			"from_date": "2025-01-01",
			"to_date": "2025-03-31",
			"customer_group": group,
		}

		cohorts = run("Cohort Retention", measure="Revenue", months=3, **filters)
		self.assertEqual([row["cohort_size"] for row in cohorts.data], [0, 0, 0, 0])
		for row in cohorts.data:
			self.assertIsNone(row["starting_mrr"])
			self.assertFigures(months(row, 3), [None] * 4)
		self.assertIsNone(cohorts.chart)

		clv = run("Customer Lifetime Value", gross_margin=50, **filters)
		(total,) = clv.data
		self.assertEqual((total["start_customers"], total["lost"]), (0, 0))
		for field in ("arpa", "monthly_churn", "lifespan_months", "clv", "margin_clv"):
			self.assertIsNone(total[field], field)
		self.assertIsNone(clv.chart)

		audit = run("Churned Customer Audit", **filters)
		self.assertEqual(audit.data, [])
		self.assertEqual(audit.summary["Churned Customers"], 0)
		self.assertIsNone(audit.summary["MRR Lost"])
		self.assertIsNone(audit.summary["With a Churn Reason %"])
		self.assertIsNone(audit.chart)

		renewals = run("Renewal Rate", **filters)
		self.assertEqual(renewals.data, [])
		self.assertEqual(renewals.summary["Due"], 0)
		for label in ("Renewal Rate by Count", "Renewal Rate by Value", "MRR Due"):
			self.assertIsNone(renewals.summary[label], label)
		self.assertIsNone(renewals.chart)

		# No empty figure carries a colour.
		for report in (cohorts, clv, audit, renewals):
			for item in report.summary_items:
				if item["value"] is None or item["value"] == 0:
					self.assertNotIn("indicator", item, item)


class TestMRRMovementIndex(FrappeTestCase):
	"""The monthly sums by company read one covering index (patches/mrr_movement_covering_index.py)."""

	DOCTYPE = "MRR Movement"

	def test_the_patch_replaces_the_company_date_index_and_runs_twice(self):
		from cs_success.patches import mrr_movement_covering_index

		covering = ["company", "movement_date", "movement_type", "amount"]
		self.assertEqual(index_columns(self.DOCTYPE, "company_movement_index"), covering)
		self.assertEqual(index_columns(self.DOCTYPE, "company_movement_date_index"), [])
		# A site as it was before: the (company, movement_date) index only.
		frappe.db.sql_ddl(f"ALTER TABLE `tab{self.DOCTYPE}` DROP INDEX `company_movement_index`")
		frappe.db.sql_ddl(
			f"ALTER TABLE `tab{self.DOCTYPE}` ADD INDEX `company_movement_date_index` (company, movement_date)"
		)
		mrr_movement_covering_index.execute()
		self.assertEqual(index_columns(self.DOCTYPE, "company_movement_index"), covering)
		self.assertEqual(index_columns(self.DOCTYPE, "company_movement_date_index"), [])
		mrr_movement_covering_index.execute()
		self.assertEqual(index_columns(self.DOCTYPE, "company_movement_index"), covering)
