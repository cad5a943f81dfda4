"""Tier 2: what the Customer Success workspace shows first. MRR, ARR and last quarter's NRR from the
revenue ledger, only to users who may read Sales Invoices; a count of 0 customers at risk is not red; the
band donut has a legend row for every band; report summaries show percentages with two decimals."""

import json

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_months, fmt_money, get_first_day, getdate, today

from cs_success.analytics import BANDS, column, summary
from cs_success.api.dashboard import (
	NO_DATA_SHOWN,
	arr_now,
	customers_at_risk,
	last_full_quarter,
	mrr_now,
	nrr_last_quarter,
)
from cs_success.base.permissions import may_see_revenue
from cs_success.cs_success.report.at_risk_customers.at_risk_customers import get_summary as at_risk
from cs_success.cs_success.report.revenue_retention.revenue_retention import execute as revenue_retention
from cs_success.cs_success.report.success_plan_progress.success_plan_progress import get_summary as plans
from cs_success.cs_success.report.survey_score_trend.survey_score_trend import get_summary as survey_trend
from cs_success.cs_success.report.touchpoint_coverage.touchpoint_coverage import get_summary as coverage
from cs_success.ledger.queries import revenue_retention_over, total_mrr_on
from cs_success.tests.utils import (
	company,
	make_customer,
	make_customer_group,
	make_sales_invoice,
	make_user,
	reset_health_queue,
	restrict_user,
	run_pending_recomputes,
)

# The planted book (plant_revenue), with Q the last full quarter before today. Invoices are posted on the
# 1st of each month and each pays its month.
#   steady:      1,000 a month from 3 months before Q to this month
#   churned:     1,000 a month from 3 months before Q to Q's first month, then nothing
#   expanding:     500 a month up to the month before Q, then 800 from Q's first month to this month
#   contracting: 1,000 a month up to the month before Q, then 600 from Q's first month to this month
#   new:         2,000 a month from Q's second month to this month (acquired within Q)
# The day before Q: steady 1,000 + churned 1,000 + expanding 500 + contracting 1,000 = 3,500 (new: none).
# Q's last day: 1,000 + 0 + 800 + 600 (+ new 2,000, not in NRR): expansion 300, contraction 400,
# churned 1,000. NRR = (3,500 + 300 - 400 - 1,000) / 3,500 = 2,400 / 3,500 = 68.5714... % -> 68.57 %.
# GRR = (3,500 - 1,000 - 400) / 3,500 = 60 %.
# Today: 1,000 + 800 + 600 + 2,000 = 4,400 MRR; ARR = 12 x 4,400 = 52,800.
PLANTED_START_MRR = 3500
PLANTED_NRR = 68.57
PLANTED_MRR_NOW = 4400
PLANTED_ARR_NOW = 52800


def _monthly(customer: str, amount: float, first, last) -> list[str]:
	"""Invoices of `amount` on the 1st of every month from `first` to `last` (both months included)."""
	names, month = [], getdate(get_first_day(first))
	while month <= getdate(last):
		names.append(make_sales_invoice(customer, amount, posting_date=month).name)
		month = getdate(add_months(month, 1))
	return names


def plant_revenue(group: str) -> tuple[list[str], list[str]]:
	"""The book above, in customer group `group`; returns (customers, invoices)."""
	start, _end = last_full_quarter()
	before, this_month = getdate(add_months(start, -3)), getdate(get_first_day(today()))
	customers = {
		label: make_customer(f"First Screen {label}", customer_group=group)
		for label in ("Steady", "Churned", "Expanding", "Contracting", "New")
	}
	invoices = [
		*_monthly(customers["Steady"], 1000, before, this_month),
		*_monthly(customers["Churned"], 1000, before, start),
		*_monthly(customers["Expanding"], 500, before, add_months(start, -1)),
		*_monthly(customers["Expanding"], 800, start, this_month),
		*_monthly(customers["Contracting"], 1000, before, add_months(start, -1)),
		*_monthly(customers["Contracting"], 600, start, this_month),
		*_monthly(customers["New"], 2000, add_months(start, 1), this_month),
	]
	return list(customers.values()), invoices


def revenue_user(group: str, *roles: str) -> str:
	"""A user who sees only the customers of `group` (so other data on the site stays out of the cards)."""
	user = make_user("CS Manager", *roles)
	restrict_user(user, "Customer Group", group)
	return user


class FirstScreenTestCase(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()

	def tearDown(self):
		frappe.set_user("Administrator")


class TestRevenueCards(FirstScreenTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		reset_health_queue()
		cls.group = make_customer_group("First Screen")
		cls.customers, _invoices = plant_revenue(cls.group)
		run_pending_recomputes()  # what a commit does: the drain builds the customers' ledgers

	def test_the_ledger_readers_give_the_hand_computed_figures(self):
		start, end = last_full_quarter()
		result = revenue_retention_over(company(), start, end, self.customers)
		self.assertEqual(
			(result.start, result.expansion, result.contraction, result.churned), (3500, 300, 400, 1000)
		)
		self.assertAlmostEqual(result.nrr, 2400 / 3500 * 100)
		self.assertAlmostEqual(result.grr, 60)
		self.assertEqual(total_mrr_on(company(), today(), self.customers), PLANTED_MRR_NOW)

	def test_cards_show_mrr_arr_and_nrr_to_a_user_who_may_read_sales_invoices(self):
		frappe.set_user(revenue_user(self.group, "Accounts User"))
		self.assertTrue(may_see_revenue())
		currency = frappe.get_cached_value("Company", company(), "default_currency")
		self.assertEqual(mrr_now(), fmt_money(PLANTED_MRR_NOW, currency=currency))
		self.assertEqual(arr_now(), fmt_money(PLANTED_ARR_NOW, currency=currency))
		nrr = nrr_last_quarter()
		self.assertEqual((nrr["value"], nrr["fieldtype"]), (PLANTED_NRR, "Percent"))
		self.assertEqual(nrr["precision"], 2)  # "68.57%", as the report's summary shows it

	def test_nrr_card_is_the_revenue_retention_reports_figure(self):
		start, end = last_full_quarter()
		_columns, data, _message, _chart, summary_items = revenue_retention(
			{
				"company": company(),
				"from_date": start,
				"to_date": end,
				"periodicity": "Quarterly",
				"customer_group": self.group,
			}
		)
		(row,) = data
		self.assertEqual(row["start_mrr"], PLANTED_START_MRR)
		self.assertAlmostEqual(row["nrr"], 2400 / 3500 * 100)
		frappe.set_user(revenue_user(self.group, "Accounts User"))
		self.assertEqual(nrr_last_quarter()["value"], round(row["nrr"], 2))
		shown = next(item for item in summary_items if item["label"] == "Net Revenue Retention %")
		self.assertEqual((shown["value"], shown["precision"]), (PLANTED_NRR, 2))

	def test_mrr_is_empty_when_none_of_the_users_customers_ever_paid(self):
		group = make_customer_group("First Screen Unbilled")
		make_customer("First Screen Unbilled", customer_group=group)
		frappe.set_user(revenue_user(group, "Accounts User"))
		self.assertEqual((mrr_now(), arr_now(), nrr_last_quarter()), (NO_DATA_SHOWN,) * 3)

	def test_a_user_without_sales_invoice_read_gets_empty_cards_never_zero(self):
		frappe.set_user(revenue_user(self.group))  # a CS Manager only
		self.assertFalse(may_see_revenue())
		self.assertEqual((mrr_now(), arr_now(), nrr_last_quarter()), (NO_DATA_SHOWN,) * 3)

	def test_nrr_is_empty_when_nobody_had_mrr_at_the_quarters_start(self):
		# A group whose only customer started paying within the quarter: nothing to retain, so "-",
		# not 0 % (nor 100 %).
		group = make_customer_group("First Screen New Only")
		start, _end = last_full_quarter()
		_monthly(make_customer("First Screen Late", customer_group=group), 700, add_months(start, 1), today())
		run_pending_recomputes()
		frappe.set_user(revenue_user(group, "Accounts User"))
		self.assertEqual(nrr_last_quarter(), NO_DATA_SHOWN)
		currency = frappe.get_cached_value("Company", company(), "default_currency")
		self.assertEqual(mrr_now(), fmt_money(700, currency=currency))


class TestLastFullQuarter(FrappeTestCase):
	def test_quarters(self):
		self.assertEqual(last_full_quarter("2026-12-06"), (getdate("2026-07-01"), getdate("2026-09-30")))
		self.assertEqual(last_full_quarter("2026-10-01"), (getdate("2026-07-01"), getdate("2026-09-30")))
		self.assertEqual(last_full_quarter("2026-02-15"), (getdate("2025-10-01"), getdate("2025-12-31")))
		self.assertEqual(last_full_quarter("2026-03-31"), (getdate("2025-10-01"), getdate("2025-12-31")))


class TestAtRiskCard(FirstScreenTestCase):
	def test_no_customer_at_risk_is_a_plain_zero_not_red(self):
		group = make_customer_group("First Screen Healthy")
		customer = make_customer("First Screen Healthy", customer_group=group)
		run_pending_recomputes()
		frappe.db.set_value("Customer Health", customer, {"score": 90, "band": "Healthy"})
		frappe.set_user(revenue_user(group))
		# One customer scored, none at risk: a real 0, shown without the alarm colour.
		self.assertEqual(customers_at_risk(), {"value": 0, "fieldtype": "Int", "precision": "0"})
		self.assertFalse(frappe.db.get_value("Number Card", "Customers at Risk", "color"))
		self.assertFalse(frappe.db.get_value("Number Card", "Customers at Risk", "background_color"))

		frappe.set_user("Administrator")
		frappe.db.set_value("Customer Health", customer, {"score": 40, "band": "Critical"})
		frappe.set_user(revenue_user(group))
		self.assertEqual(customers_at_risk()["value"], 1)


class TestWorkspaceLayout(FrappeTestCase):
	def test_revenue_cards_lead_beside_average_health(self):
		workspace = frappe.get_doc("Workspace", "Customer Success")
		blocks = json.loads(workspace.content)
		cards = [b["data"]["number_card_name"] for b in blocks if b["type"] == "number_card"]
		self.assertEqual(cards[:4], ["MRR Now", "ARR Now", "NRR Last Quarter", "Average Customer Health"])
		self.assertEqual(set(cards), {c.number_card_name for c in workspace.number_cards})
		for card in ("MRR Now", "ARR Now", "NRR Last Quarter"):
			doc = frappe.get_doc("Number Card", card)
			# Shown to everyone who sees the health cards; the method decides whether it has a figure.
			self.assertEqual((doc.type, doc.document_type), ("Custom", "Customer Health"))
		# 104.04 % must not be shortened to "104.00%" by the card's number abbreviation.
		self.assertTrue(frappe.db.get_value("Number Card", "NRR Last Quarter", "show_full_number"))

	def test_band_donut_is_wide_enough_for_a_legend_entry_per_band(self):
		"""Frappe Charts lays a legend entry every 150 px and draws only the first legend row: at half width
		the donut labelled three of its six bands, so a grey Churned slice had no legend entry. At full
		width all six fit in one row (the browser test checks what is drawn)."""
		blocks = json.loads(frappe.get_doc("Workspace", "Customer Success").content)
		donut = next(
			b
			for b in blocks
			if b["type"] == "chart" and b["data"]["chart_name"] == "Customers by Health Band"
		)
		self.assertEqual(donut["data"]["col"], 12)
		chart = frappe.get_doc("Dashboard Chart", "Customers by Health Band")
		self.assertEqual(len(json.loads(chart.custom_options)["colors"]), len(BANDS))


class TestSummaryPercentages(FrappeTestCase):
	def test_percent_summaries_carry_two_decimals_unless_told(self):
		# Frappe would format 4.04 with the site's float precision (3): "4.040%".
		self.assertEqual(summary(4.04, "Churn %", "Percent")["precision"], 2)
		self.assertEqual(summary(45.5, "Average Progress", "Percent", precision=1)["precision"], 1)
		self.assertNotIn("precision", summary(3, "Lost", "Int"))
		self.assertNotIn("precision", summary(0.712, "AUC", "Float"))

	def test_percent_columns_carry_two_decimals_unless_told(self):
		self.assertEqual(column("nrr", "NRR %", "Percent")["precision"], 2)
		self.assertEqual(column("month_1", "Month 1", "Percent", precision=1)["precision"], 1)
		self.assertNotIn("precision", column("score", "Score", "Float"))

	def test_a_zero_count_carries_no_colour(self):
		self.assertNotIn("indicator", summary(0, "Lost", "Int", "Red"))
		self.assertEqual(summary(3, "Lost", "Int", "Red")["indicator"], "Red")
		# Only counts: a rate of 0 % keeps the colour its report gives it.
		self.assertEqual(summary(0.0, "GRR", "Percent", "Red")["indicator"], "Red")


def by_label(items: list[dict]) -> dict:
	return {item["label"]: item for item in items}


class TestEmptySummaries(FrappeTestCase):
	"""No data is shown empty (None, which Frappe's Float and Percent formatters show as ""), never as 0,
	and a zero count carries no colour."""

	def test_no_rows_means_no_figure(self):
		self.assertIsNone(by_label(at_risk([]))[frappe._("Average Score")]["value"])
		for band in ("At Risk", "Critical"):
			self.assertNotIn("indicator", by_label(at_risk([]))[frappe._(band)])
		plan_items = by_label(plans([]))
		self.assertIsNone(plan_items[frappe._("Average Progress")]["value"])
		self.assertEqual(plan_items[frappe._("Overdue Items")]["value"], 0)
		self.assertNotIn("indicator", plan_items[frappe._("Overdue Items")])
		for item in survey_trend([]):
			self.assertIsNone(item["value"], item["label"])
		coverage_items = coverage([], [], 90)
		self.assertIsNone(coverage_items[2]["value"])
		for item in coverage_items[:2]:
			self.assertEqual(item["value"], 0)
			self.assertNotIn("indicator", item)

	def test_rows_still_give_figures(self):
		# Scores 40 and 51: average 45.5.
		rows = [{"score": 40, "band": "At Risk"}, {"score": 51, "band": "At Risk"}]
		average = by_label(at_risk(rows))[frappe._("Average Score")]
		self.assertEqual(average["value"], 45.5)
		# Three customers, one untouched: 2 touched (green), 1 not (red), 66.7 % covered.
		items = coverage(["A", "B", "C"], ["C"], 90)
		self.assertEqual([i["value"] for i in items], [2, 1, 66.7])
		self.assertEqual([i.get("indicator") for i in items[:2]], ["Green", "Red"])
