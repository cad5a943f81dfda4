# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

"""Renewal rate by count and by value from the revenue ledger's Agreement Renewal rows: each signed contract
or subscription term, its last covered day (due date), whether it was renewed, and its MRR on that day."""

from datetime import date, timedelta

import frappe
from frappe import _
from frappe.utils import getdate, today

from cs_success.analytics import check_report_range, column, customer_attributes, interactive_report, summary
from cs_success.base.permissions import may_see_revenue, segment_customers
from cs_success.engine.ledger import RENEWAL_LOOKBACK_DAYS
from cs_success.engine.retention import renewal_rate
from cs_success.ledger.build import ledger_settings
from cs_success.ledger.queries import renewals_due
from cs_success.ledger_reports import (
	CURRENCY_FIELD,
	company_currency,
	currency_column,
	money_column,
	money_summary,
	rate_summary,
	report_company,
	retention_indicator,
)

RENEWED = "Renewed"
NOT_RENEWED = "Not Renewed"
CANCELLED = "Cancelled"
PENDING = "Pending"
UPCOMING = "Upcoming"
DECIDED = (RENEWED, NOT_RENEWED, CANCELLED)


@interactive_report("Renewal Rate")
@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	check_report_range(filters.from_date, filters.to_date)
	company = report_company(filters)
	currency = company_currency(company)
	grace = ledger_settings().renewal_grace_days
	# Values are MRR per customer, Sales Invoice data: blank for users who may not read Sales Invoices.
	show_value = may_see_revenue()
	data = get_data(filters, company, currency, grace, show_value)
	return (
		get_columns(),
		data,
		get_message(grace, show_value),
		get_chart(data),
		get_summary(data, currency, show_value),
	)


def get_data(filters, company: str, currency: str, grace: int, show_value: bool) -> list[dict]:
	now = getdate(today())
	from_date, to_date = getdate(filters.from_date), getdate(filters.to_date)
	upcoming_until = now + timedelta(days=int(filters.get("upcoming_days") or 30))
	terms = renewal_terms(company, from_date, to_date, now, upcoming_until, segment_customers(filters))
	attributes = customer_attributes({term.customer for term in terms}, ("customer_name", "customer_group"))
	data = []
	for term in terms:
		due = getdate(term.due_date)
		status = status_of(term.outcome, due, now, grace)
		attrs = attributes.get(term.customer) or frappe._dict()
		data.append(
			{
				"customer": term.customer,
				"customer_name": attrs.customer_name,
				"customer_group": attrs.customer_group,
				"agreement_type": term.agreement_type,
				"agreement": term.agreement,
				"due_date": due,
				"status": status,
				"status_label": _(status),
				"counted": status in DECIDED and from_date <= due <= to_date,
				"mrr": float(term.mrr or 0) if show_value else None,
				CURRENCY_FIELD: currency,
			}
		)
	return data


def renewal_terms(company: str, from_date: date, to_date: date, now: date, upcoming_until: date, customers):
	"""The terms due in the period, and those due from tomorrow up to `upcoming_until` (each once)."""
	terms = {
		term.name: term
		for term in renewals_due(from_date, to_date, company=company, customers=customers)
		+ renewals_due(now + timedelta(days=1), upcoming_until, company=company, customers=customers)
	}
	return sorted(terms.values(), key=lambda term: (term.due_date, term.customer, term.agreement))


def status_of(outcome: str, due: date, now: date, grace: int) -> str:
	"""A term still ahead is upcoming whatever it says yet (even renewed early): it is not due. A stored
	Pending whose grace window has closed is Not Renewed (the daily settle_pending_renewals may not have
	run yet)."""
	if due > now:
		return UPCOMING
	if outcome == PENDING and due + timedelta(days=1 + grace) <= now:
		return NOT_RENEWED
	return outcome


def totals(data: list[dict]) -> frappe._dict:
	due = [row for row in data if row["counted"]]
	renewed = [row for row in due if row["status"] == RENEWED]
	values_shown = bool(data) and data[0]["mrr"] is not None
	due_value = sum(row["mrr"] for row in due) if values_shown else None
	renewed_value = sum(row["mrr"] for row in renewed) if values_shown else None
	return frappe._dict(
		due=len(due),
		renewed=len(renewed),
		not_renewed=len(due) - len(renewed),
		pending=sum(1 for row in data if row["status"] == PENDING),
		upcoming=sum(1 for row in data if row["status"] == UPCOMING),
		due_value=due_value,
		renewed_value=renewed_value,
		rate_by_count=renewal_rate(len(renewed), len(due)),
		rate_by_value=renewal_rate(renewed_value, due_value) if due_value else None,
	)


def get_columns() -> list[dict]:
	return [
		column("customer", _("Customer"), "Link", 170, "Customer"),
		column("customer_name", _("Customer Name"), "Data", 160),
		column("customer_group", _("Customer Group"), "Link", 140, "Customer Group"),
		column("agreement_type", _("Type"), "Data", 100),
		column("agreement", _("Agreement"), "Dynamic Link", 160, "agreement_type"),
		column("due_date", _("Due On (Last Covered Day)"), "Date", 170),
		column("status_label", _("Status"), "Data", 110),
		money_column("mrr", _("MRR on Due Date"), 130),
		currency_column(),
	]


def get_chart(data: list[dict]) -> dict | None:
	if not data:
		return None
	figures = totals(data)
	return {
		"data": {
			"labels": [_(RENEWED), _(NOT_RENEWED), _(PENDING), _(UPCOMING)],
			"datasets": [
				{
					"name": _("Terms"),
					"values": [figures.renewed, figures.not_renewed, figures.pending, figures.upcoming],
				}
			],
		},
		"type": "bar",
	}


def get_summary(data: list[dict], currency: str, show_value: bool) -> list[dict]:
	figures = totals(data)
	items = [
		summary(figures.due, _("Due"), "Int"),
		summary(figures.renewed, _("Renewed"), "Int"),
		summary(figures.not_renewed, _("Not Renewed"), "Int", "Red"),
		rate_summary(
			figures.rate_by_count, _("Renewal Rate by Count"), retention_indicator(figures.rate_by_count)
		),
	]
	if show_value:
		items += [
			money_summary(figures.due_value if figures.due else None, _("MRR Due"), currency),
			rate_summary(
				figures.rate_by_value, _("Renewal Rate by Value"), retention_indicator(figures.rate_by_value)
			),
		]
	items += [
		summary(
			figures.pending, _("Pending (Grace Window Open)"), "Int", "Orange" if figures.pending else None
		),
		summary(figures.upcoming, _("Upcoming Renewals"), "Int", "Blue"),
	]
	return items


def get_message(grace: int, show_value: bool) -> str:
	message = _(
		"From the revenue ledger, at the selected company. Due: a signed contract or subscription term whose "
		"last covered day (its end date, or the day before its cancellation) falls in the period and has "
		"passed. Renewed: another signed contract or subscription of the customer starts from {0} days "
		"before that day up to {1} days after the term ended (the grace window, CS Settings). Cancelled counts as due and not "
		"renewed; drafts and unsigned contracts never count. Pending: not renewed yet while the grace window "
		"is open, listed but not counted; so are upcoming terms. By value: each term's MRR at the company on "
		"its due date."
	).format(RENEWAL_LOOKBACK_DAYS, grace)
	if not show_value:
		message += " " + _("Values are not shown: they need permission to read Sales Invoices.")
	return message
