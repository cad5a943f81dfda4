# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

from datetime import date

import frappe
from frappe import _
from frappe.utils import add_days, getdate, today

from cs_success.analytics import (
	column,
	customer_filter,
	may_see_revenue,
	permitted_values,
	segment_customers,
	summary,
)
from cs_success.engine.retention import renewal_rate

AGREEMENTS_SQL = """
	SELECT 'Subscription' AS agreement_type, name AS agreement, party AS customer, start_date, end_date
	FROM `tabSubscription` WHERE party_type = 'Customer' {sub_condition}
	UNION ALL
	SELECT 'Contract', name, party_name, start_date, end_date
	FROM `tabContract` WHERE party_type = 'Customer' AND docstatus < 2 {contract_condition}
"""


def execute(filters=None):
	filters = frappe._dict(filters or {})
	window = int(filters.get("renewal_window_days") or 30)
	now = getdate(today())
	customers = segment_customers(filters)
	sub_condition, params = customer_filter("party", customers)
	contract_condition, _params = customer_filter("party_name", customers)
	agreements = frappe.db.sql(
		AGREEMENTS_SQL.format(sub_condition=sub_condition, contract_condition=contract_condition),
		params,
		as_dict=True,
	)
	starts_by_customer = {}
	for agreement in agreements:
		if agreement.start_date:
			starts_by_customer.setdefault(agreement.customer, []).append(
				(agreement.agreement, getdate(agreement.start_date))
			)

	from_date, to_date = getdate(filters.from_date), getdate(filters.to_date)
	upcoming_until = add_days(now, int(filters.get("upcoming_days") or 30))
	listed = []
	for agreement in sorted(agreements, key=lambda a: (a.end_date or getdate("9999-12-31"), a.customer)):
		if not agreement.end_date:
			continue
		ends_on = getdate(agreement.end_date)
		if ends_on > now and ends_on <= upcoming_until:
			status = "Upcoming"
		elif from_date <= ends_on <= to_date and ends_on <= now:
			renewed = any(
				other != agreement.agreement
				and add_days(ends_on, -window) <= started <= add_days(ends_on, window)
				for other, started in starts_by_customer.get(agreement.customer, [])
			)
			status = "Renewed" if renewed else "Not Renewed"
		else:
			continue
		listed.append((agreement, ends_on, status))

	# Values are revenue per customer: blank for users who may not read Sales Invoices.
	show_value = may_see_revenue()
	values = (
		values_before_end({(agreement.customer, ends_on) for agreement, ends_on, _status in listed})
		if show_value
		else {}
	)
	data, due_value, renewed_value, due_count, renewed_count, upcoming = [], 0.0, 0.0, 0, 0, 0
	for agreement, ends_on, status in listed:
		value = values.get((agreement.customer, ends_on), 0.0) if show_value else None
		if status == "Upcoming":
			upcoming += 1
		else:
			due_count += 1
			due_value += value or 0.0
			if status == "Renewed":
				renewed_count += 1
				renewed_value += value or 0.0
		data.append({**agreement, "status": _(status), "value": value})

	columns = [
		column("customer", _("Customer"), "Link", 180, "Customer"),
		column("agreement_type", _("Type"), "Data", 100),
		column("agreement", _("Agreement"), "Dynamic Link", 160, "agreement_type"),
		column("end_date", _("Ends On"), "Date", 100),
		column("status", _("Status"), "Data", 110),
		column("value", _("Annual Value"), "Currency", 130),
	]
	rate_by_count = renewal_rate(renewed_count, due_count)
	rate_by_value = renewal_rate(renewed_value, due_value)
	chart = {
		"data": {
			"labels": [_("Renewed"), _("Not Renewed"), _("Upcoming")],
			"datasets": [
				{"name": _("Agreements"), "values": [renewed_count, due_count - renewed_count, upcoming]}
			],
		},
		"type": "bar",
	}
	report_summary = [
		summary(due_count, _("Due"), "Int"),
		summary(renewed_count, _("Renewed"), "Int", "Green"),
		summary(round(rate_by_count or 0, 2), _("Renewal Rate by Count"), "Percent"),
		summary(round(rate_by_value or 0, 2), _("Renewal Rate by Value"), "Percent"),
		summary(upcoming, _("Upcoming Renewals"), "Int", "Blue"),
	]
	message = _(
		"Due: subscriptions and contracts ending in the period. Renewed: the customer has another one starting within {0} days of that end. "
		"Value: the customer's invoiced amount in the 365 days before the end."
	).format(window)
	return columns, data, message, chart, report_summary


def values_before_end(pairs: set[tuple[str, date]], chunk: int = 500) -> dict[tuple[str, date], float]:
	"""Each (customer, end date): the customer's invoiced amount in the 365 days up to that end. One
	grouped query per `chunk` agreements rather than one per agreement."""
	values = {}
	pairs = sorted(pairs)
	for start in range(0, len(pairs), chunk):
		batch = pairs[start : start + chunk]
		ends = " UNION ALL ".join(["SELECT %s AS customer, %s AS ends_on"] * len(batch))
		companies = permitted_values("Company")
		placeholders = ", ".join(["%s"] * len(companies or []))
		company_condition = f" AND si.company IN ({placeholders})" if companies else ""
		rows = frappe.db.sql(
			f"""SELECT due.customer, due.ends_on, COALESCE(SUM(si.base_net_total), 0)
			FROM ({ends}) due
			LEFT JOIN `tabSales Invoice` si ON si.customer = due.customer AND si.docstatus = 1
				AND si.posting_date > DATE_SUB(due.ends_on, INTERVAL 365 DAY) AND si.posting_date <= due.ends_on
				{company_condition}
			GROUP BY due.customer, due.ends_on""",
			[value for pair in batch for value in pair] + (companies or []),
		)
		values.update({(customer, getdate(ends_on)): float(total) for customer, ends_on, total in rows})
	return values
