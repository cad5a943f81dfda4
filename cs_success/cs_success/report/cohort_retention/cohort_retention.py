# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

"""Customers grouped by the month they were first acquired, and for each month after it the share of the
cohort still active (logos) or its MRR at the company against its MRR at the end of that first month
(revenue), from the revenue ledger. Shown as a heat map (cohort_retention.js)."""

from datetime import date

import frappe
from frappe import _
from frappe.utils import getdate, today

from cs_success.analytics import check_cohort_count, column, interactive_report, summary
from cs_success.base.permissions import may_see_revenue, require_revenue_access, segment_customers
from cs_success.ledger.queries import cohort_figures
from cs_success.ledger_reports import (
	CURRENCY_FIELD,
	company_currency,
	currency_column,
	money_column,
	money_summary,
	month_end,
	months_from,
	rate_summary,
	report_company,
	retention_indicator,
	share,
)

LOGOS = "Logos"
REVENUE = "Revenue"
DEFAULT_MONTHS = 12
MAX_MONTHS = 24


@interactive_report("Cohort Retention")
@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	measure = filters.get("measure") or LOGOS
	if measure == REVENUE:
		require_revenue_access()
	months = int(filters.get("months") or DEFAULT_MONTHS)
	if not 1 <= months <= MAX_MONTHS:
		frappe.throw(_("Months must be between 1 and {0}.").format(MAX_MONTHS))
	company = report_company(filters)
	# Logo retention is for anyone who may run the report; the cohorts' MRR only for who may see revenue.
	show_money = may_see_revenue()
	check_cohort_count(filters.from_date, filters.to_date)
	cohorts = months_from(filters.from_date, filters.to_date)
	data = get_data(filters, company, cohorts, months, measure, show_money)
	return (
		get_columns(months),
		data,
		get_message(measure, show_money),
		get_chart(data, months, measure),
		get_summary(data, months, measure, company_currency(company) if show_money else None),
	)


def get_data(filters, company: str, cohorts: list[date], months: int, measure: str, show_money: bool):
	customers = segment_customers(filters)
	sizes, active, mrr = cohort_figures(cohorts, months, customers, company if show_money else None)
	currency = company_currency(company)
	now = getdate(today())
	data = []
	for index, cohort in enumerate(cohorts):
		size = sizes.get(index, 0)
		# A month counts once it has ended; its figures until then are not retention yet.
		ended = [month_end(cohort, k) < now for k in range(months + 1)]
		counts = active.get(index) or [0] * (months + 1)
		logos = [counts[k] if size and ended[k] else None for k in range(months + 1)]
		# A cohort without any MRR at this company has 0 there, not nothing.
		amounts = mrr.get(index) or [0.0] * (months + 1)
		revenue = [amounts[k] if size and show_money and ended[k] else None for k in range(months + 1)]
		row = {
			"cohort": cohort.strftime("%Y-%m"),
			"cohort_size": size,
			"starting_mrr": revenue[0],
			CURRENCY_FIELD: currency,
			# what the averages weigh: the cohort's size, or its starting MRR, for each month that ended
			"_logos": logos,
			"_revenue": revenue,
		}
		for k in range(months + 1):
			if measure == REVENUE:
				row[f"month_{k}"] = share(revenue[k], revenue[0]) if revenue[k] is not None else None
			else:
				row[f"month_{k}"] = share(logos[k], size) if logos[k] is not None else None
		data.append(row)
	data.append(average_row(data, months, measure, currency))
	for row in data:
		row.pop("_logos", None)
		row.pop("_revenue", None)
	return data


def average_row(data: list[dict], months: int, measure: str, currency: str) -> dict:
	"""All cohorts together: for each month, the cohorts that have reached its end, weighted by their size
	(logos) or their starting MRR (revenue)."""
	row = {
		"cohort": _("All Cohorts"),
		"cohort_size": sum(r["cohort_size"] for r in data),
		"starting_mrr": None,
		CURRENCY_FIELD: currency,
		"bold": 1,
	}
	starting = [r["starting_mrr"] for r in data if r["starting_mrr"] is not None]
	if starting:
		row["starting_mrr"] = sum(starting)
	for k in range(months + 1):
		if measure == REVENUE:
			reached = [r for r in data if r["_revenue"][k] is not None and r["_revenue"][0]]
			part, whole = sum(r["_revenue"][k] for r in reached), sum(r["_revenue"][0] for r in reached)
		else:
			reached = [r for r in data if r["_logos"][k] is not None]
			part, whole = sum(r["_logos"][k] for r in reached), sum(r["cohort_size"] for r in reached)
		row[f"month_{k}"] = share(part, whole)
	return row


def get_columns(months: int) -> list[dict]:
	columns = [
		column("cohort", _("Acquired In"), "Data", 110),
		column("cohort_size", _("Customers"), "Int", 90),
		money_column("starting_mrr", _("Starting MRR"), 120),
		currency_column(),
	]
	columns += [
		column(f"month_{k}", _("Month {0}").format(k), "Percent", 90, precision=1) for k in range(months + 1)
	]
	return columns


def get_chart(data: list[dict], months: int, measure: str) -> dict | None:
	"""The average retention curve over the months since acquisition."""
	average = data[-1]
	points = [(k, average[f"month_{k}"]) for k in range(months + 1) if average[f"month_{k}"] is not None]
	if not points:
		return None
	return {
		"data": {
			"labels": [_("Month {0}").format(k) for k, _value in points],
			"datasets": [
				{
					"name": _("Revenue Retention %") if measure == REVENUE else _("Logo Retention %"),
					"values": [round(value, 1) for _k, value in points],
				}
			],
		},
		"type": "line",
		"colors": ["#2f9e44"],
	}


def get_summary(data: list[dict], months: int, measure: str, currency: str | None) -> list[dict]:
	"""The customers acquired, their starting MRR, and the average retention one month and as many months
	as any cohort has reached after acquisition."""
	average = data[-1]
	label = _("Revenue Retention") if measure == REVENUE else _("Logo Retention")
	reached = [k for k in range(1, months + 1) if average[f"month_{k}"] is not None]
	items = [summary(average["cohort_size"], _("Customers Acquired"), "Int")]
	if currency:
		items.append(money_summary(average["starting_mrr"], _("Starting MRR"), currency))
	month_one = average["month_1"]
	items.append(rate_summary(month_one, _("{0} at Month 1 %").format(label), retention_indicator(month_one)))
	if reached and reached[-1] > 1:
		value = average[f"month_{reached[-1]}"]
		items.append(
			rate_summary(
				value, _("{0} at Month {1} %").format(label, reached[-1]), retention_indicator(value)
			)
		)
	return items


def get_message(measure: str, show_money: bool) -> str:
	message = _(
		"Cohort: the customers first acquired in that month (revenue ledger; a customer who left and came back "
		"stays in its first cohort). Month k: the end of the k-th month after the acquisition month; a month "
		"that has not ended yet is empty. Starting MRR: the cohort's MRR at the selected company at the end "
		"of its acquisition month."
	)
	if measure == REVENUE:
		message += " " + _(
			"Revenue retention: the cohort's MRR at the company at the end of month k / its starting MRR "
			"(expansion and customers who came back count, so it can pass 100 %; a customer first paying "
			"after its acquisition month adds to later months only)."
		)
	else:
		message += " " + _(
			"Logo retention: the share of the cohort active at the end of month k (recurring revenue or a "
			"signed agreement that day, at any company)."
		)
	if not show_money:
		message += " " + _("MRR is not shown: it needs permission to read Sales Invoices.")
	return message
