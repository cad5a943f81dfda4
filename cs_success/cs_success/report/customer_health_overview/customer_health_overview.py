# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe import _

from cs_success.analytics import BAND_CHART_COLORS, BAND_COLORS, BANDS, column, interactive_report, summary
from cs_success.base.permissions import enabled_customers_only, segment_customers
from cs_success.engine.health_score import BAND_ORDER


@interactive_report("Customer Health Overview")
def execute(filters=None):
	filters = frappe._dict(filters or {})
	records = get_records(filters)
	return (
		get_columns(filters),
		get_data(records, group_field(filters)),
		None,
		get_chart(records),
		get_summary(records),
	)


def group_field(filters) -> str:
	return "territory" if filters.get("group_by") == "Territory" else "customer_group"


def get_records(filters) -> list:
	"""Every customer's health row, with its segment."""
	conditions = {}
	customers = segment_customers(filters)
	if customers is not None:
		conditions["customer"] = ("in", customers or [""])
	return frappe.get_all(
		"Customer Health",
		filters=enabled_customers_only(conditions),  # a disabled customer's last row is history
		fields=["customer", "score", "band", "data_coverage", group_field(filters)],
	)


def get_data(records: list, field: str) -> list[dict]:
	"""One row per segment: customers per band, and averages over the banded ones."""
	rows = {}
	for record in records:
		key = record.get(field) or _("Not Set")
		row = rows.setdefault(
			key,
			{
				"segment": key,
				"customers": 0,
				"scored": 0,
				"score_total": 0.0,
				"coverage_total": 0.0,
				**{b: 0 for b in BANDS},
			},
		)
		row["customers"] += 1
		row[record.band] = row.get(record.band, 0) + 1
		if record.band in BAND_ORDER:
			row["scored"] += 1
			row["score_total"] += record.score
			row["coverage_total"] += record.data_coverage
	data = []
	for row in sorted(rows.values(), key=lambda r: r["segment"]):
		row["average_score"] = round(row["score_total"] / row["scored"], 1) if row["scored"] else None
		row["average_coverage"] = round(row["coverage_total"] / row["scored"], 1) if row["scored"] else None
		data.append(row)
	return data


def get_columns(filters) -> list[dict]:
	return [
		column("segment", _(filters.get("group_by") or "Customer Group"), "Data", 200),
		column("customers", _("Customers"), "Int", 100),
		column("average_score", _("Average Score"), "Float", 120, precision=1),
		*(column(band, _(band), "Int", 90) for band in BANDS),
		column("average_coverage", _("Average Data Coverage"), "Percent", 150),
	]


def band_counts(records: list) -> dict[str, int]:
	return {band: sum(1 for r in records if r.band == band) for band in BANDS}


def get_chart(records: list) -> dict:
	"""Every band, in BANDS order, each in its own colour (the workspace donut reads this chart)."""
	counts = band_counts(records)
	return {
		"data": {
			"labels": [_(b) for b in BANDS],
			"datasets": [{"name": _("Customers"), "values": [counts[b] for b in BANDS]}],
		},
		"type": "donut",
		"colors": [BAND_CHART_COLORS[b] for b in BANDS],
	}


def get_summary(records: list) -> list[dict]:
	# Averages over the customers a band is claimed for: not a score on too little data, nor one of a
	# customer who left.
	scored = [r for r in records if r.band in BAND_ORDER]
	average = sum(r.score for r in scored) / len(scored) if scored else None
	counts = band_counts(records)
	return [summary(round(average, 1) if average is not None else None, _("Average Score"), precision=1)] + [
		summary(counts[b], _(b), "Int", BAND_COLORS[b]) for b in BANDS
	]
