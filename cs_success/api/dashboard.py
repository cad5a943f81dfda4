"""Number cards for the Customer Success workspace.

A card with no data shows "-", never 0: Frappe shows a plain string as it is, and formats a
{"value", "fieldtype"} answer. Cards are about the customers we have now: disabled customers' old
health rows, responses and renewals are left out, and so are the customers the user's User Permissions (on
Customer, Territory, Customer Group) leave out (cs_success.analytics)."""

from datetime import date

import frappe
from frappe.utils import add_days, add_months, fmt_money, getdate, now_datetime, today

from cs_success.base.permissions import (
	may_see_revenue,
	permitted_values,
	segment_customers,
	visible_customers_only,
)
from cs_success.engine.health_score import AT_RISK, BAND_ORDER, CHURNED, CRITICAL, NO_DATA
from cs_success.engine.survey_metrics import csat_percent, nps
from cs_success.ledger.queries import (
	PENDING,
	company_has_mrr,
	count_renewals_due,
	mrr_company,
	revenue_retention_over,
	total_mrr_on,
)
from cs_success.ledger_reports import company_currency

NO_DATA_SHOWN = "-"


def _headline_scores(headline_type: str, days: int = 90) -> list[int]:
	return frappe.get_all(
		"Survey Response",
		filters=visible_customers_only(
			{"headline_type": headline_type, "submitted_on": (">=", add_days(now_datetime(), -days))}
		),
		pluck="headline_score",
	)


def _card(value, fieldtype: str, precision: int | None = None) -> dict | str:
	if value is None:
		return NO_DATA_SHOWN
	if precision is None:
		precision = 1 if fieldtype == "Float" else 0
	# "0" as a string: Frappe's Percent formatter takes a numeric 0 for "not set" and shows 3 decimals.
	return {"value": value, "fieldtype": fieldtype, "precision": precision or "0"}


@frappe.whitelist()
def nps_last_90_days(filters: str | list | dict | None = None) -> dict | str:
	frappe.has_permission("Survey Response", "read", throw=True)
	value = nps(_headline_scores("NPS"))
	return _card(round(value) if value is not None else None, "Int")  # NPS is a whole number


@frappe.whitelist()
def nps_vs_benchmark_last_90_days(filters: str | list | dict | None = None) -> dict | str:
	"""NPS of the last 90 days minus the benchmark of those answers' customer groups (CS Settings): "-"
	without answers or without a benchmark for any of them."""
	from cs_success.surveys.benchmarks import benchmark_of_answers

	frappe.has_permission("Survey Response", "read", throw=True)
	rows = frappe.get_all(
		"Survey Response",
		filters=visible_customers_only(
			{"headline_type": "NPS", "submitted_on": (">=", add_days(now_datetime(), -90))}
		),
		fields=["headline_score", "customer"],
	)
	value = nps([row.headline_score for row in rows])
	benchmark = benchmark_of_answers([row.customer for row in rows]) if value is not None else None
	return _card(round(value - benchmark) if benchmark is not None else None, "Int")


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
	"""At Risk or Critical; "-" when nobody has been scored yet (0 would look like good news). The card has
	no colour of its own: a fixed red would paint a count of 0 as an alarm."""
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
	count = count_renewals_due(
		today(), add_days(today(), 30), PENDING, customers=permitted_values("Customer"), enabled_only=True
	)
	return _card(count, "Int")


# Revenue cards: the revenue reports' figures for today and the last full quarter, from the ledger
# (cs_success.ledger.queries), under the revenue reports' rules: only for users who may read Sales Invoices
# (others get "-", never 0), at the user's default company (mrr_company's rule) in its currency, over the
# customers the user's User Permissions allow. Like the revenue reports, and unlike the health cards, they
# keep disabled customers: their revenue is history the ledger keeps.


def _revenue_company() -> str | None:
	"""The company of "MRR now" for this user (ledger/queries.py mrr_company: their default company), if
	the user may see revenue there; None otherwise."""
	if not may_see_revenue():
		return None
	company = mrr_company(user=frappe.session.user)
	allowed = permitted_values("Company")
	if not company or (allowed is not None and company not in allowed):
		return None
	return company


def _revenue_customers() -> list[str] | None:
	"""The customers the revenue reports show without a segment filter (None: everyone)."""
	return segment_customers(frappe._dict())


def _mrr_now(company: str) -> float | None:
	"""None when none of the user's customers ever had MRR there (0 would claim a figure)."""
	customers = _revenue_customers()
	if not company_has_mrr(company, customers):
		return None
	return total_mrr_on(company, today(), customers)


def _money(value: float | None, company: str) -> str:
	"""Formatted here, in the company's currency: Frappe's card would format it in the site's default."""
	if value is None:
		return NO_DATA_SHOWN
	return fmt_money(value, currency=company_currency(company))


@frappe.whitelist()
def mrr_now(filters: str | list | dict | None = None) -> str:
	"""Recurring revenue normalised to a month, today (the MRR Movements report's MRR on a day)."""
	frappe.has_permission("Customer Health", "read", throw=True)
	company = _revenue_company()
	if not company:
		return NO_DATA_SHOWN
	value = _mrr_now(company)
	return _money(round(value, 2) if value is not None else None, company)


@frappe.whitelist()
def arr_now(filters: str | list | dict | None = None) -> str:
	"""ARR = 12 x MRR, today."""
	frappe.has_permission("Customer Health", "read", throw=True)
	company = _revenue_company()
	if not company:
		return NO_DATA_SHOWN
	value = _mrr_now(company)
	return _money(round(12 * value, 2) if value is not None else None, company)


def this_quarter_start(day=None) -> date:
	"""The first day of the calendar quarter `day` (default: today) is in."""
	day = getdate(day or today())
	return date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def last_full_quarter(day=None) -> tuple[date, date]:
	"""The calendar quarter that ended last before `day` (default: today)."""
	this_quarter = this_quarter_start(day)
	start = getdate(add_months(this_quarter, -3))
	return start, getdate(add_days(this_quarter, -1))


@frappe.whitelist()
def nrr_last_quarter(filters: str | list | dict | None = None) -> dict | str:
	"""Net revenue retention of the last full calendar quarter, as the Revenue Retention report shows that
	quarter (DOMAIN.md): (start + expansion - contraction - churned) / start over the customers with MRR
	the day before it began. "-" when nobody had MRR then."""
	frappe.has_permission("Customer Health", "read", throw=True)
	company = _revenue_company()
	if not company:
		return NO_DATA_SHOWN
	start, end = last_full_quarter()
	value = revenue_retention_over(company, start, end, _revenue_customers()).nrr
	return _card(round(value, 2) if value is not None else None, "Percent", 2)


# Growth ---------------------------------------------------------------------------------------------------


@frappe.whitelist()
def open_expansion_pipeline(filters: str | list | dict | None = None) -> str:
	"""The amount of the open expansion opportunities (growth/opportunities.py): "-" when there are none."""
	from cs_success.growth.opportunities import open_pipeline_value

	frappe.has_permission("Customer Health", "read", throw=True)
	company = _revenue_company()
	if not company:
		return NO_DATA_SHOWN
	return _money(open_pipeline_value(company, _revenue_customers()), company)


@frappe.whitelist()
def cs_sourced_expansion_this_quarter(filters: str | list | dict | None = None) -> str:
	"""Expansion MRR this quarter that followed an expansion opportunity (within 120 days): "-" when the
	ledger shows no expansion at all this quarter."""
	from cs_success.growth.opportunities import cs_sourced_expansion

	frappe.has_permission("Customer Health", "read", throw=True)
	company = _revenue_company()
	if not company:
		return NO_DATA_SHOWN
	sourced, everything = cs_sourced_expansion(this_quarter_start(), today(), company, _revenue_customers())
	return _money(round(sourced, 2) if everything else None, company)


@frappe.whitelist()
def referred_mrr(filters: str | list | dict | None = None) -> str:
	"""The New MRR of the customers made from referred leads (growth/advocacy.py), of the advocates the user
	may see: "-" while no referred customer shows New MRR in the ledger."""
	from cs_success.growth.advocacy import referred_revenue

	frappe.has_permission("Customer Health", "read", throw=True)
	company = _revenue_company()
	if not company:
		return NO_DATA_SHOWN
	amounts = [
		entry.mrr
		for entry in referred_revenue(company, _revenue_customers()).values()
		if entry.mrr is not None
	]
	return _money(round(sum(amounts), 2) if amounts else None, company)
