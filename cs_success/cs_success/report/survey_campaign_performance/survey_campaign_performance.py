# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe import _

from cs_success.analytics import column, interactive_report, summary
from cs_success.base.permissions import customer_scope_condition, permitted_customers
from cs_success.engine.survey_metrics import NPS, response_rate, summarize
from cs_success.surveys.benchmarks import benchmarks_of_answer_sets


@interactive_report("Survey Campaign Performance")
def execute(filters=None):
	filters = frappe._dict(filters or {})
	data = get_data(filters)
	return get_columns(), data, get_message(), get_chart(data), get_summary(data)


def get_data(filters) -> list[dict]:
	"""One row per campaign: delivery counts and the headline scores of its answers."""
	campaign_filters = {"purpose": filters.purpose} if filters.get("purpose") else {}
	# get_list: the campaigns the user's User Permissions allow (on their company, territory and group);
	# within them, only the invitations and answers of the customers the user may see.
	campaigns = frappe.get_list(
		"Survey Campaign", filters=campaign_filters, fields=["name", "purpose", "status", "template"]
	)
	names = [c.name for c in campaigns] or [""]
	counts = invitation_counts(names)
	answers = headline_answers(names)
	# The NPS benchmark of each campaign's answers, by the answering customers' groups (CS Settings).
	benchmarks = benchmarks_of_answer_sets(
		{name: [c for kind, _score, c in rows if kind == NPS] for name, rows in answers.items()}
	)
	data = []
	for campaign in campaigns:
		c = counts.get(campaign.name) or frappe._dict()
		scores = summarize((kind, score) for kind, score, _customer in answers.get(campaign.name, ()))
		benchmark = benchmarks.get(campaign.name) if scores["nps"] is not None else None
		invited, answered = int(c.invited or 0), int(c.answered or 0)
		data.append(
			{
				"campaign": campaign.name,
				"purpose": _(campaign.purpose),
				"status": _(campaign.status),
				"invited": invited,
				"opened": int(c.opened or 0),
				"answered": answered,
				"bounced": int(c.bounced or 0),
				"response_rate": response_rate(answered, invited),
				"nps": scores["nps"],
				"nps_benchmark": benchmark,
				"nps_vs_benchmark": scores["nps"] - benchmark if benchmark is not None else None,
				"csat_percent": scores["csat_percent"],
				"ces_mean": scores["ces_mean"],
			}
		)
	return data


def invitation_counts(campaigns: list[str]) -> dict:
	"""campaign -> invited, opened, answered and bounced, of the customers the user may see."""
	return {
		row.campaign: row
		for row in frappe.db.sql(
			f"""SELECT campaign, SUM(status != 'Queued') AS invited,
				SUM(opened_on IS NOT NULL OR status = 'Answered') AS opened, SUM(status = 'Answered') AS answered,
				SUM(status = 'Bounced') AS bounced
			FROM `tabSurvey Invitation` WHERE campaign IN %(names)s {customer_scope_condition("customer")}
			GROUP BY campaign""",
			{"names": tuple(campaigns)},
			as_dict=True,
		)
	}


def headline_answers(campaigns: list[str]) -> dict[str, list[tuple[str, int, str]]]:
	"""campaign -> (headline type, headline score, customer) of each answer, of the customers the user may
	see."""
	allowed = permitted_customers()
	answers: dict[str, list[tuple[str, int]]] = {}
	for row in frappe.get_all(
		"Survey Response",
		filters={
			"campaign": ("in", campaigns),
			**({"customer": ("in", allowed or [""])} if allowed is not None else {}),
		},
		fields=["campaign", "headline_type", "headline_score", "customer"],
	):
		answers.setdefault(row.campaign, []).append((row.headline_type, row.headline_score, row.customer))
	return answers


def get_columns() -> list[dict]:
	return [
		column("campaign", _("Campaign"), "Link", 200, "Survey Campaign"),
		column("purpose", _("Purpose"), "Data", 100),
		column("status", _("Status"), "Data", 90),
		column("invited", _("Invited"), "Int", 80),
		column("opened", _("Opened"), "Int", 80),
		column("answered", _("Answered"), "Int", 90),
		column("bounced", _("Bounced"), "Int", 80),
		column("response_rate", _("Response Rate"), "Percent", 120),
		column("nps", _("NPS"), "Float", 70),
		column("nps_benchmark", _("NPS Benchmark"), "Float", 120, precision=1),
		column("nps_vs_benchmark", _("NPS vs Benchmark"), "Float", 130, precision=1),
		column("csat_percent", _("CSAT %"), "Percent", 80),
		column("ces_mean", _("CES Mean"), "Float", 90),
	]


def get_chart(data: list[dict]) -> dict:
	return {
		"data": {
			"labels": [r["campaign"] for r in data],
			"datasets": [
				{"name": _("Response Rate"), "values": [round(r["response_rate"] or 0, 1) for r in data]}
			],
		},
		"type": "bar",
	}


def get_summary(data: list[dict]) -> list[dict]:
	invited = sum(r["invited"] for r in data)
	answered = sum(r["answered"] for r in data)
	return [
		summary(invited, _("Invited"), "Int"),
		summary(answered, _("Answered"), "Int"),
		summary(
			round(response_rate(answered, invited) or 0, 1),
			_("Response Rate"),
			"Percent",
			"Green",
			precision=1,
		),
	]


def get_message() -> str:
	return _(
		"Response rate = answered / invitations sent. NPS Benchmark: the benchmarks set per customer group in CS Settings, weighted by the groups of the customers who answered."
	)
