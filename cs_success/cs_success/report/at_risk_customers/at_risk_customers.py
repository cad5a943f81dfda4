# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.utils import today

from cs_success.analytics import BAND_COLORS, column, interactive_report, summary
from cs_success.base.permissions import enabled_customers_only, segment_customers
from cs_success.engine.health_score import AT_RISK, CRITICAL
from cs_success.health.config import measure_label

SORT_BY_RISK = "Churn Risk"


@interactive_report("At-Risk Customers")
def execute(filters=None):
	filters = frappe._dict(filters or {})
	data = get_data(filters)
	return get_columns(), data, None, get_chart(data), get_summary(data)


def get_data(filters) -> list[dict]:
	"""The customers in the chosen bands (default: At Risk and Critical), worst score first, or (sort by Churn
	Risk) highest churn risk in 90 days first, customers without a known risk last."""
	bands = [filters.band] if filters.get("band") else [AT_RISK, CRITICAL]
	conditions = {"band": ("in", bands)}
	customers = segment_customers(filters)
	if customers is not None:
		conditions["customer"] = ("in", customers or [""])
	records = frappe.get_all(
		"Customer Health",
		filters=enabled_customers_only(conditions),  # a disabled customer's last row is history
		fields=[
			"customer",
			"customer_name",
			"band",
			"score",
			"has_trend",
			"trend_delta",
			"account_manager",
			"data_coverage",
			"has_churn_risk_90",
			"churn_risk_90",
		],
		order_by="score asc",
	)
	if filters.get("sort_by") == SORT_BY_RISK:
		# Stable: equal risks keep the worst score first.
		records.sort(key=lambda r: -r.churn_risk_90 if r.has_churn_risk_90 else float("inf"))
	names = [r.customer for r in records]
	worst = worst_measures(names)
	renewals = next_renewals(names)
	return [
		{
			**record,
			"trend_delta": record.trend_delta if record.has_trend else None,
			# Unknown (no usable model) is empty, never 0 %.
			"churn_risk_90": record.churn_risk_90 if record.has_churn_risk_90 else None,
			"worst_measure": _(measure_label(worst[record.customer])) if record.customer in worst else None,
			"next_renewal": renewals.get(record.customer),
		}
		for record in records
	]


def get_columns() -> list[dict]:
	return [
		column("customer", _("Customer"), "Link", 180, "Customer"),
		column("customer_name", _("Customer Name"), "Data", 180),
		column("band", _("Band"), "Data", 90),
		column("score", _("Score"), "Float", 80),
		column("trend_delta", _("30-Day Change"), "Float", 110),
		column("churn_risk_90", _("Churn Risk in 90 Days"), "Percent", 160),
		column("worst_measure", _("Worst Measure"), "Data", 180),
		column("next_renewal", _("Next Renewal"), "Date", 110),
		column("account_manager", _("Owner"), "Link", 160, "User"),
		column("data_coverage", _("Data Coverage"), "Percent", 110),
	]


def band_counts(data: list[dict]) -> dict[str, int]:
	return {band: sum(1 for row in data if row["band"] == band) for band in (AT_RISK, CRITICAL)}


def get_chart(data: list[dict]) -> dict:
	counts = band_counts(data)
	return {
		"data": {
			"labels": [_(b) for b in counts],
			"datasets": [{"name": _("Customers"), "values": list(counts.values())}],
		},
		"type": "bar",
		"colors": ["#ffa00a"],
	}


def get_summary(data: list[dict]) -> list[dict]:
	counts = band_counts(data)
	# No customers: no average (shown empty), not a score of 0.
	average = round(sum(row["score"] for row in data) / len(data), 1) if data else None
	return [summary(counts[b], _(b), "Int", BAND_COLORS[b]) for b in counts] + [
		summary(average, _("Average Score"), precision=1)
	]


def worst_measures(customers: list[str]) -> dict[str, str]:
	"""The measure with data and the lowest score, per customer (ties: the heavier one)."""
	if not customers:
		return {}
	rows = frappe.get_all(
		"Customer Health Measure",
		filters={
			"parent": ("in", customers),
			"parenttype": "Customer Health",
			"has_data": 1,
			"effective_weight": (">", 0),
		},
		fields=["parent", "measure", "measure_score", "effective_weight"],
		order_by="measure_score asc, effective_weight desc",
	)
	worst = {}
	for row in rows:
		worst.setdefault(row.parent, row.measure)
	return worst


def next_renewals(customers: list[str]) -> dict:
	if not customers:
		return {}
	return dict(
		frappe.db.sql(
			"""
			SELECT customer, MIN(ends_on) FROM (
				SELECT party AS customer, COALESCE(end_date, current_invoice_end) AS ends_on FROM `tabSubscription`
				WHERE party_type = 'Customer' AND status IN ('Active', 'Trialling', 'Past Due Date', 'Unpaid')
				UNION ALL
				SELECT party_name, end_date FROM `tabContract`
				WHERE party_type = 'Customer' AND status = 'Active' AND docstatus < 2
			) agreements
			WHERE customer IN %(customers)s AND ends_on >= %(today)s
			GROUP BY customer
			""",
			{"customers": tuple(customers), "today": today()},
		)
	)
