# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

"""Advocacy per advocate (the customer asked): its asks by type and outcome, the people it referred, the
customers made from them and their New MRR from the revenue ledger (referred revenue, credited to the
first advocate who referred a Lead). Referred MRR only for users who may read Sales Invoices."""

from collections import Counter

import frappe
from frappe import _

from cs_success.analytics import check_report_range, column, customer_attributes, interactive_report, summary
from cs_success.base.permissions import may_see_revenue, segment_customers
from cs_success.base.text import as_text
from cs_success.growth.advocacy import AGREED, ASK_TYPES, DONE, STATUSES, referrals, referred_revenue
from cs_success.ledger_reports import (
	CURRENCY_FIELD,
	company_currency,
	currency_column,
	money_column,
	money_summary,
	report_company,
)

TYPE_FIELDS = {ask_type: f"type_{frappe.scrub(ask_type)}" for ask_type in ASK_TYPES}
STATUS_FIELDS = {status: f"status_{frappe.scrub(status)}" for status in STATUSES}
# At most this many names in a cell; the count beside it says how many there are.
MAX_NAMES = 5


@interactive_report("Advocacy")
@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	check_report_range(filters.from_date, filters.to_date)
	company = report_company(filters)
	show_money = may_see_revenue()
	data, asked = get_data(filters, company, show_money)
	return (
		get_columns(show_money),
		data,
		get_message(show_money),
		get_chart(asked),
		get_summary(data, company_currency(company), show_money),
	)


def get_columns(show_money: bool) -> list[dict]:
	columns = [
		column("customer", _("Advocate"), "Link", 170, "Customer"),
		column("customer_name", _("Customer Name"), "Data", 170),
		column("asks", _("Asks"), "Int", 80),
		*(column(field, _(ask_type), "Int", 110) for ask_type, field in TYPE_FIELDS.items()),
		*(column(field, _(status), "Int", 90) for status, field in STATUS_FIELDS.items()),
		column("referrals", _("Referrals"), "Int", 100),
		column("referred_leads", _("Referred"), "Data", 200),
		column("referred_customers", _("Referred Customers"), "Int", 150),
		column("referred_customer_names", _("Referred Customer Names"), "Data", 200),
	]
	if show_money:
		columns += [money_column("referred_mrr", _("Referred MRR"), 130), currency_column()]
	return columns


def get_data(filters, company: str, show_money: bool) -> tuple[list[dict], Counter]:
	"""The rows, and the asks counted by (type, outcome) for the chart."""
	advocates = segment_customers(filters)
	asks = frappe.get_all(
		"Advocacy Ask",
		filters=_ask_filters(filters, advocates),
		fields=["customer", "ask_type", "status", "survey_response"],
	)
	referred = referrals(advocates, filters.from_date, filters.to_date)
	revenue = referred_revenue(company, advocates, filters.from_date, filters.to_date)
	lead_names = _names("Lead", "lead_name", {row.result_lead for row in referred})
	customer_names = _names(
		"Customer", "customer_name", {c for entry in revenue.values() for c in entry.customers}
	)
	currency = company_currency(company) if show_money else None

	rows: dict[str, dict] = {}
	asked = Counter()

	def row_of(customer: str) -> dict:
		return rows.setdefault(customer, {"customer": customer, "_leads": []})

	# Asks: what the team asked for. A referral the customer offered on the survey page is not an ask; it
	# is counted with the referrals below.
	for ask in asks:
		if ask.survey_response:
			continue
		asked[(ask.ask_type, ask.status)] += 1
		row = row_of(ask.customer)
		for field in ("asks", TYPE_FIELDS[ask.ask_type], STATUS_FIELDS[ask.status]):
			row[field] = (row.get(field) or 0) + 1
	for ask in referred:
		leads = row_of(ask.customer)["_leads"]
		if ask.result_lead not in leads:
			leads.append(ask.result_lead)

	attributes = customer_attributes(rows, ("customer_name",))
	data = []
	for customer, row in rows.items():
		leads = row.pop("_leads")
		entry = revenue.get(customer)
		row["customer_name"] = as_text((attributes.get(customer) or frappe._dict()).customer_name)
		# Figures that are not there stay out of the row: shown empty, never 0.
		if leads:
			row["referrals"] = len(leads)
			row["referred_leads"] = _listed([lead_names.get(lead) or lead for lead in leads])
		if entry and entry.customers:
			row["referred_customers"] = len(entry.customers)
			row["referred_customer_names"] = _listed([customer_names.get(c) or c for c in entry.customers])
		if show_money:
			row[CURRENCY_FIELD] = currency
			if entry and entry.mrr is not None:
				row["referred_mrr"] = entry.mrr
		data.append(row)
	data.sort(
		key=lambda r: (-(r.get("referred_mrr") or 0), -(r.get("referrals") or 0), -(r.get("asks") or 0))
	)
	return data, asked


def _ask_filters(filters, advocates) -> dict:
	result = {"asked_on": ("between", [filters.from_date, filters.to_date])}
	if advocates is not None:
		result["customer"] = ("in", advocates or [""])
	return result


def _names(doctype: str, field: str, names: set) -> dict[str, str]:
	"""name -> its title, made inert: Leads and Customers are other apps' records, whose texts (typed on
	a public form, or in Desk) are not escaped where they are stored."""
	if not names:
		return {}
	return {
		row.name: as_text(row.get(field)) or row.name
		for row in frappe.get_all(doctype, filters={"name": ("in", list(names))}, fields=["name", field])
	}


def _listed(names: list[str]) -> str:
	shown = ", ".join(names[:MAX_NAMES])
	return shown if len(names) <= MAX_NAMES else _("{0} and {1} more").format(shown, len(names) - MAX_NAMES)


def get_message(show_money: bool) -> str:
	message = _(
		"Asks: what the team asked each advocate for, by type and by outcome, asked within the dates. "
		"Referrals: the people an advocate referred within the dates (asked, or offered on the survey page "
		"after a promoter's answer), each an ERPNext Lead. Referred customers: customers made from those "
		"Leads; a Lead referred by two advocates is credited to the first."
	)
	if show_money:
		message += " " + _("Referred MRR: their New MRR at the selected company, from the revenue ledger.")
	else:
		message += " " + _("Referred MRR is not shown: it needs permission to read Sales Invoices.")
	return frappe.utils.escape_html(message)


def get_chart(asked: Counter) -> dict | None:
	if not asked:
		return None
	return {
		"data": {
			"labels": [_(ask_type) for ask_type in ASK_TYPES],
			"datasets": [
				{
					"name": _(status),
					"values": [asked[(ask_type, status)] for ask_type in ASK_TYPES],
				}
				for status in STATUSES
			],
		},
		"type": "bar",
		"barOptions": {"stacked": 1},
	}


def get_summary(data: list[dict], currency: str, show_money: bool) -> list[dict]:
	total = Counter()
	for row in data:
		for field in ("asks", "referrals", "referred_customers", STATUS_FIELDS[AGREED], STATUS_FIELDS[DONE]):
			total[field] += row.get(field) or 0
	items = [
		summary(len(data), _("Advocates"), "Int"),
		summary(total["asks"], _("Asks"), "Int"),
		summary(
			total[STATUS_FIELDS[AGREED]] + total[STATUS_FIELDS[DONE]], _("Agreed or Done"), "Int", "Green"
		),
		summary(total["referrals"], _("Referrals"), "Int", "Blue"),
		summary(total["referred_customers"], _("Referred Customers"), "Int", "Green"),
	]
	if show_money:
		mrr = [row["referred_mrr"] for row in data if row.get("referred_mrr") is not None]
		items.append(money_summary(sum(mrr) if mrr else None, _("Referred MRR"), currency, "Green"))
	return items
