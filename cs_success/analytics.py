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
	"""Customers in the chosen customer group and territory (with their children); None: no filter."""
	conditions = {}
	if filters.get("customer_group"):
		conditions["customer_group"] = ("descendants of (inclusive)", filters.customer_group)
	if filters.get("territory"):
		conditions["territory"] = ("descendants of (inclusive)", filters.territory)
	if not conditions:
		return None
	return frappe.get_all("Customer", filters=conditions, pluck="name")


def customer_filter(column: str, customers: list[str] | None) -> tuple[str, dict]:
	if customers is None:
		return "", {}
	return f" AND {column} IN %(segment)s", {"segment": tuple(customers) or ("",)}


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


def active_customers(on: date, definition: str, window: int, customers: list[str] | None) -> set[str]:
	if definition == INVOICES:
		condition, params = customer_filter("customer", customers)
		return set(
			frappe.db.sql_list(
				f"""SELECT DISTINCT customer FROM `tabSales Invoice`
				WHERE docstatus = 1 AND is_return = 0 AND posting_date > %(since)s AND posting_date <= %(on)s {condition}""",
				{"on": on, "since": add_days(on, -window), **params},
			)
		)
	sub_condition, params = customer_filter("party", customers)
	contract_condition, _params = customer_filter("party_name", customers)
	return set(
		frappe.db.sql_list(
			f"""
			SELECT party FROM `tabSubscription`
			WHERE party_type = 'Customer' AND start_date <= %(on)s
				AND COALESCE(end_date, %(far)s) >= %(on)s AND COALESCE(cancelation_date, %(far)s) > %(on)s
				{sub_condition}
			UNION
			SELECT party_name FROM `tabContract`
			WHERE party_type = 'Customer' AND docstatus < 2 AND start_date <= %(on)s
				AND COALESCE(end_date, %(far)s) >= %(on)s {contract_condition}
			""",
			{"on": on, "far": FAR_FUTURE, **params},
		)
	)


def active_at_period_bounds(
	start: date, end: date, definition: str, window: int, customers: list[str] | None
) -> tuple[set[str], set[str]]:
	"""The period rule every retention figure uses: S is who was active the day before the period
	began, E who is active on its last day."""
	return (
		active_customers(add_days(start, -1), definition, window, customers),
		active_customers(end, definition, window, customers),
	)


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
	"""Net invoiced amount (company currency, returns subtracted) per customer in the window."""
	condition, params = customer_filter("customer", customers)
	rows = frappe.db.sql(
		f"""SELECT customer, SUM(base_net_total) FROM `tabSales Invoice`
		WHERE docstatus = 1 AND posting_date BETWEEN %(from_date)s AND %(to_date)s {condition}
		GROUP BY customer""",
		{"from_date": from_date, "to_date": to_date, **params},
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
