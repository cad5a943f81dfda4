"""Number cards for the Customer Success workspace.

A card with no data shows "-", never 0: Frappe shows a plain string as it is, and formats a
{"value", "fieldtype"} answer. Cards are about the customers we have now: disabled customers' old
health rows, responses and renewals are left out, and so are the customers the user's User Permissions (on
Customer, Territory, Customer Group) leave out (cs_success.analytics)."""

import frappe
from frappe.utils import add_days, now_datetime, today

from cs_success.analytics import visible_customers_only
from cs_success.engine.health_score import AT_RISK, BAND_ORDER, CHURNED, CRITICAL, NO_DATA
from cs_success.engine.survey_metrics import csat_percent, nps

NO_DATA_SHOWN = "-"


def _headline_scores(headline_type: str, days: int = 90) -> list[int]:
	return frappe.get_all(
		"Survey Response",
		filters=visible_customers_only(
			{"headline_type": headline_type, "submitted_on": (">=", add_days(now_datetime(), -days))}
		),
		pluck="headline_score",
	)


def _card(value, fieldtype: str) -> dict | str:
	if value is None:
		return NO_DATA_SHOWN
	# "0" as a string: Frappe's Percent formatter takes a numeric 0 for "not set" and shows 3 decimals.
	return {"value": value, "fieldtype": fieldtype, "precision": 1 if fieldtype == "Float" else "0"}


@frappe.whitelist()
def nps_last_90_days(filters: str | list | dict | None = None) -> dict | str:
	frappe.has_permission("Survey Response", "read", throw=True)
	value = nps(_headline_scores("NPS"))
	return _card(round(value) if value is not None else None, "Int")  # NPS is a whole number


@frappe.whitelist()
def csat_last_90_days(filters: str | list | dict | None = None) -> dict | str:
	frappe.has_permission("Survey Response", "read", throw=True)
	value = csat_percent(_headline_scores("CSAT"))
	return _card(round(value) if value is not None else None, "Percent")


def _scored() -> list:
	return visible_customers_only({"band": ("!=", NO_DATA)})


@frappe.whitelist()
def average_customer_health(filters: str | list | dict | None = None) -> dict | str:
	"""Over the customers a band is claimed for: not a score on too little data, nor one who left."""
	frappe.has_permission("Customer Health", "read", throw=True)
	value = frappe.get_all(
		"Customer Health",
		filters=visible_customers_only({"band": ("in", BAND_ORDER)}),
		fields=["avg(score) as average"],
	)[0].average
	return _card(round(value) if value is not None else None, "Int")


@frappe.whitelist()
def health_data_coverage(filters: str | list | dict | None = None) -> dict | str:
	"""The average share of the scorecards' weight that had data, over every scored customer still
	with us: how much the scores above rest on."""
	frappe.has_permission("Customer Health", "read", throw=True)
	value = frappe.get_all(
		"Customer Health",
		filters=visible_customers_only({"band": ("not in", (NO_DATA, CHURNED))}),
		fields=["avg(data_coverage) as average"],
	)[0].average
	return _card(round(value) if value is not None else None, "Percent")


@frappe.whitelist()
def customers_at_risk(filters: str | list | dict | None = None) -> dict | str:
	"""At Risk or Critical; "-" when nobody has been scored yet (0 would look like good news)."""
	frappe.has_permission("Customer Health", "read", throw=True)
	if not frappe.get_all("Customer Health", filters=_scored(), limit=1):
		return NO_DATA_SHOWN
	at_risk = frappe.get_all(
		"Customer Health",
		filters=visible_customers_only({"band": ("in", (AT_RISK, CRITICAL))}),
		fields=["count(name) as n"],
	)[0].n
	return _card(at_risk, "Int")


@frappe.whitelist()
def renewals_due_in_30_days(filters: str | list | dict | None = None) -> dict | str:
	"""Contract and subscription terms of the revenue ledger that end in the next 30 days, not yet
	renewed (signed, submitted agreements only)."""
	frappe.has_permission("Customer Health", "read", throw=True)
	count = frappe.get_all(
		"Agreement Renewal",
		filters=visible_customers_only(
			{"outcome": "Pending", "due_date": ("between", (today(), add_days(today(), 30)))}
		),
		fields=["count(name) as n"],
	)[0].n
	return _card(count, "Int")
