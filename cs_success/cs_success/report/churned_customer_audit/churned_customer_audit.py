# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

"""Every churn in the period from the revenue ledger (Customer Lifecycle Event "Churned", dated the first
day the customer was no longer active), with the MRR it took at the company, the reason, the customer's
health before it and its last survey answers; or, per segment, how many left and how much MRR went."""

from collections import defaultdict
from datetime import date, timedelta

import frappe
from frappe import _
from frappe.utils import add_days, getdate

from cs_success.analytics import check_report_range, column, customer_attributes, interactive_report, summary
from cs_success.base.permissions import require_revenue_access, segment_customers
from cs_success.engine.ledger import CHURNED
from cs_success.health.snapshots import health_on_or_before_each
from cs_success.ledger.queries import (
	active_counts_by_group_and_territory,
	active_on_days,
	lifecycle_events,
	mrr_lost_at_churn,
)
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

SEGMENTS = "Segments"
DIMENSIONS = {
	"Customer Group": "customer_group",
	"Territory": "territory",
	"Churn Reason": "churn_reason",
	"Size Band": "size_band",
}
# Segments that are a property of a customer before it left, so a churn rate against those active at
# the start means something; a churn reason or the MRR lost is only known once it left.
RATE_DIMENSIONS = ("customer_group", "territory")


@interactive_report("Churned Customer Audit")
@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	require_revenue_access()
	check_report_range(filters.from_date, filters.to_date)
	company = report_company(filters)
	currency = company_currency(company)
	customers = segment_customers(filters)
	events = get_data(filters, company, currency, customers)
	chart_field = DIMENSIONS.get(filters.get("group_by"), "customer_group")
	if filters.get("view") == SEGMENTS:
		columns, data = segment_columns(), segment_rows(events, filters, customers, currency)
	else:
		columns, data = get_columns(), events
	return columns, data, get_message(), get_chart(events, chart_field), get_summary(events, currency)


def get_data(filters, company: str, currency: str, customers) -> list[dict]:
	events = lifecycle_events(CHURNED, getdate(filters.from_date), getdate(filters.to_date), customers)
	if not events:
		return []
	names = {event.customer for event in events}
	attributes = customer_attributes(names)
	lost = mrr_lost_at_churn(company, events)
	health = health_before(events)
	last_nps = latest_nps(names)
	exit_answers = exit_survey_answers(names)
	medium_from = float(filters.get("medium_from") or 10000)
	large_from = float(filters.get("large_from") or 100000)
	data = []
	for event in events:
		attrs = attributes.get(event.customer) or frappe._dict()
		mrr = lost.get(event.name)
		score, band, as_of = health.get(event.name, (None, None, None))
		data.append(
			{
				"customer": event.customer,
				"customer_name": attrs.customer_name,
				"customer_group": attrs.customer_group,
				"territory": attrs.territory,
				"churn_date": event.event_date,
				"churn_reason": event.churn_reason,
				"churn_reason_source": event.churn_reason_source,
				"churn_notes": event.churn_notes,
				"mrr_lost": mrr,
				"size_band": size_band(mrr, medium_from, large_from),
				"health_score": score if band != "No Data" else None,
				"health_band": band,
				"health_date": as_of,
				"last_nps": last_nps.get(event.customer),
				"exit_answers": exit_answers.get(event.customer),
				CURRENCY_FIELD: currency,
			}
		)
	return data


def health_before(events: list) -> dict:
	"""event -> (score, band, date) of the customer's health (health/snapshots.py) on the day before the
	churn date: its last Daily snapshot before it, if no more than a month old.

	Until issue 21 the last one before it however old: a snapshot from long before says nothing about the
	customer when it left, and every other reader of health history uses the one window."""
	before = {event.name: (event.customer, getdate(event.event_date) - timedelta(days=1)) for event in events}
	health = health_on_or_before_each(before.values())
	return {name: health[pair] for name, pair in before.items() if pair in health}


def size_band(mrr: float | None, medium_from: float, large_from: float) -> str | None:
	"""By the ARR lost (12 x MRR); none when no MRR at this company was lost."""
	if mrr is None:
		return None
	arr = 12 * mrr
	return _("Large") if arr >= large_from else _("Medium") if arr >= medium_from else _("Small")


def latest_nps(customers) -> dict:
	if not customers:
		return {}
	rows = frappe.get_all(
		"Survey Response",
		filters={"customer": ("in", list(customers)), "headline_type": "NPS"},
		fields=["customer", "headline_score"],
		order_by="submitted_on desc",
	)
	latest = {}
	for row in rows:
		latest.setdefault(row.customer, row.headline_score)
	return latest


def exit_survey_answers(customers) -> dict:
	"""The latest exit-survey answers per customer, as one line."""
	if not customers:
		return {}
	rows = frappe.db.sql(
		"""
		SELECT r.customer, r.name, a.question, a.score, a.has_score, a.answer, r.comment
		FROM `tabSurvey Response` r
		JOIN `tabSurvey Campaign` c ON c.name = r.campaign AND c.purpose = 'Exit'
		JOIN `tabSurvey Answer` a ON a.parent = r.name AND a.parenttype = 'Survey Response'
		WHERE r.customer IN %(customers)s
		ORDER BY r.submitted_on DESC, a.idx
		""",
		{"customers": tuple(customers)},
		as_dict=True,
	)
	first_response, lines = {}, {}
	for row in rows:
		response = first_response.setdefault(row.customer, row.name)
		if response != row.name:
			continue
		value = row.score if row.has_score else row.answer
		lines.setdefault(row.customer, []).append(f"{_(row.question)} {value}")
		if row.comment and f"{_('Comment')}: {row.comment}" not in lines[row.customer]:
			lines[row.customer].append(f"{_('Comment')}: {row.comment}")
	return {customer: " · ".join(parts) for customer, parts in lines.items()}


def segment_rows(events: list[dict], filters, customers, currency: str) -> list[dict]:
	"""Per dimension a heading row, then per value: customers lost, MRR lost and their shares; for customer
	group and territory also how many were active the day before the period and the share of those who
	churned in it."""
	day_before = getdate(add_days(getdate(filters.from_date), -1))
	active = active_at_start(day_before, customers)
	all_lost = {row["customer"] for row in events}
	# Of the customers who churned, those who were active the day before the period.
	were_active = active_on_days([day_before], all_lost)[day_before] if all_lost else set()
	all_mrr = sum(row["mrr_lost"] or 0 for row in events)
	data = []
	for label, field in DIMENSIONS.items():
		# A heading: its figures are the rows under it, so it shows none (not 0) itself.
		heading = dict.fromkeys(
			("customers_lost", "share_lost", "mrr_lost", "share_mrr_lost", "active_at_start", "churn_rate")
		)
		data.append({**heading, "segment": _(label), "indent": 0, "bold": 1, CURRENCY_FIELD: currency})
		by_value = defaultdict(list)
		for row in events:
			by_value[row[field] or _("Not Set")].append(row)
		started = active.get(field, {})
		for value in sorted(set(by_value) | set(started)):
			rows = by_value.get(value, [])
			lost = {row["customer"] for row in rows}
			mrr = sum(row["mrr_lost"] or 0 for row in rows)
			rated = field in RATE_DIMENSIONS
			data.append(
				{
					"segment": value,
					"indent": 1,
					"customers_lost": len(lost),
					"share_lost": share(len(lost), len(all_lost)),
					"mrr_lost": mrr,
					"share_mrr_lost": share(mrr, all_mrr),
					"active_at_start": started.get(value, 0) if rated else None,
					"churn_rate": share(len(lost & were_active), started.get(value, 0)) if rated else None,
					CURRENCY_FIELD: currency,
				}
			)
	return data


def active_at_start(day: date, customers) -> dict:
	"""{"customer_group": {group: customers active on `day`}, "territory": {...}}, counted in the database."""
	counts = {field: defaultdict(int) for field in RATE_DIMENSIONS}
	for group, territory, count in active_counts_by_group_and_territory(day, customers):
		counts["customer_group"][group or _("Not Set")] += count
		counts["territory"][territory or _("Not Set")] += count
	return counts


def get_columns() -> list[dict]:
	return [
		column("customer", _("Customer"), "Link", 170, "Customer"),
		column("customer_name", _("Customer Name"), "Data", 160),
		column("customer_group", _("Customer Group"), "Link", 140, "Customer Group"),
		column("territory", _("Territory"), "Link", 120, "Territory"),
		column("churn_date", _("Churned On"), "Date", 100),
		column("churn_reason", _("Churn Reason"), "Link", 140, "Churn Reason"),
		column("churn_reason_source", _("Reason From"), "Data", 100),
		column("churn_notes", _("Notes"), "Data", 160),
		money_column("mrr_lost", _("MRR Lost"), 110),
		column("size_band", _("Size"), "Data", 80),
		column("health_score", _("Health Score Before"), "Float", 130, precision=1),
		column("health_band", _("Band Before"), "Data", 100),
		column("health_date", _("Health As Of"), "Date", 100),
		column("last_nps", _("Last NPS Answer"), "Int", 110),
		column("exit_answers", _("Exit Survey"), "Data", 300),
		currency_column(),
	]


def segment_columns() -> list[dict]:
	return [
		column("segment", _("Segment"), "Data", 200),
		column("customers_lost", _("Customers Lost"), "Int", 120),
		column("share_lost", _("Share of Customers Lost %"), "Percent", 170, precision=1),
		money_column("mrr_lost", _("MRR Lost"), 120),
		column("share_mrr_lost", _("Share of MRR Lost %"), "Percent", 150, precision=1),
		column("active_at_start", _("Active at Start"), "Int", 110),
		column("churn_rate", _("Churned of Those %"), "Percent", 140, precision=1),
		currency_column(),
	]


def get_chart(events: list[dict], field: str) -> dict | None:
	if not events:
		return None
	counts = defaultdict(set)
	for row in events:
		counts[row[field] or _("Not Set")].add(row["customer"])
	labels = sorted(counts)
	return {
		"data": {
			"labels": labels,
			"datasets": [{"name": _("Customers Lost"), "values": [len(counts[label]) for label in labels]}],
		},
		"type": "bar",
		"colors": ["#e24c4c"],
	}


def get_summary(events: list[dict], currency: str) -> list[dict]:
	"""Counts are counts (0 when nobody left); the MRR lost and the share with a reason are empty then."""
	customers = len({row["customer"] for row in events})
	mrr = sum(row["mrr_lost"] or 0 for row in events) if events else None
	with_reason = share(sum(1 for row in events if row["churn_reason"]), len(events))
	return [
		summary(customers, _("Churned Customers"), "Int", "Red"),
		money_summary(mrr, _("MRR Lost"), currency, "Red" if mrr else None),
		rate_summary(with_reason, _("With a Churn Reason %")),
	]


def get_message() -> str:
	return _(
		"From the revenue ledger. Churned: the customer's last recurring revenue and signed agreement (at any "
		"company) ended; the date is the first day it was no longer active, and a customer who left twice is "
		"listed twice. MRR Lost: its MRR at the selected company when it went (the Churn movement within the "
		"active span that ended), empty when it had none there; Size by that ARR (12 x MRR). Health: the "
		"last daily snapshot before the churn date, if at most 31 days older than that day. Churned of Those "
		"%: of the customers active the day before the period (in that segment today), the share who churned "
		"in it, even if they came back."
	)
