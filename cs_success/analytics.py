"""Shared, set-based reads for the manager reports: segments, active customers, revenue, periods."""

from __future__ import annotations

from collections import defaultdict
from datetime import date

import frappe
from frappe import _
from frappe.utils import add_days, add_months, get_first_day, get_last_day, getdate

AGREEMENTS = "An Active Subscription or Contract"
INVOICES = "An Invoice Within the Window"
PERIOD_MONTHS = {"Monthly": 1, "Quarterly": 3, "Yearly": 12}
FAR_FUTURE = "9999-12-31"


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


def active_definition(filters) -> tuple[str, int]:
	settings = frappe.get_cached_doc("CS Settings")
	definition = filters.get("active_definition") or settings.active_customer_definition or AGREEMENTS
	window = int(filters.get("invoice_window_days") or settings.active_invoice_window_days or 365)
	return definition, window


def describe_active(definition: str, window: int) -> str:
	if definition == INVOICES:
		return _(
			"A customer counts as active on a day when it has a submitted sales invoice in the {0} days up to that day."
		).format(window)
	return _(
		"A customer counts as active on a day when a Subscription or Contract of theirs covers that day "
		"(started, not ended, not cancelled)."
	)


def active_on_days(
	days: list[date], definition: str, window: int, customers: list[str] | None
) -> dict[date, set[str]]:
	"""Who was active on each of the given days, in one pass over the tables: a conditional
	aggregate per day, so a report with many periods still scans subscriptions, contracts or
	invoices once."""
	days = sorted({getdate(day) for day in days})
	if not days:
		return {}
	params = {f"day{i}": day for i, day in enumerate(days)}
	if definition == INVOICES:
		condition, segment = customer_filter("customer", customers)
		flags = ", ".join(
			f"MAX(posting_date > %(since{i})s AND posting_date <= %(day{i})s)" for i in range(len(days))
		)
		params |= {f"since{i}": add_days(day, -window) for i, day in enumerate(days)}
		rows = frappe.db.sql(
			f"""SELECT customer, {flags} FROM `tabSales Invoice`
			WHERE docstatus = 1 AND is_return = 0 AND posting_date > %(first_since)s
				AND posting_date <= %(last_day)s {condition}
			GROUP BY customer""",
			{**params, **segment, "first_since": add_days(days[0], -window), "last_day": days[-1]},
		)
	else:
		sub_condition, segment = customer_filter("party", customers)
		contract_condition, _segment = customer_filter("party_name", customers)
		# A subscription covers a day when it started, has not ended and was not cancelled by then.
		flags = ", ".join(
			f"MAX(started_on <= %(day{i})s AND ended_on >= %(day{i})s)" for i in range(len(days))
		)
		rows = frappe.db.sql(
			f"""
			SELECT customer, {flags} FROM (
				SELECT party AS customer, start_date AS started_on,
					LEAST(COALESCE(end_date, %(far)s),
						COALESCE(DATE_SUB(cancelation_date, INTERVAL 1 DAY), %(far)s)) AS ended_on
				FROM `tabSubscription`
				WHERE party_type = 'Customer' AND start_date <= %(last_day)s {sub_condition}
				UNION ALL
				SELECT party_name, start_date, COALESCE(end_date, %(far)s)
				FROM `tabContract`
				WHERE party_type = 'Customer' AND docstatus < 2 AND start_date <= %(last_day)s
					{contract_condition}
			) agreements
			WHERE ended_on >= %(first_day)s
			GROUP BY customer
			""",
			{**params, **segment, "far": FAR_FUTURE, "first_day": days[0], "last_day": days[-1]},
		)
	active = {day: set() for day in days}
	for customer, *flags in rows:
		for day, flag in zip(days, flags, strict=True):
			if flag:
				active[day].add(customer)
	return active


def active_at_period_bounds(
	start: date, end: date, definition: str, window: int, customers: list[str] | None
) -> tuple[set[str], set[str]]:
	"""The period rule every retention figure uses: S is who was active the day before the period
	began, E who is active on its last day."""
	before = add_days(getdate(start), -1)
	active = active_on_days([before, end], definition, window, customers)
	return active[before], active[getdate(end)]


def first_activity(definition: str, customers: list[str] | None) -> dict[str, date]:
	"""When each customer first became active: its first agreement or its first invoice."""
	if definition == INVOICES:
		condition, params = customer_filter("customer", customers)
		rows = frappe.db.sql(
			f"""SELECT customer, MIN(posting_date) FROM `tabSales Invoice`
			WHERE docstatus = 1 AND is_return = 0 {condition} GROUP BY customer""",
			params,
		)
	else:
		sub_condition, params = customer_filter("party", customers)
		contract_condition, _params = customer_filter("party_name", customers)
		rows = frappe.db.sql(
			f"""
			SELECT customer, MIN(started_on) FROM (
				SELECT party AS customer, start_date AS started_on FROM `tabSubscription`
				WHERE party_type = 'Customer' {sub_condition}
				UNION ALL
				SELECT party_name, start_date FROM `tabContract`
				WHERE party_type = 'Customer' AND docstatus < 2 {contract_condition}
			) agreements GROUP BY customer
			""",
			params,
		)
	return {customer: getdate(started) for customer, started in rows if started}


def acquired_between(first: dict[str, date], start: date, end: date) -> set[str]:
	return {customer for customer, began in first.items() if start < began <= end}


def revenue_by_customer(from_date: date, to_date: date, customers: list[str] | None) -> dict[str, float]:
	"""Net invoiced amount (company currency, returns subtracted) per customer in the window, from the
	companies the user may see."""
	require_revenue_access()
	condition, params = customer_filter("customer", customers)
	company_condition, company_params = company_filter("company")
	rows = frappe.db.sql(
		f"""SELECT customer, SUM(base_net_total) FROM `tabSales Invoice`
		WHERE docstatus = 1 AND posting_date BETWEEN %(from_date)s AND %(to_date)s {condition}
			{company_condition}
		GROUP BY customer""",
		{"from_date": from_date, "to_date": to_date, **params, **company_params},
	)
	return {customer: float(amount or 0) for customer, amount in rows}


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


BAND_COLORS = {"Healthy": "Green", "At Risk": "Orange", "Critical": "Red", "No Data": "Grey"}
BANDS = ("Healthy", "At Risk", "Critical", "No Data")
