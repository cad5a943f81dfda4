"""Shared, set-based reads for the manager reports: segments, active customers, revenue, periods."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import frappe
from frappe import _
from frappe.utils import add_days, add_months, get_first_day, get_last_day, getdate

PERIOD_MONTHS = {"Monthly": 1, "Quarterly": 3, "Yearly": 12}


def segment_customers(filters) -> list[str] | None:
	"""Customers in the chosen customer group and territory (with their children), and among those the
	user's User Permissions allow; None: no filter at all."""
	conditions = {}
	if filters.get("customer_group"):
		conditions["customer_group"] = ("descendants of (inclusive)", filters.customer_group)
	if filters.get("territory"):
		conditions["territory"] = ("descendants of (inclusive)", filters.territory)
	allowed = permitted_values("Customer")
	if allowed is not None:
		conditions["name"] = ("in", allowed or [""])
	if not conditions:
		return None
	return frappe.get_all("Customer", filters=conditions, pluck="name")


# Disabled customers. Recompute skips them, but their last Customer Health row (and snapshots) stay
# as history; the present-tense surfaces (number cards, health reports, survey audiences) leave them
# out through these two helpers, one for get_all filters and one for SQL. The ledger and revenue
# reports are history and keep them.


def enabled_customers_only(filters: dict | list | None = None, field: str = "customer") -> list:
	"""get_all filters (a dict or a list) plus: `field` is not a disabled Customer. Disabled customers
	are few, so a NOT IN list is cheap and needs no join."""
	if isinstance(filters, dict):
		filters = [
			[key, *value] if isinstance(value, list | tuple) else [key, "=", value]
			for key, value in filters.items()
		]
	filters = list(filters or [])
	disabled = frappe.get_all("Customer", filters={"disabled": 1}, pluck="name")
	if disabled:
		filters.append([field, "not in", disabled])
	return filters


def enabled_customer_condition(column: str) -> str:
	"""SQL: ` AND <column> is a Customer that is not disabled` (a semi-join on the primary key)."""
	return f" AND {column} IN (SELECT name FROM `tabCustomer` WHERE disabled = 0)"


def permitted_values(doctype: str) -> list[str] | None:
	"""The records of `doctype` the session user is restricted to by User Permissions; None: none set.
	Our reports read with SQL for speed, so they apply these themselves."""
	from frappe.permissions import get_user_permissions

	restrictions = get_user_permissions(frappe.session.user).get(doctype)
	return [row.get("doc") for row in restrictions] if restrictions else None


def may_see_revenue() -> bool:
	"""Revenue per customer is Sales Invoice data: only for users who may read Sales Invoices."""
	return bool(frappe.has_permission("Sales Invoice", "read"))


def require_revenue_access() -> None:
	if not may_see_revenue():
		raise frappe.PermissionError(
			_("This report shows revenue per customer: it needs permission to read Sales Invoices.")
		)


def customer_filter(column: str, customers: list[str] | None) -> tuple[str, dict]:
	if customers is None:
		return "", {}
	return f" AND {column} IN %(segment)s", {"segment": tuple(customers) or ("",)}


def company_filter(column: str) -> tuple[str, dict]:
	"""Only the companies the user's User Permissions allow, when they restrict Company."""
	companies = permitted_values("Company")
	if companies is None:
		return "", {}
	return f" AND {column} IN %(permitted_companies)s", {"permitted_companies": tuple(companies)}


def periods(from_date: date, to_date: date, periodicity: str) -> list[tuple[date, date]]:
	"""Calendar periods covering the range, clipped to it."""
	months = PERIOD_MONTHS.get(periodicity, 1)
	from_date, to_date = getdate(from_date), getdate(to_date)
	result = []
	start = get_first_day(from_date)
	if months == 3:
		start = date(start.year, 3 * ((start.month - 1) // 3) + 1, 1)
	elif months == 12:
		start = date(start.year, 1, 1)
	while start <= to_date:
		end = get_last_day(add_months(start, months - 1))
		result.append((max(start, from_date), min(end, to_date)))
		start = add_days(end, 1)
	return result


def customer_attributes(
	customers, fields=("customer_name", "customer_group", "territory", "account_manager")
):
	if not customers:
		return {}
	return {
		row.name: row
		for row in frappe.get_all(
			"Customer", filters={"name": ("in", list(customers))}, fields=["name", *fields]
		)
	}


def group_by(rows, key) -> dict:
	grouped = defaultdict(list)
	for row in rows:
		grouped[key(row)].append(row)
	return grouped


def column(
	fieldname: str,
	label: str,
	fieldtype: str = "Data",
	width: int = 120,
	options: str | None = None,
	precision: int | None = None,
) -> dict:
	col = {"fieldname": fieldname, "label": label, "fieldtype": fieldtype, "width": width}
	if options:
		col["options"] = options
	if precision is not None:
		col["precision"] = precision
	return col


def summary(value, label: str, datatype: str = "Float", indicator: str | None = None) -> dict:
	item = {"value": value, "label": label, "datatype": datatype}
	if indicator:
		item["indicator"] = indicator
	return item


# Only Healthy is ever green: the bands that say "we cannot tell" or "gone" are grey.
BAND_COLORS = {
	"Healthy": "Green",
	"At Risk": "Orange",
	"Critical": "Red",
	"Insufficient Data": "Grey",
	"Churned": "Grey",
	"No Data": "Grey",
}
# The same colours for charts, in the order of BANDS.
BAND_CHART_COLORS = {
	"Healthy": "#29cd42",
	"At Risk": "#ffa00a",
	"Critical": "#e24c4c",
	"Insufficient Data": "#a8b0b8",
	"Churned": "#5f6b77",
	"No Data": "#d8dde2",
}
BANDS = tuple(BAND_COLORS)
