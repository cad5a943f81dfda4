# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

"""Customer lifetime value per customer group, from the revenue ledger at one company: the average MRR of a
paying customer over the period's month ends, divided by the monthly churn rate of the customers paying
when the period began."""

from datetime import date, timedelta

import frappe
from frappe import _
from frappe.utils import add_days, getdate, today

from cs_success.analytics import check_report_range, column, interactive_report, periods, summary
from cs_success.base.permissions import require_revenue_access, segment_customers
from cs_success.engine.ledger import months_between
from cs_success.engine.retention import lifetime_value
from cs_success.ledger.queries import mrr_at_month_ends_by_group, paying_start_and_lost_by_group
from cs_success.ledger_reports import (
	CURRENCY_FIELD,
	company_currency,
	currency_column,
	money_column,
	money_summary,
	rate_summary,
	report_company,
	share,
)


@interactive_report("Customer Lifetime Value")
@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	require_revenue_access()
	company = report_company(filters)
	currency = company_currency(company)
	margin = float(filters.gross_margin) if filters.get("gross_margin") not in (None, "") else None
	from_date = getdate(filters.from_date)
	# The ledger runs ongoing MRR into the future; churn that has not happened yet is not in it.
	to_date = min(getdate(filters.to_date), getdate(today()))
	check_report_range(from_date, to_date)
	data = get_data(filters, company, from_date, to_date, margin, currency)
	return (
		get_columns(),
		data,
		get_message(from_date, to_date, margin),
		get_chart(data),
		get_summary(data, margin, currency),
	)


def get_data(filters, company: str, from_date: date, to_date: date, margin, currency: str) -> list[dict]:
	if to_date < from_date:
		return []
	day_before = getdate(add_days(from_date, -1))
	# The last day of each month in the period; the period's last day for a month it ends within.
	month_ends = [getdate(end) for _start, end in periods(from_date, to_date, "Monthly")]
	months = months_between(from_date, to_date + timedelta(days=1))
	customers = segment_customers(filters)
	tallies = {}
	blank = frappe._dict(start=0, lost=0, paying_months=0, mrr=0.0)
	for group, start, lost in paying_start_and_lost_by_group(company, day_before, month_ends[-1], customers):
		tally = tallies.setdefault(group or _("Not Set"), frappe._dict(blank))
		tally.start += int(start)
		tally.lost += int(lost or 0)
	for group, mrr, paying_months in mrr_at_month_ends_by_group(company, month_ends, customers):
		tally = tallies.setdefault(group or _("Not Set"), frappe._dict(blank))
		tally.mrr += float(mrr or 0)
		tally.paying_months += int(paying_months or 0)
	total = frappe._dict(blank)
	for tally in tallies.values():
		for key in blank:
			total[key] += tally[key]
	data = [
		figures(group, tallies[group], len(month_ends), months, margin, currency) for group in sorted(tallies)
	]
	data.append({**figures(_("Total"), total, len(month_ends), months, margin, currency), "bold": 1})
	return data


def figures(label, tally, month_ends: int, months: float, margin, currency):
	arpa = tally.mrr / tally.paying_months if tally.paying_months else None
	churn = share(tally.lost, tally.start)
	monthly_churn = churn / months if churn is not None else None
	clv = lifetime_value(arpa, monthly_churn) if arpa is not None else None
	return {
		"customer_group": label,
		"start_customers": tally.start,
		"lost": tally.lost,
		"months": round(months, 2),
		"monthly_churn": monthly_churn,
		"lifespan_months": 100.0 / monthly_churn if monthly_churn else None,
		"average_paying": tally.paying_months / month_ends,
		"arpa": arpa,
		"clv": clv,
		"margin_clv": clv * margin / 100.0 if clv is not None and margin is not None else None,
		CURRENCY_FIELD: currency,
	}


def get_columns() -> list[dict]:
	return [
		column("customer_group", _("Customer Group"), "Data", 170),
		column("start_customers", _("Paying at Start (S)"), "Int", 130),
		column("lost", _("Lost"), "Int", 70),
		column("months", _("Months"), "Float", 80, precision=2),
		column("monthly_churn", _("Monthly Churn %"), "Percent", 120, precision=2),
		column("lifespan_months", _("Lifespan (Months)"), "Float", 120, precision=1),
		column("average_paying", _("Paying Customers (Average)"), "Float", 160, precision=1),
		money_column("arpa", _("ARPA (MRR)"), 120),
		money_column("clv", _("CLV"), 130),
		money_column("margin_clv", _("Margin-Adjusted CLV"), 160),
		currency_column(),
	]


def get_chart(data: list[dict]) -> dict | None:
	rows = [row for row in data if not row.get("bold") and row["clv"] is not None]
	if not rows:
		return None
	return {
		"data": {
			"labels": [row["customer_group"] for row in rows],
			"datasets": [{"name": _("CLV"), "values": [round(row["clv"], 2) for row in rows]}],
		},
		"type": "bar",
	}


def get_summary(data: list[dict], margin, currency: str) -> list[dict]:
	if not data:
		return []
	total = data[-1]
	items = [
		money_summary(total["arpa"], _("ARPA (MRR)"), currency),
		rate_summary(total["monthly_churn"], _("Monthly Churn %")),
		money_summary(total["clv"], _("CLV"), currency, "Blue"),
	]
	if margin is not None:
		items.append(money_summary(total["margin_clv"], _("Margin-Adjusted CLV"), currency, "Blue"))
	items.append(
		summary(
			round(total["lifespan_months"], 1) if total["lifespan_months"] is not None else None,
			_("Lifespan (Months)"),
			"Float",
			precision=1,
		)
	)
	return items


def get_message(from_date: date, to_date: date, margin) -> str:
	message = _(
		"From the revenue ledger at the selected company, in its currency, {0} to {1} (never past today). "
		"ARPA: the MRR of the customers paying at the company at the period's month ends (a partial last "
		"month at its last day) / how many paid then, so a customer-month weighs the same. S: customers "
		"paying there the day before the period; Lost: those of S no longer paying there on its last day "
		"(a customer who stopped and came back within the period is not lost). Monthly churn = Lost / S / "
		"months in the period. CLV = ARPA / monthly churn (lifespan = 1 / monthly churn, in months); empty "
		"when nobody was lost: the data sets no bound on the lifespan. Rows: the customer's group today."
	).format(from_date, to_date)
	if margin is not None:
		message += " " + _("Margin-adjusted CLV = CLV x {0} % gross margin.").format(margin)
	return message
