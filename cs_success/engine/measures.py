"""The registry of built-in health measures: what each one means, its default thresholds and which
reader gives its value.

A measure is one entry here. Its reader (health/measure_data.py READERS, under the reader's name)
is one set-based read that gives all the measures naming it, today and, where there is history, as
of a past day for the back-fill. The Frappe side syncs these entries into `Health Measure` records
on migrate, so scorecards pick measures by link and every breakdown row can say how its raw value
was obtained.
"""

from __future__ import annotations

from dataclasses import dataclass

from cs_success.engine.health_score import LINEAR, MeasureRule

SUPPORT = "Support"
BILLING = "Billing"
RENEWAL = "Renewal"
SURVEYS = "Surveys"
ENGAGEMENT = "Engagement"
USAGE = "Usage"

# Readers, by name: where a measure's value is read (the queries are in health/measure_data.py).
TICKETS = "tickets"
INVOICES = "invoices"
LEDGER = "revenue ledger"
USAGE_RECORDS = "usage records"
SURVEY_RESPONSES = "survey responses"
TOUCHPOINTS = "touchpoints"
ACTIVITY = "latest activity"
SUCCESS_PLANS = "success plans"


@dataclass(frozen=True)
class MeasureDefinition:
	key: str
	label: str
	category: str
	unit: str
	score_100_at: float
	score_0_at: float
	default_weight: float
	description: str
	# The reader that gives its value (one of the names above).
	reader: str
	# Product usage measures: the `metric` of the usage records they score.
	usage_metric: str = ""

	def default_rule(self) -> MeasureRule:
		return MeasureRule(self.key, self.default_weight, self.score_100_at, self.score_0_at, LINEAR)


MEASURES: tuple[MeasureDefinition, ...] = (
	MeasureDefinition(
		"open_tickets", "Open Tickets", SUPPORT, "tickets", 0, 5, 15,
		"Tickets (Issue, and HD Ticket when Helpdesk is installed) not yet resolved or closed.",
		TICKETS,
	),
	MeasureDefinition(
		"tickets_90d", "Tickets in 90 Days", SUPPORT, "tickets", 2, 15, 5,
		"Tickets opened in the last 90 days.",
		TICKETS,
	),
	MeasureDefinition(
		"avg_resolution_hours", "Average Resolution Time", SUPPORT, "hours", 24, 168, 5,
		"Mean resolution time of tickets resolved in the last 90 days. No data without resolved tickets.",
		TICKETS,
	),
	MeasureDefinition(
		"sla_failures_90d", "SLA Failures in 90 Days", SUPPORT, "tickets", 0, 3, 10,
		"Tickets opened in the last 90 days whose service level agreement failed. "
		"No data when none of them had an agreement.",
		TICKETS,
	),
	MeasureDefinition(
		"overdue_invoices", "Overdue Invoices", BILLING, "invoices", 0, 3, 10,
		"Submitted sales invoices with an outstanding amount past their due date. "
		"No data for a customer never invoiced.",
		INVOICES,
	),
	MeasureDefinition(
		"overdue_share", "Overdue Share of Billing", BILLING, "%", 0, 50, 10,
		"Overdue outstanding amount as a percentage of the amount billed in the last 365 days.",
		INVOICES,
	),
	MeasureDefinition(
		"avg_days_paid_late", "Average Days Paid Late", BILLING, "days", 0, 30, 10,
		"For invoices of the last 365 days paid in full through Payment Entries: days between the due "
		"date and the last payment, 0 when paid on time, averaged.",
		INVOICES,
	),
	MeasureDefinition(
		"days_to_renewal", "Days to Renewal", RENEWAL, "days", 90, 0, 5,
		"Days until the end of the customer's nearest Subscription or Contract term not yet renewed "
		"(revenue ledger).",
		LEDGER,
	),
	MeasureDefinition(
		"renewal_standing", "Customer Standing", RENEWAL, "%", 100, 0, 15,
		"100 while the customer is active (recurring revenue or a signed agreement, revenue ledger), "
		"0 once it has churned. No data for one that never was a customer.",
		LEDGER,
	),
	MeasureDefinition(
		"mrr_change_90d", "MRR Change in 90 Days", RENEWAL, "%", 0, -30, 5,
		"Today's recurring revenue against 90 days ago, in percent (revenue ledger): expansion scores "
		"100, a fall of 30 % or more scores 0. No data without recurring revenue 90 days ago.",
		LEDGER,
	),
	MeasureDefinition(
		"account_nps", "Account NPS", SURVEYS, "-100-100", 50, -50, 10,
		"Net Promoter Score of the account's respondents over the last 365 days: each contact's latest "
		"answer counts once (promoters 9-10 minus detractors 0-6, in percent).",
		SURVEY_RESPONSES,
	),
	MeasureDefinition(
		"avg_csat", "Average CSAT", SURVEYS, "1-5", 4.5, 2, 5,
		"Mean CSAT answer (1-5) in the last 180 days.",
		SURVEY_RESPONSES,
	),
	MeasureDefinition(
		"avg_ces", "Average CES", SURVEYS, "1-7", 6, 3, 5,
		"Mean Customer Effort Score answer (1-7, 7 = very easy) in the last 180 days.",
		SURVEY_RESPONSES,
	),
	MeasureDefinition(
		"days_since_touchpoint", "Days Since Last Touchpoint", ENGAGEMENT, "days", 14, 90, 5,
		"Days since the team's most recent touchpoint with the customer (not tickets or surveys).",
		TOUCHPOINTS,
	),
	MeasureDefinition(
		"touchpoints_90d", "Touchpoints in 90 Days", ENGAGEMENT, "touchpoints", 6, 0, 5,
		"The team's touchpoints with the customer in the last 90 days (not tickets or surveys).",
		TOUCHPOINTS,
	),
	MeasureDefinition(
		"days_since_activity", "Days Since Last Activity", ENGAGEMENT, "days", 30, 180, 10,
		"Days since the customer's latest invoice, ticket, touchpoint or usage record. No data for a "
		"customer with none of them.",
		ACTIVITY,
	),
	MeasureDefinition(
		"success_plan_progress", "Success Plan Progress", ENGAGEMENT, "%", 100, 0, 5,
		"Average progress of the customer's active success plans.",
		SUCCESS_PLANS,
	),
	MeasureDefinition(
		"overdue_plan_items", "Overdue Success Plan Items", ENGAGEMENT, "items", 0, 3, 5,
		"Milestones and tasks of active success plans past their due date and not done.",
		SUCCESS_PLANS,
	),
	MeasureDefinition(
		"usage", "Product Usage", USAGE, "0-100", 80, 10, 10,
		"Latest value of the usage metric \"usage\" pushed by a product system through the API in the "
		"last 30 days. Other metrics become measures of their own (Health Measure, Usage Metric).",
		USAGE_RECORDS,
		"usage",
	),
)  # fmt: skip

MEASURES_BY_KEY: dict[str, MeasureDefinition] = {m.key: m for m in MEASURES}


def default_rules() -> list[MeasureRule]:
	return [m.default_rule() for m in MEASURES if m.default_weight > 0]
