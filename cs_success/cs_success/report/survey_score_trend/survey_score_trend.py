# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe import _

from cs_success.analytics import check_report_range, column, interactive_report, summary
from cs_success.base.permissions import customer_filter, segment_customers
from cs_success.engine.survey_metrics import summarize


@interactive_report("Survey Score Trend")
def execute(filters=None):
	filters = frappe._dict(filters or {})
	check_report_range(filters.from_date, filters.to_date)
	responses = get_responses(filters)
	data = get_data(responses)
	return get_columns(), data, None, get_chart(data), get_summary(responses)


def get_responses(filters) -> list:
	"""Every answer's month and headline score in the range, oldest first."""
	condition, params = customer_filter("customer", segment_customers(filters))
	return frappe.db.sql(
		f"""
		SELECT DATE_FORMAT(submitted_on, '%%Y-%%m') AS month, headline_type, headline_score
		FROM `tabSurvey Response`
		WHERE DATE(submitted_on) BETWEEN %(from_date)s AND %(to_date)s {condition}
		ORDER BY submitted_on
		""",
		{"from_date": filters.from_date, "to_date": filters.to_date, **params},
		as_dict=True,
	)


def get_data(responses: list) -> list[dict]:
	"""NPS, CSAT and CES per month with answers."""
	months: dict[str, list[tuple[str, int]]] = {}
	for row in responses:
		months.setdefault(row.month, []).append((row.headline_type, row.headline_score))
	return [{"month": month, **summarize(answers)} for month, answers in months.items()]


def get_columns() -> list[dict]:
	return [
		column("month", _("Month"), "Data", 100),
		column("nps_responses", _("NPS Answers"), "Int", 110),
		column("nps", _("NPS"), "Float", 80, precision=1),
		column("csat_responses", _("CSAT Answers"), "Int", 110),
		column("csat_percent", _("CSAT %"), "Percent", 90, precision=1),
		column("ces_responses", _("CES Answers"), "Int", 110),
		column("ces_mean", _("CES Mean"), "Float", 90, precision=2),
		column("ces_easy_percent", _("CES 5-7 %"), "Percent", 100),
	]


def get_chart(data: list[dict]) -> dict:
	return {
		"data": {
			"labels": [row["month"] for row in data],
			"datasets": [
				{"name": _("NPS"), "values": [round(row["nps"] or 0, 1) for row in data]},
				{"name": _("CSAT %"), "values": [round(row["csat_percent"] or 0, 1) for row in data]},
			],
		},
		"type": "line",
	}


def get_summary(responses: list) -> list[dict]:
	"""Over every answer in the range, not an average of the months."""
	total = summarize((r.headline_type, r.headline_score) for r in responses)

	# A kind of survey nobody answered shows empty, not 0 (an NPS of 0 is a real, middling figure).
	def rounded(value, digits):
		return None if value is None else round(value, digits)

	return [
		summary(rounded(total["nps"], 1), _("NPS"), precision=1),
		summary(rounded(total["csat_percent"], 1), _("CSAT %"), "Percent", precision=1),
		summary(rounded(total["ces_mean"], 2), _("CES Mean"), precision=2),
	]
