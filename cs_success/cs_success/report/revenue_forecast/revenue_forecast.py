# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

"""Expected MRR over the next 30 or 90 days, and whether to believe it.

Forecast: per customer group, the ledger's MRR now at the company, and what is expected to stay, MRR x (1 -
the customer's churn probability) over the customers with a known risk; the MRR of customers without one is
shown apart, never forecast. Back-Test: for each past month start, what a model fitted only on what was known
then forecast would stay, what did stay, and the error (risk/model.py keeps it with each fit). Without a
usable model there is no forecast, and the report says so."""

from collections import defaultdict

import frappe
from frappe import _

from cs_success.analytics import column, interactive_report, summary
from cs_success.base.permissions import (
	customer_restrictions,
	permitted_values,
	require_revenue_access,
	segment_customers,
)
from cs_success.ledger.queries import mrr_now
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
from cs_success.risk.model import USABLE_VERDICT, current_model_row, report_horizon

FORECAST, BACKTEST = "Forecast", "Back-Test"


@interactive_report("Revenue Forecast")
@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	require_revenue_access()
	horizon = report_horizon(filters)
	model = current_model_row(horizon)
	if not model or model.verdict != USABLE_VERDICT:
		return (
			[],
			[],
			_(
				"No forecast: no churn risk model for {0} days beats chance on this site's history yet (see the Churn Risk report)."
			).format(horizon),
		)
	if filters.get("view") == BACKTEST:
		return backtest_report(model, horizon)
	company = report_company(filters)
	currency = company_currency(company)
	rows = get_data(filters, company, currency, horizon)
	return get_columns(horizon), rows, None, get_chart(rows), get_summary(rows, currency, horizon)


def get_columns(horizon: int) -> list[dict]:
	return [
		column("customer_group", _("Customer Group"), "Link", 180, "Customer Group"),
		column("customers", _("Paying Customers"), "Int", 130),
		money_column("mrr", _("MRR Now"), 130),
		money_column("expected_mrr", _("Expected MRR in {0} Days").format(horizon), 190),
		money_column("expected_loss", _("Expected MRR Lost"), 150),
		column("expected_loss_rate", _("Expected Loss %"), "Percent", 130),
		money_column("unknown_mrr", _("MRR Without a Known Risk"), 190),
		currency_column(),
	]


def get_data(filters, company: str, currency: str, horizon: int) -> list[dict]:
	customers = segment_customers(filters)
	mrr = mrr_now(customers, company)
	if not mrr:
		return []
	risk = {
		row.name: row
		for row in frappe.get_all(
			"Customer Health",
			filters={"name": ("in", list(mrr))},
			fields=[
				"name",
				"customer_group",
				f"has_churn_risk_{horizon} as known",
				f"churn_risk_{horizon} as risk",
			],
		)
	}
	groups = defaultdict(
		lambda: {"customers": 0, "mrr": 0.0, "expected_mrr": 0.0, "known_mrr": 0.0, "unknown_mrr": 0.0}
	)
	for customer, amount in mrr.items():
		row = risk.get(customer)
		group = groups[(row.customer_group if row else None) or _("Not Scored")]
		group["customers"] += 1
		group["mrr"] += amount
		if row and row.known:
			group["known_mrr"] += amount
			group["expected_mrr"] += amount * (1.0 - float(row.risk) / 100.0)
		else:
			group["unknown_mrr"] += amount
	rows = []
	for name in sorted(groups):
		g = groups[name]
		known = g["known_mrr"]
		rows.append(
			{
				"customer_group": name,
				"customers": g["customers"],
				"mrr": g["mrr"],
				# Nothing with a known risk: no forecast for the group (empty, never 0).
				"expected_mrr": g["expected_mrr"] if known else None,
				"expected_loss": known - g["expected_mrr"] if known else None,
				"expected_loss_rate": share(known - g["expected_mrr"], known),
				"unknown_mrr": g["unknown_mrr"],
				CURRENCY_FIELD: currency,
			}
		)
	return rows


def get_chart(rows: list[dict]) -> dict | None:
	rows = [row for row in rows if row["expected_mrr"] is not None]
	if not rows:
		return None
	return {
		"data": {
			"labels": [row["customer_group"] for row in rows],
			"datasets": [
				{"name": _("MRR Now"), "values": [round(row["mrr"], 2) for row in rows]},
				{"name": _("Expected MRR"), "values": [round(row["expected_mrr"], 2) for row in rows]},
			],
		},
		"type": "bar",
		"fieldtype": "Currency",
	}


def get_summary(rows: list[dict], currency: str, horizon: int) -> list[dict]:
	known = [row for row in rows if row["expected_mrr"] is not None]
	expected = sum(row["expected_mrr"] for row in known) if known else None
	lost = sum(row["expected_loss"] for row in known) if known else None
	return [
		money_summary(sum(row["mrr"] for row in rows) if rows else None, _("MRR Now"), currency),
		money_summary(expected, _("Expected MRR in {0} Days").format(horizon), currency),
		money_summary(lost, _("Expected MRR Lost"), currency, "Red" if lost else None),
		money_summary(
			sum(row["unknown_mrr"] for row in rows) if rows else None, _("MRR Without a Known Risk"), currency
		),
	]


# Back-test ----------------------------------------------------------------------------------------------


def backtest_report(model, horizon: int):
	# The back-test adds up every customer's MRR at the model's company: for users who may see them all.
	if customer_restrictions() is not None:
		raise frappe.PermissionError(
			_("The back-test covers every customer: it is for users whom no User Permission limits to some.")
		)
	allowed = permitted_values("Company")
	if model.company and allowed is not None and model.company not in allowed:
		raise frappe.PermissionError(
			_("You are not permitted to see the figures of company {0}.").format(model.company)
		)
	currency = company_currency(model.company) if model.company else None
	rows = [
		{
			"day": row["day"],
			"observations": row["observations"],
			"train_observations": row["train_observations"],
			"mrr": row["mrr"],
			"forecast": row["forecast"],
			"retained": row["retained"],
			"error": row["forecast"] - row["retained"],
			"error_percent": share(row["forecast"] - row["retained"], row["retained"]),
			"ledger_mrr_after": row["ledger_mrr_after"],
			CURRENCY_FIELD: currency,
		}
		for row in frappe.parse_json(model.backtest or "[]")
	]
	# Frappe shows a report's message as HTML: the company name goes in as text.
	message = frappe.utils.escape_html(
		_(
			"Each month start's forecast comes from a model fitted only on what was known by then (observations whose {0} days had passed); company {1}."
		).format(horizon, model.company)
	)
	errors = [abs(row["error_percent"]) for row in rows if row["error_percent"] is not None]
	return (
		backtest_columns(horizon),
		rows,
		message,
		backtest_chart(rows),
		[
			rate_summary(sum(errors) / len(errors) if errors else None, _("Mean Absolute Error %")),
			summary(len(rows) or None, _("Month Starts Tested"), "Int"),
		],
	)


def backtest_columns(horizon: int) -> list[dict]:
	return [
		column("day", _("Month Start"), "Date", 110),
		column("observations", _("Customers"), "Int", 100),
		column("train_observations", _("Fitted On (Observations)"), "Int", 170),
		money_column("mrr", _("MRR Then"), 130),
		money_column("forecast", _("Forecast to Stay"), 140),
		money_column("retained", _("Stayed"), 130),
		money_column("error", _("Error"), 120),
		column("error_percent", _("Error %"), "Percent", 100),
		money_column("ledger_mrr_after", _("Their MRR {0} Days Later").format(horizon), 190),
		currency_column(),
	]


def backtest_chart(rows: list[dict]) -> dict | None:
	if not rows:
		return None
	return {
		"data": {
			"labels": [str(row["day"]) for row in rows],
			"datasets": [
				{"name": _("Forecast to Stay"), "values": [round(row["forecast"], 2) for row in rows]},
				{"name": _("Stayed"), "values": [round(row["retained"], 2) for row in rows]},
			],
		},
		"type": "line",
		"fieldtype": "Currency",
	}
