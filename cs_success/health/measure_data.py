"""Raw measure values, read with set-based SQL.

Each source runs one grouped query for all customers (or for the listed ones), so a full recompute
costs a fixed number of queries whatever the number of customers, and the single-customer path runs
the very same queries with an `IN` filter.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

import frappe
from frappe.utils import add_days, getdate

# Raw values: customer -> measure key -> value. A measure missing for a customer has no data.
RawValues = dict[str, dict[str, float]]


@dataclass(frozen=True)
class CustomerRow:
	name: str
	customer_name: str
	customer_group: str | None
	territory: str | None
	account_manager: str | None
	age_days: int


def _customer_filter(column: str, customers: Sequence[str] | None) -> str:
	return f" AND {column} IN %(customers)s" if customers is not None else ""


def _params(customers: Sequence[str] | None, today: date) -> dict:
	params = {
		"today": today,
		"d30": add_days(today, -30),
		"d90": add_days(today, -90),
		"d180": add_days(today, -180),
		"d365": add_days(today, -365),
	}
	if customers is not None:
		params["customers"] = tuple(customers) or ("",)
	return params


def get_customers(customers: Sequence[str] | None, today: date) -> list[CustomerRow]:
	"""Enabled customers with what scorecard selection needs. Age counts from the earlier of the
	Customer's creation and its first submitted invoice."""
	rows = frappe.db.sql(
		f"""
		SELECT c.name, c.customer_name, c.customer_group, c.territory, c.account_manager,
			GREATEST(0, DATEDIFF(%(today)s, LEAST(DATE(c.creation), COALESCE(first_invoice.posting_date, DATE(c.creation)))))
		FROM `tabCustomer` c
		LEFT JOIN (
			SELECT customer, MIN(posting_date) AS posting_date FROM `tabSales Invoice`
			WHERE docstatus = 1 {_customer_filter("customer", customers)}
			GROUP BY customer
		) first_invoice ON first_invoice.customer = c.name
		WHERE c.disabled = 0 {_customer_filter("c.name", customers)}
		""",
		_params(customers, today),
	)
	return [
		CustomerRow(name, customer_name or name, group, territory, manager, int(age))
		for name, customer_name, group, territory, manager, age in rows
	]


def helpdesk_ticket_select(customers: Sequence[str] | None) -> str | None:
	"""HD Tickets as rows shaped like Issue rows, mapped to ERPNext customers; None without Helpdesk.

	HD Customer maps to Customer through our `cs_customer` field, else by the same name.
	"""
	if "helpdesk" not in frappe.get_installed_apps() or not frappe.db.table_exists("HD Ticket"):
		return None
	mapped = "hdc.cs_customer" if frappe.db.has_column("HD Customer", "cs_customer") else "NULL"
	customer = f"COALESCE({mapped}, c.name)"
	return f"""
		SELECT {customer} AS customer,
			COALESCE(NULLIF(t.status_category, ''),
				IF(t.status IN ('Resolved', 'Closed'), 'Resolved', 'Open')) IN ('Open', 'Paused') AS is_open,
			t.opening_date AS opened_on,
			IF(t.status_category = 'Resolved' OR t.status IN ('Resolved', 'Closed'),
				COALESCE(t.resolution_date, t.modified), NULL) AS resolved_at,
			COALESCE(NULLIF(t.resolution_time, 0), TIMESTAMPDIFF(SECOND, t.creation, t.resolution_date))
				AS resolution_seconds,
			t.agreement_status
		FROM `tabHD Ticket` t
		LEFT JOIN `tabHD Customer` hdc ON hdc.name = t.customer
		LEFT JOIN `tabCustomer` c ON c.name = t.customer
		WHERE t.customer IS NOT NULL AND t.customer != ''
			{_customer_filter(customer, customers)}
	"""


def ticket_measures(customers: Sequence[str] | None, today: date) -> RawValues:
	# Issues without an SLA carry no resolution timestamp: their last modification stands in for it.
	tickets = f"""
		SELECT customer,
			status IN ('Open', 'Replied', 'On Hold') AS is_open,
			opening_date AS opened_on,
			IF(status IN ('Resolved', 'Closed'), COALESCE(sla_resolution_date, modified), NULL) AS resolved_at,
			COALESCE(NULLIF(resolution_time, 0),
				TIMESTAMPDIFF(SECOND, creation, COALESCE(sla_resolution_date, modified))) AS resolution_seconds,
			agreement_status
		FROM `tabIssue`
		WHERE customer IS NOT NULL AND customer != '' {_customer_filter("customer", customers)}
	"""
	if hd_tickets := helpdesk_ticket_select(customers):
		tickets += " UNION ALL " + hd_tickets

	rows = frappe.db.sql(
		f"""
		SELECT customer,
			SUM(is_open) AS open_tickets,
			SUM(opened_on >= %(d90)s) AS tickets_90d,
			AVG(IF(resolved_at >= %(d90)s AND NOT is_open, resolution_seconds, NULL)) / 3600
				AS avg_resolution_hours,
			SUM(opened_on >= %(d90)s AND agreement_status = 'Failed') AS sla_failures_90d,
			SUM(opened_on >= %(d90)s AND COALESCE(agreement_status, '') != '') AS sla_tracked_90d
		FROM ({tickets}) tickets
		WHERE customer IS NOT NULL
		GROUP BY customer
		""",
		_params(customers, today),
		as_dict=True,
	)
	values: RawValues = defaultdict(dict)
	for row in rows:
		v = values[row.customer]
		v["open_tickets"] = float(row.open_tickets or 0)
		v["tickets_90d"] = float(row.tickets_90d or 0)
		if row.avg_resolution_hours is not None:
			v["avg_resolution_hours"] = float(row.avg_resolution_hours)
		if row.sla_tracked_90d:
			v["sla_failures_90d"] = float(row.sla_failures_90d or 0)
	return values


def ticket_counts_default(customers: list[CustomerRow]) -> RawValues:
	"""Zero open tickets is an observation, not missing data: every customer has ticket counts."""
	return {c.name: {"open_tickets": 0.0, "tickets_90d": 0.0} for c in customers}


def billing_measures(customers: Sequence[str] | None, today: date) -> RawValues:
	"""Overdue invoices and the overdue share of billing, in each company's own currency: the
	outstanding amount is kept in the party account's currency, so it is brought to the company's
	before it is compared with base totals, and companies (possibly in other currencies) are never
	added up: the share is that of the company where it is worst."""
	invoice_filter = _customer_filter("si.customer", customers)
	params = _params(customers, today)
	overdue = "si.outstanding_amount > 0 AND si.due_date < %(today)s"
	base_outstanding = (
		"IF(si.party_account_currency = si.currency AND si.currency != company.default_currency, "
		"si.outstanding_amount * si.conversion_rate, si.outstanding_amount)"
	)
	rows = frappe.db.sql(
		f"""
		SELECT si.customer,
			SUM({overdue}) AS overdue_invoices,
			SUM(IF({overdue}, {base_outstanding}, 0)) AS overdue_amount,
			SUM(IF(si.posting_date >= %(d365)s OR ({overdue}), si.base_grand_total, 0)) AS billed_amount
		FROM `tabSales Invoice` si
		JOIN `tabCompany` company ON company.name = si.company
		WHERE si.docstatus = 1 AND si.is_return = 0 {invoice_filter}
		GROUP BY si.customer, si.company
		""",
		params,
		as_dict=True,
	)
	values: RawValues = defaultdict(dict)
	for row in rows:
		v = values[row.customer]
		v["overdue_invoices"] = v.get("overdue_invoices", 0.0) + float(row.overdue_invoices or 0)
		if row.billed_amount and row.billed_amount > 0:
			share = min(100.0, 100.0 * float(row.overdue_amount or 0) / float(row.billed_amount))
			v["overdue_share"] = max(share, v.get("overdue_share", 0.0))

	late_rows = frappe.db.sql(
		f"""
		SELECT paid.customer, AVG(GREATEST(0, DATEDIFF(paid.paid_on, paid.due_date))) AS avg_days_late
		FROM (
			SELECT si.customer, si.due_date, MAX(pe.posting_date) AS paid_on
			FROM `tabSales Invoice` si
			JOIN `tabPayment Entry Reference` per
				ON per.reference_doctype = 'Sales Invoice' AND per.reference_name = si.name
			JOIN `tabPayment Entry` pe ON pe.name = per.parent AND pe.docstatus = 1
			WHERE si.docstatus = 1 AND si.is_return = 0 AND si.outstanding_amount <= 0
				AND si.posting_date >= %(d365)s {invoice_filter}
			GROUP BY si.name, si.customer, si.due_date
		) paid
		GROUP BY paid.customer
		""",
		params,
		as_dict=True,
	)
	for row in late_rows:
		values[row.customer]["avg_days_paid_late"] = float(row.avg_days_late)
	return values


def renewal_measures(customers: Sequence[str] | None, today: date) -> RawValues:
	"""From the revenue ledger, as of `today` (a past day for the back-fill). Standing: 100 while the
	customer is active (recurring revenue or a signed agreement), 0 once it has churned; no data for
	one that never was a customer. Days to renewal: to the end of the nearest term not yet decided
	(on a past day: any term still to end, as nothing was decided yet). MRR change: MRR against 90
	days before, in percent, at the company where the customer had the most MRR then."""
	params = _params(customers, today)
	undecided = "outcome = 'Pending'" if today >= getdate(frappe.utils.today()) else "1 = 1"
	values: RawValues = defaultdict(dict)
	for customer, active in frappe.db.sql(
		f"""SELECT customer, MAX(from_date <= %(today)s AND IFNULL(to_date, '9999-12-31') >= %(today)s)
		FROM `tabCustomer Active Span` WHERE from_date <= %(today)s {_customer_filter("customer", customers)}
		GROUP BY customer""",
		params,
	):
		values[customer]["renewal_standing"] = 100.0 if active else 0.0
	for customer, days in frappe.db.sql(
		f"""SELECT customer, MIN(DATEDIFF(due_date, %(today)s)) FROM `tabAgreement Renewal`
		WHERE {undecided} AND due_date >= %(today)s {_customer_filter("customer", customers)}
		GROUP BY customer""",
		params,
	):
		values[customer]["days_to_renewal"] = float(days)
	then_and_now = defaultdict(list)
	for customer, _company, then, now in frappe.db.sql(
		f"""SELECT customer, company,
			SUM(IF(from_date <= %(d90)s AND IFNULL(to_date, '9999-12-31') >= %(d90)s, mrr, 0)),
			SUM(IF(from_date <= %(today)s AND IFNULL(to_date, '9999-12-31') >= %(today)s, mrr, 0))
		FROM `tabMRR Interval`
		WHERE from_date <= %(today)s AND IFNULL(to_date, '9999-12-31') >= %(d90)s
			{_customer_filter("customer", customers)}
		GROUP BY customer, company""",
		params,
	):
		then_and_now[customer].append((float(then or 0), float(now or 0)))
	for customer, pairs in then_and_now.items():
		then, now = max(pairs)
		if then > 0:
			values[customer]["mrr_change_90d"] = round(100.0 * (now - then) / then, 1)
	return values


def usage_measures(customers: Sequence[str] | None, today: date) -> RawValues:
	rows = frappe.db.sql(
		f"""
		SELECT u.customer, u.value
		FROM `tabCustomer Usage Record` u
		JOIN (
			SELECT customer, MAX(recorded_on) AS recorded_on FROM `tabCustomer Usage Record`
			WHERE recorded_on >= %(d30)s {_customer_filter("customer", customers)}
			GROUP BY customer
		) latest ON latest.customer = u.customer AND latest.recorded_on = u.recorded_on
		""",
		_params(customers, today),
		as_dict=True,
	)
	return {row.customer: {"usage": float(row.value)} for row in rows}


def survey_measures(customers: Sequence[str] | None, today: date) -> RawValues:
	"""Latest NPS answer; mean CSAT and CES of the last 180 days (headline answers)."""
	params = _params(customers, today)
	customer_filter = _customer_filter("customer", customers)
	values: RawValues = defaultdict(dict)
	for row in frappe.db.sql(
		f"""
		SELECT r.customer, r.headline_score
		FROM `tabSurvey Response` r
		JOIN (
			SELECT customer, MAX(submitted_on) AS submitted_on FROM `tabSurvey Response`
			WHERE headline_type = 'NPS' {customer_filter}
			GROUP BY customer
		) latest ON latest.customer = r.customer AND latest.submitted_on = r.submitted_on
		WHERE r.headline_type = 'NPS'
		""",
		params,
		as_dict=True,
	):
		values[row.customer]["latest_nps"] = float(row.headline_score)
	for row in frappe.db.sql(
		f"""
		SELECT customer, headline_type, AVG(headline_score) AS mean_score
		FROM `tabSurvey Response`
		WHERE headline_type IN ('CSAT', 'CES') AND submitted_on >= %(d180)s {customer_filter}
		GROUP BY customer, headline_type
		""",
		params,
		as_dict=True,
	):
		values[row.customer]["avg_csat" if row.headline_type == "CSAT" else "avg_ces"] = float(row.mean_score)
	return values


def touchpoint_measures(customers: Sequence[str] | None, today: date) -> RawValues:
	"""A customer never touched has no engagement data (we cannot tell silence from not logging)."""
	rows = frappe.db.sql(
		f"""
		SELECT customer, DATEDIFF(%(today)s, MAX(touchpoint_date)) AS days_since,
			SUM(touchpoint_date >= %(d90)s) AS last_90_days
		FROM `tabTouchpoint`
		WHERE touchpoint_date <= %(now)s {_customer_filter("customer", customers)}
		GROUP BY customer
		""",
		{**_params(customers, today), "now": f"{today} 23:59:59"},
		as_dict=True,
	)
	return {
		row.customer: {
			"days_since_touchpoint": float(max(0, row.days_since)),
			"touchpoints_90d": float(row.last_90_days),
		}
		for row in rows
	}


def success_plan_measures(customers: Sequence[str] | None, today: date) -> RawValues:
	"""Active plans: mean progress, and milestones and tasks overdue today (not as last saved)."""
	params = _params(customers, today)
	customer_filter = _customer_filter("p.customer", customers)
	values: RawValues = defaultdict(dict)
	for row in frappe.db.sql(
		f"""
		SELECT p.customer, AVG(p.progress) AS progress, COALESCE(SUM(items.overdue), 0) AS overdue
		FROM `tabSuccess Plan` p
		LEFT JOIN (
			SELECT parent, SUM(status != 'Done' AND due_date < %(today)s) AS overdue FROM (
				SELECT parent, status, due_date FROM `tabSuccess Plan Milestone` WHERE parenttype = 'Success Plan'
				UNION ALL
				SELECT parent, status, due_date FROM `tabSuccess Plan Task` WHERE parenttype = 'Success Plan'
			) all_items GROUP BY parent
		) items ON items.parent = p.name
		WHERE p.status = 'Active' {customer_filter}
		GROUP BY p.customer
		""",
		params,
		as_dict=True,
	):
		values[row.customer]["success_plan_progress"] = float(row.progress)
		values[row.customer]["overdue_plan_items"] = float(row.overdue)
	return values


# Sources in the order they are read.
SOURCES: tuple[Callable[[Sequence[str] | None, date], RawValues], ...] = (
	ticket_measures,
	billing_measures,
	renewal_measures,
	usage_measures,
	survey_measures,
	touchpoint_measures,
	success_plan_measures,
)


def gather_raw_values(customers: list[CustomerRow], names: Sequence[str] | None, today: date) -> RawValues:
	"""All measures for the given customers (names=None: everyone), a fixed number of queries."""
	values = ticket_counts_default(customers)
	wanted = set(values)
	for source in SOURCES:
		for customer, measures in source(names, today).items():
			if customer in wanted:
				values[customer].update(measures)
	return values
