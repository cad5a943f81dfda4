"""What the revenue ledger reads: invoices, contracts and subscriptions, set-based, as engine inputs.

Raw SQL with `%(name)s` parameters: a full rebuild reads every invoice line of the site in one pass
per table (BENCHMARKS.md); the same queries serve one customer or all of them."""

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

import frappe
from frappe.utils import flt

from cs_success.engine.ledger import (
	BILLING_PERIODS,
	CONTRACT,
	SUBSCRIPTION,
	Agreement,
	CompanyBooks,
	InvoiceLine,
	SubscriptionTerms,
)


def _customer_condition(column: str, customers: Sequence[str] | None) -> str:
	return f" AND {column} IN %(customers)s" if customers is not None else ""


def invoice_lines(customers: Sequence[str] | None, excluded_item_groups: Sequence[str]) -> dict:
	"""(customer, company) -> [InvoiceLine]: submitted Sales Invoice items in company currency, net of
	discounts, returns negative. Invoices a Subscription made are left out (the subscription is the
	revenue), and so are items of one-off item groups."""
	rows = frappe.db.sql(
		f"""
		SELECT si.customer, si.company, si.name, CAST(si.posting_date AS CHAR), item.base_net_amount,
			CAST(item.service_start_date AS CHAR), CAST(item.service_end_date AS CHAR),
			CAST(si.from_date AS CHAR), CAST(si.to_date AS CHAR), si.return_against
		FROM `tabSales Invoice Item` item
		JOIN `tabSales Invoice` si ON si.name = item.parent
		WHERE si.docstatus = 1 AND IFNULL(si.subscription, '') = ''
			{" AND IFNULL(item.item_group, '') NOT IN %(excluded)s" if excluded_item_groups else ""}
			{_customer_condition("si.customer", customers)}
		""",
		{"customers": tuple(customers or ()) or ("",), "excluded": tuple(excluded_item_groups) or ("",)},
		as_list=True,
	)
	lines = defaultdict(list)
	day = _Days()
	for (
		customer,
		company,
		name,
		posting,
		amount,
		service_start,
		service_end,
		from_date,
		to_date,
		against,
	) in rows:
		lines[(customer, company)].append(
			InvoiceLine(
				name,
				day[posting],
				flt(amount),
				day[service_start],
				day[service_end],
				against,
				day[from_date],
				day[to_date],
			)
		)
	return lines


class _Days(dict):
	"""ISO text -> date, parsed once per distinct day. Dates are read as text: pymysql parses every DATE
	value in Python, a large part of reading a million invoice lines (BENCHMARKS.md, benchmark 6)."""

	def __missing__(self, text: str | None) -> date | None:
		value = self[text] = date.fromisoformat(text) if text else None
		return value


def contracts(customers: Sequence[str] | None) -> dict:
	"""customer -> [Agreement]: submitted, signed Contracts. Drafts, unsigned and cancelled contracts
	never count."""
	rows = frappe.db.sql(
		f"""
		SELECT party_name, name, start_date, end_date, cs_contract_value
		FROM `tabContract`
		WHERE party_type = 'Customer' AND docstatus = 1 AND is_signed = 1 AND start_date IS NOT NULL
			{_customer_condition("party_name", customers)}
		""",
		{"customers": tuple(customers or ()) or ("",)},
		as_list=True,
	)
	agreements = defaultdict(list)
	for customer, name, start, end, value in rows:
		agreements[customer].append(Agreement(name, CONTRACT, start, end, None, flt(value) or None))
	return agreements


def subscriptions(customers: Sequence[str] | None, default_company: str) -> dict:
	"""(customer, company) -> ([SubscriptionTerms], [Agreement]): plan cost x quantity per billing
	interval in company currency, less the subscription's discount percentage."""
	subs = frappe.db.sql(
		f"""
		SELECT name, party, IFNULL(company, %(default_company)s), start_date, end_date, cancelation_date,
			trial_period_end, IFNULL(additional_discount_percentage, 0)
		FROM `tabSubscription`
		WHERE party_type = 'Customer' AND start_date IS NOT NULL {_customer_condition("party", customers)}
		""",
		{"customers": tuple(customers or ()) or ("",), "default_company": default_company},
		as_list=True,
	)
	if not subs:
		return {}
	plans = defaultdict(list)
	for parent, qty, amount, currency, interval, count in _plan_rows([row[0] for row in subs]):
		plans[parent].append((qty, amount, currency, interval, count))
	by_key = defaultdict(lambda: ([], []))
	rates = _ExchangeRates()
	for name, customer, company, start, end, cancelled_on, trial_end, discount in subs:
		company_currency = _company_currency(company)
		plan_amounts = tuple(
			(
				flt(qty or 1)
				* flt(amount)
				* rates.get(currency, company_currency)
				* (1 - flt(discount) / 100),
				interval or "Month",
				int(count or 1),
			)
			for qty, amount, currency, interval, count in plans.get(name, ())
		)
		terms, agreements = by_key[(customer, company)]
		terms.append(SubscriptionTerms(name, start, trial_end, end, cancelled_on, plan_amounts))
		agreements.append(Agreement(name, SUBSCRIPTION, start, end, cancelled_on))
	return by_key


# A Subscription Plan's price (over `plan`): a fixed rate, or the plan item's rate on its price list.
PLAN_PRICE = """CASE WHEN plan.price_determination = 'Based On Price List'
	THEN (SELECT price.price_list_rate FROM `tabItem Price` price
		WHERE price.item_code = plan.item AND price.price_list = plan.price_list AND price.selling = 1
		ORDER BY price.valid_from DESC LIMIT 1)
	ELSE plan.cost END"""


def _plan_rows(subscription_names: list[str]) -> list[tuple]:
	"""Plan lines with their price."""
	rows = frappe.db.sql(
		f"""
		SELECT detail.parent, detail.qty, {PLAN_PRICE},
			IFNULL(plan.currency, ''), plan.billing_interval, plan.billing_interval_count
		FROM `tabSubscription Plan Detail` detail
		JOIN `tabSubscription Plan` plan ON plan.name = detail.plan
		WHERE detail.parenttype = 'Subscription' AND detail.parent IN %(subscriptions)s
		""",
		{"subscriptions": tuple(subscription_names)},
		as_list=True,
	)
	return rows


def subscription_plans() -> list[tuple]:
	"""(plan, item, item group, price, currency, billing interval, interval count) of every plan."""
	return frappe.db.sql(
		f"""
		SELECT plan.name, plan.item, IFNULL(item.item_group, ''), {PLAN_PRICE}, IFNULL(plan.currency, ''),
			plan.billing_interval, plan.billing_interval_count
		FROM `tabSubscription Plan` plan
		LEFT JOIN `tabItem` item ON item.name = plan.item
		""",
		as_list=True,
	)


def plan_seats_on(day: date, customers: Sequence[str]) -> list[tuple]:
	"""(customer, plan, quantity) of the plan lines of the subscriptions running on `day`."""
	return frappe.db.sql(
		"""
		SELECT sub.party, detail.plan, detail.qty
		FROM `tabSubscription` sub
		JOIN `tabSubscription Plan Detail` detail ON detail.parent = sub.name AND detail.parenttype = 'Subscription'
		WHERE sub.party_type = 'Customer' AND sub.party IN %(customers)s AND sub.start_date <= %(day)s
			AND (sub.end_date IS NULL OR sub.end_date >= %(day)s)
			AND (sub.cancelation_date IS NULL OR sub.cancelation_date > %(day)s)
		""",
		{"customers": tuple(customers) or ("",), "day": day},
	)


def item_group_spend(first: date, last: date, excluded_item_groups: Sequence[str]) -> list[tuple]:
	"""(customer, customer group, territory, item group, net amount in company currency) of the submitted
	invoices posted from `first` to `last`, returns netted, one-off item groups left out."""
	return frappe.db.sql(
		f"""
		SELECT si.customer, IFNULL(c.customer_group, ''), IFNULL(c.territory, ''), item.item_group,
			SUM(item.base_net_amount)
		FROM `tabSales Invoice Item` item
		JOIN `tabSales Invoice` si ON si.name = item.parent
		JOIN `tabCustomer` c ON c.name = si.customer
		WHERE si.docstatus = 1 AND si.posting_date BETWEEN %(first)s AND %(last)s
			AND IFNULL(item.item_group, '') != ''
			{" AND item.item_group NOT IN %(excluded)s" if excluded_item_groups else ""}
		GROUP BY si.customer, c.customer_group, c.territory, item.item_group
		""",
		{"first": first, "last": last, "excluded": tuple(excluded_item_groups) or ("",)},
	)


def _company_currency(company: str) -> str:
	return frappe.get_cached_value("Company", company, "default_currency")


class _ExchangeRates:
	"""Plan currency to company currency, today's rate, asked once per pair."""

	def __init__(self):
		self.rates = {}

	def get(self, currency: str, company_currency: str) -> float:
		if not currency or currency == company_currency:
			return 1.0
		if (currency, company_currency) not in self.rates:
			from erpnext.setup.utils import get_exchange_rate

			self.rates[(currency, company_currency)] = (
				flt(get_exchange_rate(currency, company_currency)) or 1.0
			)
		return self.rates[(currency, company_currency)]


def billing_period_overrides(customers: Sequence[str] | None) -> dict[str, int]:
	"""customer -> months, where the Customer says how it is billed."""
	rows = frappe.db.sql(
		f"""SELECT name, cs_billing_period FROM `tabCustomer`
		WHERE IFNULL(cs_billing_period, '') != '' {_customer_condition("name", customers)}""",
		{"customers": tuple(customers or ()) or ("",)},
	)
	return {name: BILLING_PERIODS[period] for name, period in rows if period in BILLING_PERIODS}


def customer_books_inputs(customers: Sequence[str] | None, excluded_item_groups, default_company: str):
	"""customer -> ({company: CompanyBooks}, [contract Agreement]), for every customer with anything."""
	lines = invoice_lines(customers, excluded_item_groups)
	subs = subscriptions(customers, default_company)
	agreements = contracts(customers)
	by_customer = defaultdict(dict)
	for (customer, company), customer_lines in lines.items():
		by_customer[customer][company] = CompanyBooks(customer_lines)
	for (customer, company), (terms, sub_agreements) in subs.items():
		existing = by_customer[customer].get(company) or CompanyBooks()
		by_customer[customer][company] = CompanyBooks(existing.lines, terms, sub_agreements)
	for customer in agreements:
		by_customer.setdefault(customer, {})
	return {customer: (books, agreements.get(customer, [])) for customer, books in by_customer.items()}
