"""Tier 2: the revenue ledger from real ERPNext documents, and the reports on it, against figures worked
out by hand for the cases that break naive code: six-monthly and annual billing, upgrades and downgrades,
a subscription cancelled with only a cancellation date, a lapse and a return, a customer acquired and
lost inside one period, a credit note, a second currency and a second company, draft and unsigned
contracts, a rename and a merge."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import getdate

from cs_success.ledger.build import rebuild_customers
from cs_success.tests.utils import (
	company,
	make_contract,
	make_customer,
	make_customer_group,
	make_monthly_invoices,
	make_sales_invoice,
	make_subscription,
	reset_health_queue,
)

D = getdate


def run_report(name: str, **filters):
	module = frappe.scrub(name)
	execute = frappe.get_attr(f"cs_success.cs_success.report.{module}.{module}.execute")
	_columns, data, message, _chart, summary = execute(frappe._dict(filters))
	return data, {item["label"]: item["value"] for item in summary}, message


def intervals(customer: str, company_name: str | None = None) -> list[tuple]:
	return [
		(str(row.from_date), str(row.to_date) if row.to_date else None, row.mrr)
		for row in frappe.get_all(
			"MRR Interval",
			filters={"customer": customer, "company": company_name or company()},
			fields=["from_date", "to_date", "mrr"],
			order_by="from_date",
		)
	]


def movements(customer: str) -> list[tuple]:
	return [
		(str(row.movement_date), row.movement_type, row.amount)
		for row in frappe.get_all(
			"MRR Movement",
			filters={"customer": customer},
			fields=["movement_date", "movement_type", "amount"],
			order_by="movement_date, creation",
		)
	]


def events(customer: str) -> list[tuple]:
	return [
		(str(row.event_date), row.event_type)
		for row in frappe.get_all(
			"Customer Lifecycle Event",
			filters={"customer": customer},
			fields=["event_date", "event_type"],
			order_by="event_date",
		)
	]


class LedgerTestCase(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()
		self.group = make_customer_group("Ledger")

	def customer(self, label: str, **fields) -> str:
		return make_customer(label, customer_group=self.group, **fields)


class TestBillingPeriods(LedgerTestCase):
	def test_monthly_six_monthly_and_annual_billing(self):
		# M pays 100 on the 1st of each month of 2025; S 600 on 2025-01-01 and 2025-07-01; A 1,200 on
		# 2025-01-01 and 2026-01-01. Each is 100 MRR all through 2025: the gaps between invoices give
		# the billing period (1, 6 and 12 months) and each invoice is spread over it.
		m, s, a = self.customer("Monthly"), self.customer("SixMonthly"), self.customer("Annual")
		make_monthly_invoices(m, 100, "2025-01-01", 12)
		for posting in ("2025-01-01", "2025-07-01"):
			make_sales_invoice(s, 600, posting_date=posting)
		for posting in ("2025-01-01", "2026-01-01"):
			make_sales_invoice(a, 1200, posting_date=posting)
		rebuild_customers([m, s, a])

		self.assertEqual(intervals(m), [("2025-01-01", "2025-12-31", 100)])
		self.assertEqual(intervals(s), [("2025-01-01", "2025-12-31", 100)])
		self.assertEqual(intervals(a), [("2025-01-01", "2026-12-31", 100)])

		# Q3 2025: 300 MRR at the start (June 30), the same 300 on September 30: GRR = NRR = 100 %.
		# (Comparing invoiced amounts in two windows gives Q2 = 300 (M only), Q3 = 300 + 600 = 900.)
		data, summary, _message = run_report(
			"Revenue Retention",
			company=company(),
			from_date="2025-07-01",
			to_date="2025-09-30",
			periodicity="Quarterly",
			customer_group=self.group,
		)
		self.assertEqual((data[0]["start_mrr"], data[0]["grr"], data[0]["nrr"]), (300, 100, 100))
		# Q1 2026: M and S stop at December 31 (no further invoices), A runs on: 300 -> 100, churned 200,
		# GRR = NRR = 100 / 300 = 33.33 %.
		data, summary, _message = run_report(
			"Revenue Retention",
			company=company(),
			from_date="2026-01-01",
			to_date="2026-03-31",
			periodicity="Quarterly",
			customer_group=self.group,
		)
		self.assertEqual((data[0]["start_mrr"], data[0]["churned"]), (300, 200))
		self.assertAlmostEqual(data[0]["grr"], 100 / 3)
		self.assertAlmostEqual(summary["Net Revenue Retention %"], 33.33)

		# MRR Movements, 2025-12 to 2026-01: December starts and ends at 300; January loses M and S
		# (churn 200 on 2026-01-01) and ends at 100, ARR 1,200.
		data, summary, _message = run_report(
			"MRR Movements",
			company=company(),
			from_date="2025-12-01",
			to_date="2026-01-31",
			customer_group=self.group,
		)
		self.assertEqual(
			[(r["month"], r["starting_mrr"], r["churn"], r["ending_mrr"]) for r in data],
			[
				("2025-12", 300, 0, 300),
				("2026-01", 300, 200, 100),
			],
		)
		self.assertEqual((summary["Ending MRR"], summary["ARR"]), (100, 1200))

	def test_rebuilding_twice_gives_the_same_rows(self):
		customer = self.customer("Idempotent")
		make_monthly_invoices(customer, 250, "2025-03-01", 4)
		rebuild_customers([customer])
		first = (intervals(customer), movements(customer), events(customer))
		rebuild_customers([customer])
		rebuild_customers([customer])
		self.assertEqual((intervals(customer), movements(customer), events(customer)), first)
		self.assertEqual(frappe.db.count("MRR Interval", {"customer": customer}), 1)


class TestUpgradesAndCancellations(LedgerTestCase):
	def test_mid_term_upgrade_and_downgrade(self):
		# U: contract Jan-Jun 2025 invoiced 600 (100 MRR), then Jul 2025-Jun 2026 invoiced 2,400 (200):
		# expansion 100 on 2025-07-01. D: 1,200 for Jan-Jun (200), then 1,200 for the next year (100):
		# contraction 100 on 2025-07-01. Both first terms are renewed (the next starts the next day).
		up, down = self.customer("Upgrade"), self.customer("Downgrade")
		for customer, first, second in ((up, 600, 2400), (down, 1200, 1200)):
			make_contract(customer, "2025-01-01", "2025-06-30")
			make_contract(customer, "2025-07-01", "2026-06-30")
			make_sales_invoice(customer, first, posting_date="2025-01-01")
			make_sales_invoice(customer, second, posting_date="2025-07-01")
		rebuild_customers([up, down])
		self.assertEqual(
			movements(up),
			[("2025-01-01", "New", 100), ("2025-07-01", "Expansion", 100), ("2026-07-01", "Churn", 200)],
		)
		self.assertEqual(
			movements(down),
			[("2025-01-01", "New", 200), ("2025-07-01", "Contraction", 100), ("2026-07-01", "Churn", 100)],
		)
		outcomes = frappe.get_all(
			"Agreement Renewal",
			filters={"customer": up},
			fields=["due_date", "outcome", "mrr"],
			order_by="due_date",
		)
		self.assertEqual(
			(str(outcomes[0].due_date), outcomes[0].outcome, outcomes[0].mrr), ("2025-06-30", "Renewed", 100)
		)

	def test_subscription_cancelled_with_only_a_cancellation_date(self):
		# 150 a month from 2025-01-01; ERPNext cancels with a cancelation_date and no end_date. MRR runs
		# to 2025-05-14, churn of 150 on 2025-05-15; the term is due and not renewed (Cancelled).
		customer = self.customer("Cancelled Sub")
		subscription = make_subscription(customer, "2025-01-01", cost=150)
		frappe.db.set_value(
			"Subscription", subscription.name, {"status": "Cancelled", "cancelation_date": "2025-05-15"}
		)
		rebuild_customers([customer])
		self.assertEqual(intervals(customer), [("2025-01-01", "2025-05-14", 150)])
		self.assertEqual(movements(customer), [("2025-01-01", "New", 150), ("2025-05-15", "Churn", 150)])
		renewal = frappe.get_value(
			"Agreement Renewal",
			{"customer": customer},
			["agreement", "due_date", "outcome", "mrr"],
			as_dict=True,
		)
		self.assertEqual(
			(renewal.agreement, str(renewal.due_date), renewal.outcome, renewal.mrr),
			(subscription.name, "2025-05-14", "Cancelled", 150),
		)

	def test_annual_subscription_is_normalised_to_a_month(self):
		# 2,400 a year for 2 seats: 4,800 / 12 = 400 MRR.
		customer = self.customer("Yearly Sub")
		make_subscription(customer, "2025-02-01", cost=2400, interval="Year", qty=2)
		rebuild_customers([customer])
		self.assertEqual(intervals(customer), [("2025-02-01", None, 400)])


class TestLifecycle(LedgerTestCase):
	def test_reactivation_and_acquired_and_lost_inside_a_period(self):
		# K pays 100 monthly through 2025. R pays Jan-Mar and Oct-Dec 2025: churned 2025-04-01,
		# reactivated 2025-10-01. L pays once, 2025-08-01 (one month): acquired and lost in Q3.
		k, r, lost = self.customer("Steady"), self.customer("Returns"), self.customer("Brief")
		make_monthly_invoices(k, 100, "2025-01-01", 12)
		make_monthly_invoices(r, 100, "2025-01-01", 3)
		make_monthly_invoices(r, 100, "2025-10-01", 3)
		make_sales_invoice(lost, 100, posting_date="2025-08-01")
		rebuild_customers([k, r, lost])
		self.assertEqual(
			events(r),
			[
				("2025-01-01", "Acquired"),
				("2025-04-01", "Churned"),
				("2025-10-01", "Reactivated"),
				("2026-01-01", "Churned"),
			],
		)
		data, _summary, _message = run_report(
			"Retention and Churn",
			from_date="2025-07-01",
			to_date="2025-12-31",
			periodicity="Quarterly",
			customer_group=self.group,
		)
		q3, q4 = data
		# Q3: S = {K}; N = {L}; E = {K}; L acquired and lost. (E - N) / S = 0 %; retained 100 %.
		self.assertEqual(
			(
				q3["start_customers"],
				q3["acquired"],
				q3["lost"],
				q3["acquired_and_lost"],
				q3["reactivated"],
				q3["end_customers"],
			),
			(1, 1, 0, 1, 0, 1),
		)
		self.assertEqual((q3["retention_rate"], q3["retained_rate"]), (0, 100))
		# Q4: S = {K}; R comes back; E = {K, R}: (2 - 0) / 1 = 200 %, retained 100 %.
		self.assertEqual((q4["start_customers"], q4["reactivated"], q4["end_customers"]), (1, 1, 2))
		self.assertEqual((q4["retention_rate"], q4["retained_rate"]), (200, 100))
		for row in (q3, q4):  # S - lost + N - acquired and lost + reactivated = E
			self.assertEqual(
				row["start_customers"]
				- row["lost"]
				+ row["acquired"]
				- row["acquired_and_lost"]
				+ row["reactivated"],
				row["end_customers"],
			)


class TestCreditNotesCurrenciesAndContracts(LedgerTestCase):
	def test_credit_note_reduces_the_period_it_refers_to(self):
		# Billed annually (set on the customer): 1,200 on 2025-01-01 is 100 MRR for 2025; a credit note
		# of 600 against it on 2025-03-01 halves the whole year: 50 MRR from 2025-01-01, not a dip in March.
		customer = self.customer("Credit Note", cs_billing_period="Annual")
		original = make_sales_invoice(customer, 1200, posting_date="2025-01-01")
		make_sales_invoice(customer, 600, posting_date="2025-03-01", return_against=original.name)
		rebuild_customers([customer])
		self.assertEqual(intervals(customer), [("2025-01-01", "2025-12-31", 50)])
		self.assertEqual(movements(customer), [("2025-01-01", "New", 50), ("2026-01-01", "Churn", 50)])

	def test_second_currency_and_second_company(self):
		# 1,000 EUR a month invoiced by the USD company at 1.1 USD/EUR: 1,100 USD MRR (base amounts).
		customer = self.customer("Currencies")
		make_monthly_invoices(
			customer,
			1000,
			"2025-01-01",
			3,
			currency="EUR",
			conversion_rate=1.1,
			debit_to=receivable_in("EUR"),
		)
		other = second_company()
		make_monthly_invoices(
			customer, 500, "2025-01-01", 3, company_name=other, currency="EUR", conversion_rate=1
		)
		rebuild_customers([customer])
		self.assertEqual(intervals(customer), [("2025-01-01", "2025-03-31", 1100)])
		self.assertEqual(intervals(customer, other), [("2025-01-01", "2025-03-31", 500)])
		# Per company, never added up across currencies.
		data, _summary, _message = run_report(
			"MRR Movements",
			company=other,
			from_date="2025-01-01",
			to_date="2025-01-31",
			customer_group=self.group,
		)
		self.assertEqual((data[0]["new"], data[0]["ending_mrr"]), (500, 500))

	def test_draft_and_unsigned_contracts_never_count(self):
		# A draft and an unsigned (submitted) contract with values: nothing at all. A signed one worth
		# 12,000 for 2025 with no invoices: 1,000 MRR and a renewal term.
		draft, unsigned, signed = self.customer("Draft"), self.customer("Unsigned"), self.customer("Signed")
		make_contract(draft, "2025-01-01", "2025-12-31", value=12000, submit=False)
		make_contract(unsigned, "2025-01-01", "2025-12-31", signed=False, value=12000)
		make_contract(signed, "2025-01-01", "2025-12-31", value=12000)
		rebuild_customers([draft, unsigned, signed])
		for customer in (draft, unsigned):
			for doctype in ("MRR Interval", "Customer Active Span", "Agreement Renewal"):
				self.assertEqual(frappe.db.count(doctype, {"customer": customer}), 0, doctype)
		self.assertEqual(intervals(signed), [("2025-01-01", "2025-12-31", 1000)])
		self.assertEqual(
			frappe.db.get_value("Agreement Renewal", {"customer": signed}, "outcome"), "Not Renewed"
		)


class TestRenameAndMerge(LedgerTestCase):
	def test_rename_and_merge_keep_the_ledger(self):
		# X pays 100 monthly Jan-Mar 2025, Y pays 200 monthly Apr-Jun 2025. Renamed, X keeps its rows;
		# merged into Y, the one customer has 100 Jan-Mar then 200 Apr-Jun: one span, expansion 100.
		x, y = self.customer("Rename X"), self.customer("Merge Y")
		make_monthly_invoices(x, 100, "2025-01-01", 3)
		make_monthly_invoices(y, 200, "2025-04-01", 3)
		rebuild_customers([x, y])
		renamed = f"{x} Renamed"
		frappe.rename_doc("Customer", x, renamed, force=True)
		self.assertEqual(intervals(renamed), [("2025-01-01", "2025-03-31", 100)])
		frappe.rename_doc("Customer", renamed, y, merge=True, force=True)
		rebuild_customers([y])
		self.assertEqual(intervals(y), [("2025-01-01", "2025-03-31", 100), ("2025-04-01", "2025-06-30", 200)])
		self.assertEqual(events(y), [("2025-01-01", "Acquired"), ("2025-07-01", "Churned")])
		self.assertEqual(frappe.db.count("MRR Interval", {"customer": renamed}), 0)


def receivable_in(currency: str) -> str:
	"""A receivable account of the test company in another currency (ERPNext bills a currency from an
	account in that currency)."""
	abbr = frappe.get_cached_value("Company", company(), "abbr")
	name = f"_CS Debtors {currency} - {abbr}"
	if not frappe.db.exists("Account", name):
		parent = frappe.db.get_value(
			"Account", {"company": company(), "account_type": "Receivable", "is_group": 0}, "parent_account"
		)
		frappe.get_doc(
			{
				"doctype": "Account",
				"account_name": f"_CS Debtors {currency}",
				"company": company(),
				"parent_account": parent,
				"account_type": "Receivable",
				"account_currency": currency,
			}
		).insert(ignore_permissions=True)
	return name


def second_company() -> str:
	"""A company in another currency, made once per site."""
	name = "_CS Test Company EUR"
	if not frappe.db.exists("Company", name):
		frappe.get_doc(
			{
				"doctype": "Company",
				"company_name": name,
				"abbr": "CSEUR",
				"default_currency": "EUR",
				"country": "Germany",
				"create_chart_of_accounts_based_on": "Standard Template",
				"chart_of_accounts": "Standard",
			}
		).insert(ignore_permissions=True)
	# The site's price lists are in USD: an invoice of the EUR company converts their rates.
	if not frappe.db.exists("Currency Exchange", {"from_currency": "USD", "to_currency": "EUR"}):
		frappe.get_doc(
			{
				"doctype": "Currency Exchange",
				"date": "2020-01-01",
				"from_currency": "USD",
				"to_currency": "EUR",
				"exchange_rate": 0.9,
				"for_selling": 1,
			}
		).insert(ignore_permissions=True)
	return name
