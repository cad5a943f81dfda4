# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe import _

from cs_success.analytics import BAND_CHART_COLORS, check_report_range, column, interactive_report, summary
from cs_success.base.permissions import segment_customers
from cs_success.engine.health_score import AT_RISK, CRITICAL
from cs_success.health.snapshots import daily_band_counts

# Average score in a neutral blue; the At Risk and Critical counts in their bands' colours (never green).
HEALTH_TREND_COLORS = ["#2490ef", BAND_CHART_COLORS[AT_RISK], BAND_CHART_COLORS[CRITICAL]]


@interactive_report("Health Trend")
def execute(filters=None):
	filters = frappe._dict(filters or {})
	check_report_range(filters.from_date, filters.to_date)
	data = get_data(filters)
	return get_columns(), data, None, get_chart(data), get_summary(data)


def get_data(filters) -> list:
	"""One row per day of daily snapshots: the average banded score and the customers per band."""
	return daily_band_counts(filters.from_date, filters.to_date, segment_customers(filters))


def get_columns() -> list[dict]:
	return [
		column("snapshot_date", _("Date"), "Date", 110),
		column("average_score", _("Average Score"), "Float", 120),
		column("healthy", _("Healthy"), "Int", 90),
		column("at_risk", _("At Risk"), "Int", 90),
		column("critical", _("Critical"), "Int", 90),
		column("customers", _("Customers"), "Int", 100),
	]


def get_chart(data: list) -> dict:
	return {
		"data": {
			"labels": [str(row.snapshot_date) for row in data],
			"datasets": [
				{"name": _("Average Score"), "values": [round(row.average_score or 0, 1) for row in data]},
				{"name": _("At Risk"), "values": [int(row.at_risk) for row in data]},
				{"name": _("Critical"), "values": [int(row.critical) for row in data]},
			],
		},
		"type": "line",
		"colors": HEALTH_TREND_COLORS,
	}


def _average(row) -> float | None:
	return round(row.average_score, 1) if row and row.average_score is not None else None


def get_summary(data: list) -> list[dict]:
	"""The first and the last day's average; empty when a day has no banded customer."""
	first, last = (data[0], data[-1]) if data else (None, None)
	return [
		summary(_average(first), _("Average Score at Start"), precision=1),
		summary(_average(last), _("Average Score at End"), precision=1),
	]
