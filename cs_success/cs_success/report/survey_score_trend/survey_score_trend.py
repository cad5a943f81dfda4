# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe import _

from cs_success.analytics import column, customer_filter, segment_customers, summary
from cs_success.engine.survey_metrics import ces_easy_percent, ces_mean, csat_percent, nps


def execute(filters=None):
	filters = frappe._dict(filters or {})
	condition, params = customer_filter("customer", segment_customers(filters))
	responses = frappe.db.sql(
		f"""
		SELECT DATE_FORMAT(submitted_on, '%%Y-%%m') AS month, headline_type, headline_score
		FROM `tabSurvey Response`
		WHERE DATE(submitted_on) BETWEEN %(from_date)s AND %(to_date)s {condition}
		ORDER BY submitted_on
		""",
		{"from_date": filters.from_date, "to_date": filters.to_date, **params},
		as_dict=True,
	)
	months: dict[str, dict[str, list[int]]] = {}
	for row in responses:
		months.setdefault(row.month, {"NPS": [], "CSAT": [], "CES": []})[row.headline_type].append(
			row.headline_score
		)
	data = [row_for(month, scores) for month, scores in months.items()]
	everything = {
		t: [r.headline_score for r in responses if r.headline_type == t] for t in ("NPS", "CSAT", "CES")
	}
	columns = [
		column("month", _("Month"), "Data", 100),
		column("nps_responses", _("NPS Answers"), "Int", 110),
		column("nps", _("NPS"), "Float", 80),
		column("csat_responses", _("CSAT Answers"), "Int", 110),
		column("csat_percent", _("CSAT %"), "Percent", 90),
		column("ces_responses", _("CES Answers"), "Int", 110),
		column("ces_mean", _("CES Mean"), "Float", 90),
		column("ces_easy_percent", _("CES 5-7 %"), "Percent", 100),
	]
	chart = {
		"data": {
			"labels": [row["month"] for row in data],
			"datasets": [
				{"name": _("NPS"), "values": [round(row["nps"] or 0, 1) for row in data]},
				{"name": _("CSAT %"), "values": [round(row["csat_percent"] or 0, 1) for row in data]},
			],
		},
		"type": "line",
	}
	total = row_for("", everything)
	report_summary = [
		summary(round(total["nps"] or 0, 1), _("NPS")),
		summary(round(total["csat_percent"] or 0, 1), _("CSAT %"), "Percent"),
		summary(round(total["ces_mean"] or 0, 2), _("CES Mean")),
	]
	return columns, data, None, chart, report_summary


def row_for(month, scores) -> dict:
	return {
		"month": month,
		"nps_responses": len(scores["NPS"]),
		"nps": nps(scores["NPS"]),
		"csat_responses": len(scores["CSAT"]),
		"csat_percent": csat_percent(scores["CSAT"]),
		"ces_responses": len(scores["CES"]),
		"ces_mean": ces_mean(scores["CES"]),
		"ces_easy_percent": ces_easy_percent(scores["CES"]),
	}
