"""Raw measure values, read with set-based SQL.

Each reader runs one grouped query for all customers (or for the listed ones), so a full recompute
costs a fixed number of queries whatever the number of customers, and the single-customer path runs
the very same queries with an `IN` filter. Readers are registered in READERS under the name the
measures give (engine/measures.py `reader`); tests/test_registries.py ties the two, and
cs_success/tests/test_registries.py checks on a bench that each reader gives only its measures.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

import frappe
from frappe.utils import add_days, getdate

from cs_success.base.day_cache import forget, read_through
from cs_success.base.helpdesk import resolved_condition
from cs_success.engine.measures import (
	ACTIVITY,
	INVOICES,
	LEDGER,
	SUCCESS_PLANS,
	SURVEY_RESPONSES,
	TICKETS,
	TOUCHPOINTS,
	USAGE_RECORDS,
)
from cs_success.engine.survey_metrics import nps
from cs_success.ledger.queries import days_to_next_renewal, mrr_company, mrr_on_days, standing_on
from cs_success.touchpoints.record import team_contact_condition

# Raw values: customer -> measure key -> value. A measure missing for a customer has no data.
RawValues = dict[str, dict[str, float]]
# A reader: (customers, or None for everyone; the day) -> raw values as of that day.
Read = Callable[[Sequence[str] | None, date], RawValues]


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
	"""Query parameters for values as of `today`: the live day, or a past one for the back-fill.
	Windows are the N days up to and including the day: (day - N, day]."""
	today = getdate(today)
	# timedelta, not frappe's add_days: this runs for every source of every recompute, and add_days parses
	# and builds a relativedelta each time.
	params = {
		"today": today,
		"end": f"{today} 23:59:59.999999",
		"d30": today - timedelta(days=30),
		"d90": today - timedelta(days=90),
		"d180": today - timedelta(days=180),
		"d365": today - timedelta(days=365),
	}
	if customers is not None:
		params["customers"] = tuple(customers) or ("",)
	return params


def is_past(today: date) -> bool:
	return today < getdate(frappe.utils.today())


def get_customers(customers: Sequence[str] | None, today: date) -> list[CustomerRow]:
	"""Enabled customers with what scorecard selection needs. Age counts from the earlier of the
	Customer's creation and its first submitted invoice."""
	rows = frappe.db.sql(
		f"""
		SELECT c.name, c.customer_name, c.customer_group, c.territory, c.account_manager,
			GREATEST(0, DATEDIFF(%(today)s, LEAST(DATE(c.creation), COALESCE(
				(SELECT MIN(si.posting_date) FROM `tabSales Invoice` si WHERE si.customer = c.name AND si.docstatus = 1),
				DATE(c.creation)))))
		FROM `tabCustomer` c
		WHERE c.disabled = 0 {_customer_filter("c.name", customers)}
		""",
		_params(customers, today),
	)
	return [
		CustomerRow(name, customer_name or name, group, territory, manager, int(age))
		for name, customer_name, group, territory, manager, age in rows
	]


def helpdesk_ticket_select(customers: Sequence[str] | None) -> str | None:
	"""HD Tickets as rows shaped like Issue rows (customer, opened_on, is_resolved, resolved_on,
	resolution_seconds, agreement_status, first_deadline), mapped to ERPNext customers; None without
	Helpdesk. `resolved_on` means something only where `is_resolved`.

	HD Customer maps to Customer through our `cs_customer` field, else by the same name.
	"""
	if "helpdesk" not in frappe.get_installed_apps() or not frappe.db.table_exists("HD Ticket"):
		return None
	mapped = "hdc.cs_customer" if frappe.db.has_column("HD Customer", "cs_customer") else "NULL"
	customer = f"COALESCE({mapped}, c.name)"
	return f"""
		SELECT {customer} AS customer,
			t.opening_date AS opened_on,
			{resolved_condition("HD Ticket", "t")} AS is_resolved,
			COALESCE(t.resolution_date, t.modified) AS resolved_on,
			COALESCE(NULLIF(t.resolution_time, 0), TIMESTAMPDIFF(SECOND, t.creation, t.resolution_date))
				AS resolution_seconds,
			t.agreement_status,
			LEAST(COALESCE(t.response_by, t.resolution_by), COALESCE(t.resolution_by, t.response_by))
				AS first_deadline
		FROM `tabHD Ticket` t
		LEFT JOIN `tabHD Customer` hdc ON hdc.name = t.customer
		LEFT JOIN `tabCustomer` c ON c.name = t.customer
		WHERE t.customer IS NOT NULL AND t.customer != ''
			{_customer_filter(customer, customers)}
	"""


def ticket_measures(customers: Sequence[str] | None, today: date) -> RawValues:
	"""As of the day: open then (opened by the day, not resolved by its end), opened in the 90 days to
	it, mean resolution time of those resolved in those 90 days, and service level failures of tickets
	opened in them whose deadline had passed by the day."""
	# Issues without an SLA carry no resolution timestamp: their last modification stands in for it. Whether
	# a ticket is resolved and when are two columns, not one NULL-when-open expression: the merged derived
	# table would evaluate that expression again at each use (a quarter of this read for one customer).
	tickets = f"""
		SELECT customer,
			opening_date AS opened_on,
			{resolved_condition("Issue")} AS is_resolved,
			COALESCE(sla_resolution_date, modified) AS resolved_on,
			COALESCE(NULLIF(resolution_time, 0),
				TIMESTAMPDIFF(SECOND, creation, COALESCE(sla_resolution_date, modified))) AS resolution_seconds,
			agreement_status,
			LEAST(COALESCE(response_by, sla_resolution_by), COALESCE(sla_resolution_by, response_by))
				AS first_deadline
		FROM `tabIssue`
		WHERE customer IS NOT NULL AND customer != '' {_customer_filter("customer", customers)}
	"""
	if hd_tickets := helpdesk_ticket_select(customers):
		tickets += " UNION ALL " + hd_tickets

	rows = frappe.db.sql(
		f"""
		SELECT customer,
			SUM(opened_on <= %(today)s AND (NOT is_resolved OR resolved_on > %(end)s)) AS open_tickets,
			SUM(opened_on > %(d90)s AND opened_on <= %(today)s) AS tickets_90d,
			AVG(IF(is_resolved AND resolved_on > %(d90)s AND resolved_on <= %(end)s, resolution_seconds, NULL))
				/ 3600 AS avg_resolution_hours,
			SUM(opened_on > %(d90)s AND opened_on <= %(today)s AND agreement_status = 'Failed'
				AND first_deadline <= %(end)s) AS sla_failures_90d,
			SUM(opened_on > %(d90)s AND opened_on <= %(today)s AND COALESCE(agreement_status, '') != '')
				AS sla_tracked_90d
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


def ticket_counts_default(customers: Sequence[str]) -> RawValues:
	"""Zero open tickets is an observation, not missing data: every customer has ticket counts."""
	return {name: {"open_tickets": 0.0, "tickets_90d": 0.0} for name in customers}


def _invoices_as_of(customers: Sequence[str] | None, days: list[date]) -> str:
	"""Submitted invoices posted by the last day, with what was outstanding on each day i (`outstanding_i`),
	in the party account's currency: today's outstanding amount plus what Payment Entries and credit notes
	settled after the day. Live (the day is today) nothing was settled after it. Journal Entry settlements
	are not taken back: a past day may then show an invoice as paid a little early. (`return_against > ''`
	rather than IFNULL(...) != '': the same rows, found on the return_against index instead of a scan of
	every invoice.)"""
	past = [i for i, day in enumerate(days) if is_past(day)]
	outstanding = [f"si.outstanding_amount AS outstanding_{i}" for i in range(len(days))]
	settled_after = ""
	if past:
		for i in past:
			outstanding[i] = (
				f"si.outstanding_amount + COALESCE(paid_after.amount_{i}, 0)"
				f" + COALESCE(returned_after.amount_{i}, 0) AS outstanding_{i}"
			)
		paid = ", ".join(
			f"SUM(IF(pe.posting_date > %(day{i})s, per.allocated_amount, 0)) AS amount_{i}" for i in past
		)
		returned = ", ".join(
			f"""-SUM(IF(ret.posting_date > %(day{i})s, IF(ret.party_account_currency = ret.currency,
				COALESCE(NULLIF(ret.rounded_total, 0), ret.grand_total), ret.base_grand_total), 0)) AS amount_{i}"""
			for i in past
		)
		settled_after = f"""
			LEFT JOIN (
				SELECT per.reference_name, {paid}
				FROM `tabPayment Entry Reference` per
				JOIN `tabPayment Entry` pe ON pe.name = per.parent AND pe.docstatus = 1
				WHERE per.reference_doctype = 'Sales Invoice' AND pe.posting_date > %(day{past[0]})s
				GROUP BY per.reference_name
			) paid_after ON paid_after.reference_name = si.name
			LEFT JOIN (
				SELECT ret.return_against, {returned}
				FROM `tabSales Invoice` ret
				WHERE ret.docstatus = 1 AND ret.is_return = 1 AND ret.posting_date > %(day{past[0]})s
					AND ret.return_against > '' {_customer_filter("ret.customer", customers)}
				GROUP BY ret.return_against
			) returned_after ON returned_after.return_against = si.name"""
	return f"""
		SELECT si.name, si.customer, si.company, si.posting_date, si.due_date, si.base_grand_total,
			si.currency, si.party_account_currency, si.conversion_rate, {", ".join(outstanding)}
		FROM `tabSales Invoice` si {settled_after}
		WHERE si.docstatus = 1 AND si.is_return = 0 AND si.posting_date <= %(day{len(days) - 1})s
			{_customer_filter("si.customer", customers)}
	"""


def billing_measures(customers: Sequence[str] | None, today: date) -> RawValues:
	"""As of the day: overdue invoices and the overdue share of billing, in each company's own currency
	(the outstanding amount is kept in the party account's currency, so it is brought to the company's
	before it is compared with base totals, and companies, possibly in other currencies, are never
	added up: the share is that of the company where it is worst); and how late invoices of the 365
	days to the day that were paid in full by then were paid.

	Today's values of named customers are kept for the day (base/day_cache.py) while their invoices are
	unchanged: a recompute called by a saved ticket does not read a thousand invoices again. Everyone's
	(the daily run) and a past day's (the back-fill) are always read."""
	today = getdate(today)
	if customers is None or is_past(today):
		return billing_measures_on(customers, [today])[today]
	return defaultdict(
		dict,
		read_through(
			INVOICES,
			today,
			customers,
			invoice_fingerprints(customers),  # before the read (read_through says why)
			lambda names: billing_measures_on(names, [today])[today],
		),
	)


def invoice_fingerprints(customers: Sequence[str]) -> dict[str, str]:
	"""customer -> the latest `modified` of its invoices, from the index on (customer, modified): one
	entry per customer. Whatever moves a billing figure writes an invoice: a payment, credit note or
	journal entry settles it through ERPNext's update_voucher_outstanding (frappe.db.set_value, which sets
	`modified`); a new invoice is the latest; a submitted one cannot be edited or deleted, and cancelling
	it writes it. A customer merge repoints invoices without writing them, so it forgets the survivor's
	values (forget_cached_values). Not seen: a change made by raw SQL that leaves `modified` alone."""
	# A subquery per customer, not a GROUP BY: MariaDB then reads one index entry for each (a grouped read
	# walks all of a customer's entries).
	return {
		customer: str(latest)
		for customer, latest in frappe.db.sql(
			"""SELECT c.name, (SELECT MAX(si.modified) FROM `tabSales Invoice` si WHERE si.customer = c.name)
			FROM `tabCustomer` c WHERE c.name IN %(customers)s""",
			{"customers": tuple(customers) or ("",)},
		)
	}


def forget_cached_values(customers: Sequence[str]) -> None:
	"""Today's kept values of these customers are read afresh next time (a merge moved documents to them
	without writing them)."""
	forget(INVOICES, getdate(frappe.utils.today()), customers)


def billing_measures_on(customers: Sequence[str] | None, days: Sequence[date]) -> dict[date, RawValues]:
	"""billing_measures as of each of several days, in one pass over the invoices: the back-fill's dozen
	month starts would otherwise read the whole invoice table a dozen times, and on a site whose invoices
	outgrow the database's memory each of those reads comes from disk (BENCHMARKS.md, the first run)."""
	days = sorted({getdate(day) for day in days})
	params = _params(customers, days[-1])
	for i, day in enumerate(days):
		params |= {f"day{i}": day, f"end{i}": f"{day} 23:59:59.999999", f"d365_{i}": add_days(day, -365)}
	invoices = _invoices_as_of(customers, days)
	columns = []
	for i in range(len(days)):
		overdue = f"inv.posting_date <= %(day{i})s AND inv.outstanding_{i} > 0 AND inv.due_date < %(day{i})s"
		base_outstanding = (
			"IF(inv.party_account_currency = inv.currency AND inv.currency != company.default_currency, "
			f"inv.outstanding_{i} * inv.conversion_rate, inv.outstanding_{i})"
		)
		columns += [
			f"SUM(inv.posting_date <= %(day{i})s) AS invoices_{i}",
			f"SUM({overdue}) AS overdue_invoices_{i}",
			f"SUM(IF({overdue}, {base_outstanding}, 0)) AS overdue_amount_{i}",
			f"""SUM(IF(inv.posting_date <= %(day{i})s AND (inv.posting_date > %(d365_{i})s OR ({overdue})),
				inv.base_grand_total, 0)) AS billed_amount_{i}""",
		]
	# Paid in full by the day, posted in the 365 days to it: the day's latest payment against the due date.
	paid_on = ", ".join(
		f"MAX(IF(pe.posting_date <= %(day{i})s, pe.posting_date, NULL)) AS paid_on_{i}"
		for i in range(len(days))
	)
	settled = ", ".join(
		f"""MAX(inv.outstanding_{i} <= 0 AND inv.posting_date > %(d365_{i})s
			AND inv.posting_date <= %(day{i})s) AS settled_{i}"""
		for i in range(len(days))
	)
	# The lateness rows have a column per day where the billing rows have four: padded to the same width.
	late = ", ".join(
		[
			f"AVG(IF(paid.settled_{i}, GREATEST(0, DATEDIFF(paid.paid_on_{i}, paid.due_date)), NULL))"
			for i in range(len(days))
		]
		+ ["NULL"] * (len(columns) - len(days))
	)
	# Billing by customer and company, then lateness by customer: one statement, a round trip less for a
	# one-customer recompute.
	values: dict[date, RawValues] = {day: defaultdict(dict) for day in days}
	for kind, customer, *figures in frappe.db.sql(
		f"""
		SELECT 'billing', inv.customer, {", ".join(columns)}
		FROM ({invoices}) inv
		JOIN `tabCompany` company ON company.name = inv.company
		GROUP BY inv.customer, inv.company
		UNION ALL
		SELECT 'lateness', paid.customer, {late}
		FROM (
			SELECT inv.customer, inv.due_date, {paid_on}, {settled}
			FROM ({invoices}) inv
			JOIN `tabPayment Entry Reference` per
				ON per.reference_doctype = 'Sales Invoice' AND per.reference_name = inv.name
			JOIN `tabPayment Entry` pe ON pe.name = per.parent AND pe.docstatus = 1
				AND pe.posting_date <= %(day{len(days) - 1})s
			WHERE inv.posting_date > %(d365_0)s AND ({" OR ".join(f"inv.outstanding_{i} <= 0" for i in range(len(days)))})
			GROUP BY inv.name, inv.customer, inv.due_date
		) paid
		GROUP BY paid.customer
		""",
		params,
	):
		if kind == "lateness":
			for day, days_late in zip(days, figures[: len(days)], strict=True):
				if days_late is not None:
					values[day][customer]["avg_days_paid_late"] = float(days_late)
			continue
		for i, day in enumerate(days):
			invoiced, overdue_invoices, overdue_amount, billed = figures[4 * i : 4 + 4 * i]
			if not invoiced:
				continue  # nothing posted by that day at this company
			v = values[day][customer]
			v["overdue_invoices"] = v.get("overdue_invoices", 0.0) + float(overdue_invoices or 0)
			if billed and billed > 0:
				share = min(100.0, 100.0 * float(overdue_amount or 0) / float(billed))
				v["overdue_share"] = max(share, v.get("overdue_share", 0.0))
	return values


def renewal_measures(customers: Sequence[str] | None, today: date) -> RawValues:
	"""From the revenue ledger (ledger/queries.py), as of `today` (a past day for the back-fill). Standing:
	100 while the customer is active (recurring revenue or a signed agreement), 0 once it has churned; no
	data for one that never was a customer. Days to renewal: to the end of the nearest term not yet decided
	(on a past day: any term still to end, as nothing was decided yet). MRR change: MRR against 90 days
	before, in percent, at the company of "MRR now" for the whole site (mrr_company: the site's default
	company).

	Until issue 21 the MRR change was taken at the company where the customer had the most MRR 90 days
	before: that compared amounts in different currencies, and gave the measure a company no other MRR
	figure uses. A customer with MRR only at another company now has no data for it (it drops out)."""
	today = getdate(today)
	values: RawValues = defaultdict(dict)
	for customer, active in standing_on(today, customers).items():
		values[customer]["renewal_standing"] = 100.0 if active else 0.0
	for customer, days in days_to_next_renewal(today, customers, pending_only=not is_past(today)).items():
		values[customer]["days_to_renewal"] = days
	company = mrr_company()
	if company:
		before = getdate(add_days(today, -90))
		mrr = mrr_on_days(company, [before, today], customers)
		for customer, then in mrr[before].items():
			values[customer]["mrr_change_90d"] = round(
				100.0 * (mrr[today].get(customer, 0.0) - then) / then, 1
			)
	return values


def usage_measures(customers: Sequence[str] | None, today: date) -> RawValues:
	"""Per usage metric, the latest value recorded in the 30 days to the day. Each metric feeds the
	measure that names it (the built-in "Product Usage" reads the metric "usage")."""
	# The measures that name a metric are joined in rather than read first: one query less on every
	# recompute. A metric has at most one measure (Health Measure validates it).
	rows = frappe.db.sql(
		f"""
		SELECT u.customer, m.name, u.value
		FROM `tabCustomer Usage Record` u
		JOIN (
			SELECT customer, metric, MAX(recorded_on) AS recorded_on FROM `tabCustomer Usage Record`
			WHERE recorded_on > %(d30)s AND recorded_on <= %(end)s
				AND metric IN (SELECT usage_metric FROM `tabHealth Measure` WHERE IFNULL(usage_metric, '') != '')
				{_customer_filter("customer", customers)}
			GROUP BY customer, metric
		) latest ON latest.customer = u.customer AND latest.metric = u.metric
			AND latest.recorded_on = u.recorded_on
		JOIN `tabHealth Measure` m ON m.usage_metric = u.metric
		""",
		_params(customers, today),
	)
	values: RawValues = defaultdict(dict)
	for customer, measure, value in rows:
		if value is not None:
			values[customer][measure] = float(value)
	return values


def usage_metric_measures() -> dict[str, str]:
	"""Usage metric -> the measure that scores it."""
	return {
		metric: key
		for key, metric in frappe.db.sql(
			"""SELECT name, usage_metric FROM `tabHealth Measure`
			WHERE IFNULL(usage_metric, '') != '' ORDER BY creation"""
		)
	}


def survey_measures(customers: Sequence[str] | None, today: date) -> RawValues:
	"""As of the day: the account's NPS over the 365 days to it, from every respondent's latest answer
	(one voice per contact; an answer without a contact is its own respondent), and mean CSAT and CES
	of the 180 days to it (headline answers)."""
	params = _params(customers, today)
	customer_filter = _customer_filter("customer", customers)
	values: RawValues = defaultdict(dict)
	latest_by_respondent: dict[tuple[str, str], tuple] = {}
	# One statement for both (a round trip less for a one-customer recompute): NPS answers one by one,
	# CSAT and CES already averaged.
	for customer, headline_type, respondent, submitted_on, score in frappe.db.sql(
		f"""
		SELECT customer, headline_type, COALESCE(NULLIF(contact, ''), name), submitted_on, headline_score
		FROM `tabSurvey Response`
		WHERE headline_type = 'NPS' AND submitted_on > %(d365)s AND submitted_on <= %(end)s
			AND headline_score IS NOT NULL {customer_filter}
		UNION ALL
		SELECT customer, headline_type, NULL, NULL, AVG(headline_score)
		FROM `tabSurvey Response`
		WHERE headline_type IN ('CSAT', 'CES') AND submitted_on > %(d180)s AND submitted_on <= %(end)s
			{customer_filter}
		GROUP BY customer, headline_type
		""",
		params,
	):
		if headline_type != "NPS":
			values[customer]["avg_csat" if headline_type == "CSAT" else "avg_ces"] = float(score)
			continue
		key = (customer, respondent)
		if key not in latest_by_respondent or submitted_on > latest_by_respondent[key][0]:
			latest_by_respondent[key] = (submitted_on, score)
	answers: dict[str, list[int]] = defaultdict(list)
	for (customer, _respondent), (_submitted_on, score) in latest_by_respondent.items():
		answers[customer].append(int(score))
	for customer, scores in answers.items():
		values[customer]["account_nps"] = float(nps(scores))
	return values


def touchpoint_measures(customers: Sequence[str] | None, today: date) -> RawValues:
	"""Engagement: the team's contact with the customer (touchpoints/record.py team_contact_condition, the
	definition the No Touchpoint trigger and the cockpit use too). A customer never touched has no
	engagement data (we cannot tell silence from not logging)."""
	rows = frappe.db.sql(
		f"""
		SELECT customer, DATEDIFF(%(today)s, MAX(touchpoint_date)) AS days_since,
			SUM(touchpoint_date > %(d90)s) AS last_90_days
		FROM `tabTouchpoint`
		WHERE touchpoint_date <= %(end)s AND {team_contact_condition()}
			{_customer_filter("customer", customers)}
		GROUP BY customer
		""",
		_params(customers, today),
		as_dict=True,
	)
	return {
		row.customer: {
			"days_since_touchpoint": float(max(0, row.days_since)),
			"touchpoints_90d": float(row.last_90_days),
		}
		for row in rows
	}


def activity_measures(customers: Sequence[str] | None, today: date) -> RawValues:
	"""Days from the latest sign of life to the day: an invoice, a ticket, a touchpoint or a usage
	record. A customer with none of them ever has no data."""
	params = _params(customers, today)
	# Per customer, the latest of each from its (customer, date) index: one short index read each, rather
	# than four grouped reads put together and grouped again (a third of the cost for one customer).
	never = "DATE('0001-01-01')"
	latest = [
		"""SELECT MAX(posting_date) FROM `tabSales Invoice`
		WHERE customer = c.name AND docstatus = 1 AND posting_date <= %(today)s""",
		"SELECT MAX(opening_date) FROM `tabIssue` WHERE customer = c.name AND opening_date <= %(today)s",
		"""SELECT DATE(MAX(touchpoint_date)) FROM `tabTouchpoint`
		WHERE customer = c.name AND touchpoint_date <= %(end)s""",
		"""SELECT DATE(MAX(recorded_on)) FROM `tabCustomer Usage Record`
		WHERE customer = c.name AND recorded_on <= %(end)s""",
	]
	last_seen: dict[str, date] = {
		customer: day
		for customer, day in frappe.db.sql(
			f"""SELECT c.name, NULLIF(GREATEST({", ".join(f"COALESCE(({q}), {never})" for q in latest)}), {never})
			FROM `tabCustomer` c WHERE TRUE {_customer_filter("c.name", customers)}""",
			params,
		)
		if day is not None
	}
	# Helpdesk tickets map to customers through HD Customer (helpdesk_ticket_select), not by an index.
	if hd_tickets := helpdesk_ticket_select(customers):
		for customer, day in frappe.db.sql(
			f"""SELECT customer, MAX(opened_on) FROM ({hd_tickets}) hd
			WHERE opened_on <= %(today)s AND customer IS NOT NULL GROUP BY customer""",
			params,
		):
			if day is not None and (customer not in last_seen or day > last_seen[customer]):
				last_seen[customer] = day
	today = params["today"]
	return {
		customer: {"days_since_activity": float(max(0, (today - getdate(day)).days))}
		for customer, day in last_seen.items()
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


@dataclass(frozen=True)
class MeasureReader:
	"""Gives the values of every measure that names it: today (`live`) and as of a past day for the
	back-fill (`as_of`, None where there is no history to read)."""

	live: Read
	as_of: Read | None


# By the names the measures give, in the order they are read.
READERS: dict[str, MeasureReader] = {
	TICKETS: MeasureReader(ticket_measures, ticket_measures),
	INVOICES: MeasureReader(billing_measures, billing_measures),
	LEDGER: MeasureReader(renewal_measures, renewal_measures),
	USAGE_RECORDS: MeasureReader(usage_measures, usage_measures),
	SURVEY_RESPONSES: MeasureReader(survey_measures, survey_measures),
	TOUCHPOINTS: MeasureReader(touchpoint_measures, touchpoint_measures),
	ACTIVITY: MeasureReader(activity_measures, activity_measures),
	# A plan's progress and status have no history to read.
	SUCCESS_PLANS: MeasureReader(success_plan_measures, None),
}
SOURCES: tuple[Read, ...] = tuple(reader.live for reader in READERS.values())
# What the back-fill reads (health/backfill.py): the measures with history.
AS_OF_SOURCES: tuple[Read, ...] = tuple(reader.as_of for reader in READERS.values() if reader.as_of)


def gather_raw_values(
	customers: Sequence[str], names: Sequence[str] | None, today: date, sources=SOURCES
) -> RawValues:
	"""All measures as of `today` for the given customers (names=None: read everyone, keep
	`customers`), a fixed number of queries."""
	values = ticket_counts_default(customers)
	wanted = set(values)
	for source in sources:
		for customer, measures in source(names, today).items():
			if customer in wanted:
				values[customer].update(measures)
	return values
