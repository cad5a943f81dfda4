"""Tier 2: a generated subscription history whose true figures are known, loaded as real ERPNext
documents (one signed Contract and one submitted Sales Invoice per billing term, as a business that
bills per term has them), against the reports. Monthly, six-monthly and annual plans, upgrades and
downgrades at renewal, plan switches and churn; the truth is worked out here day by day from the terms,
independently of the ledger's code."""

import random
from datetime import date, timedelta

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_months, getdate

from cs_success.ledger.build import ledger_settings
from cs_success.tests.utils import (
	company,
	make_contract,
	make_customer,
	make_customer_group,
	make_sales_invoice,
	reset_health_queue,
	run_pending_recomputes,
)

QUARTERS = [
	(date(2025, m, 1), add_months(date(2025, m, 1), 3) - timedelta(days=1)) for m in (1, 4, 7, 10)
] + [(date(2026, m, 1), add_months(date(2026, m, 1), 3) - timedelta(days=1)) for m in (1, 4, 7)]


def generate_terms(seed: int, customers: int) -> dict[int, list[tuple[date, date, float]]]:
	"""customer index -> [(start, last day, MRR)], contiguous terms until churn or today."""
	rng = random.Random(seed)
	today = getdate()
	history = {}
	for index in range(customers):
		months = rng.choice((1, 6, 6, 12, 12))
		price = rng.choice((100, 150, 200, 300))
		start = date(2024, 7, 1) + timedelta(days=rng.randrange(0, 540))
		terms = []
		while start <= today and len(terms) < 30:
			end = getdate(add_months(start, months)) - timedelta(days=1)
			terms.append((start, end, float(price)))
			roll = rng.random()
			if roll < 0.12:
				break  # churns at the end of this term
			if roll < 0.22:
				price = round(price * 1.5)  # upgrade at renewal
			elif roll < 0.30:
				price = round(price * 0.7)  # downgrade at renewal
			elif roll < 0.35:
				months = rng.choice((1, 6, 12))  # switches plan period
			start = end + timedelta(days=1)
		history[index] = terms
	return history


def truth(history: dict, names: dict) -> dict:
	"""Per quarter: S, N, lost, E, GRR and NRR %, and renewals due / renewed by count and by MRR."""

	def mrr(terms, day):
		return sum(p for s, e, p in terms if s <= day <= e)

	figures = {}
	renewal_window = ledger_settings().renewal_grace_days
	for start, end in QUARTERS:
		before = start - timedelta(days=1)
		at_start = {i for i, t in history.items() if mrr(t, before)}
		at_end = {i for i, t in history.items() if mrr(t, end)}
		new = {i for i, t in history.items() if t and start <= t[0][0] <= end}
		start_mrr = sum(mrr(history[i], before) for i in at_start)
		end_mrr = {i: mrr(history[i], end) for i in at_start}
		due = renewed = due_value = renewed_value = 0
		for _i, terms in history.items():
			for k, (_s, e, p) in enumerate(terms):
				if start <= e <= end and e + timedelta(days=1 + renewal_window) <= getdate():
					due += 1
					due_value += p
					if k + 1 < len(terms):
						renewed += 1
						renewed_value += p
		figures[(start, end)] = {
			"S": len(at_start),
			"N": len(new),
			"lost": len(at_start - at_end),
			"E": len(at_end),
			"GRR": 100 * sum(min(end_mrr[i], mrr(history[i], before)) for i in at_start) / start_mrr
			if start_mrr
			else None,
			"NRR": 100 * sum(end_mrr.values()) / start_mrr if start_mrr else None,
			"renewal_count": 100 * renewed / due if due else None,
			"renewal_value": 100 * renewed_value / due_value if due_value else None,
		}
	return figures


class TestLedgerAgainstKnownTruth(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()

	def test_quarterly_figures_match_the_truth(self):
		for seed in (7, 11):
			with self.subTest(seed=seed):
				self.check_history(seed)

	def check_history(self, seed: int):
		group = make_customer_group(f"Truth {seed}")
		history = generate_terms(seed=seed, customers=36)
		names = {}
		for index, terms in history.items():
			names[index] = make_customer(f"Truth {index}", customer_group=group)
			for start, end, price in terms:
				make_contract(names[index], start, end)
				months = round((end - start).days / 30.4375)
				make_sales_invoice(names[index], price * months, posting_date=start)
		run_pending_recomputes()  # the drain builds the ledger of every customer the commit touched
		expected = truth(history, names)
		# The history is not trivial: customers leave, arrive and change their MRR within the quarters.
		self.assertGreater(sum(want["lost"] for want in expected.values()), 3)
		self.assertGreater(sum(want["N"] for want in expected.values()), 3)
		self.assertTrue(any(want["NRR"] and want["NRR"] > want["GRR"] for want in expected.values()))

		common = {"customer_group": group, "company": company()}
		for (start, end), want in expected.items():
			with self.subTest(quarter=str(start)):
				retention = run(
					"Retention and Churn", from_date=start, to_date=end, periodicity="Quarterly", **common
				)[0][0]
				self.assertEqual(
					(
						retention["start_customers"],
						retention["acquired"],
						retention["lost"],
						retention["end_customers"],
					),
					(want["S"], want["N"], want["lost"], want["E"]),
				)
				revenue = run(
					"Revenue Retention", from_date=start, to_date=end, periodicity="Quarterly", **common
				)[0][0]
				for key, column in (("GRR", "grr"), ("NRR", "nrr")):
					if want[key] is None:
						self.assertIsNone(revenue[column])
					else:
						self.assertAlmostEqual(revenue[column], want[key], delta=0.1, msg=key)
				_data, summary = run("Renewal Rate", from_date=start, to_date=end, **common)
				for key, label in (
					("renewal_count", "Renewal Rate by Count"),
					("renewal_value", "Renewal Rate by Value"),
				):
					if want[key] is not None:
						self.assertAlmostEqual(summary[label], want[key], delta=0.1, msg=key)


def run(report: str, **filters):
	module = frappe.scrub(report)
	execute = frappe.get_attr(f"cs_success.cs_success.report.{module}.{module}.execute")
	result = execute(frappe._dict(filters))
	summary = {item["label"]: item["value"] for item in (result[4] if len(result) > 4 else []) or []}
	return result[1], summary
