"""What the ledger reports (Cohort Retention, Customer Lifetime Value, Churned Customer Audit, Renewal Rate)
share: the company whose money they show and its currency, month ends, money columns and summaries, and
indicators that only ever colour a figure that exists."""

from datetime import date

import frappe
from frappe import _
from frappe.utils import add_months, get_last_day, getdate

from cs_success.analytics import column, summary
from cs_success.base.permissions import permitted_values
from cs_success.ledger.queries import mrr_company

# Report rows carry their company's currency under this key: a Currency column with options "currency"
# formats each cell in it (the Company:company:default_currency form would look for a `company` key in
# the row, then fall back to the user's default company, not the one in the filter).
CURRENCY_FIELD = "currency"


def report_company(filters) -> str:
	"""The company whose money the report shows (ledger/queries.py mrr_company: the filter, else the user's
	default company, else the site's). A user whom User Permissions restrict to other companies may not
	pick this one."""
	company = mrr_company(filters.get("company"), frappe.session.user)
	if not company:
		frappe.throw(_("Select a company: money is shown in one company's currency."))
	allowed = permitted_values("Company")
	if allowed is not None and company not in allowed:
		raise frappe.PermissionError(
			_("You are not permitted to see the figures of company {0}.").format(company)
		)
	return company


def company_currency(company: str) -> str:
	return frappe.get_cached_value("Company", company, "default_currency")


def money_column(fieldname: str, label: str, width: int = 120) -> dict:
	return column(fieldname, label, "Currency", width, CURRENCY_FIELD)


def currency_column() -> dict:
	return {**column(CURRENCY_FIELD, _("Currency"), "Link", 80, "Currency"), "hidden": 1}


def money_summary(value, label: str, currency: str, indicator: str | None = None) -> dict:
	item = summary(value, label, "Currency", indicator if value is not None else None)
	item["currency"] = currency
	return item


def rate_summary(value: float | None, label: str, indicator: str | None = None) -> dict:
	"""A percentage, rounded; empty and uncoloured when there is nothing to divide by."""
	if value is None:
		return summary(None, label, "Percent")
	return summary(round(value, 2), label, "Percent", indicator)


def share(part: float, whole: float) -> float | None:
	"""part / whole in percent; None, not 0, when there is no whole."""
	return 100.0 * part / whole if whole else None


def retention_indicator(value: float | None) -> str | None:
	"""The heat map's scale, for a summary figure: only a figure that exists is coloured."""
	if value is None:
		return None
	if value >= 90:
		return "Green"
	return "Orange" if value >= 70 else "Red"


def month_end(month: date, months_later: int = 0) -> date:
	return getdate(get_last_day(add_months(month, months_later)))


def first_of_month(day) -> date:
	day = getdate(day)
	return date(day.year, day.month, 1)


def months_from(first: date, last: date) -> list[date]:
	"""The first day of every month from `first`'s month to `last`'s."""
	month, stop, result = first_of_month(first), first_of_month(last), []
	while month <= stop:
		result.append(month)
		month = getdate(add_months(month, 1))
	return result
