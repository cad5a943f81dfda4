"""Every read of the revenue ledger (MRR Interval, MRR Movement, Customer Active Span, Customer Lifecycle Event,
Agreement Renewal): reports, cards, the cockpit, plays, measures and survey audiences read it only through the
functions here, so each figure has one definition (tests/test_one_door.py keeps it so). The writers are
ledger/build.py and ledger/snapshot_outcomes.py.

The definitions, each in one place:
- a ledger row *covers* day D when from_date <= D and (to_date is empty or to_date >= D): `covers`;
- *active on D*: a Customer Active Span covers D (recurring revenue or a signed agreement, at any company):
  `active_on_days`, `active_counts_by_group_and_territory`, `standing_on`;
- *MRR on D* at a company: the sum of the customer's MRR Intervals there covering D: `mrr_on_days`;
- *MRR now*: MRR on today at the company `mrr_company` chooses (its docstring is the one rule): `mrr_now`;
- *acquired / churned / reactivated in a range*: the Customer Lifecycle Events of that type dated within it,
  both ends included: `lifecycle_events`, `events_between`;
- *renewals due in a window*: Agreement Renewal terms whose due date (last covered day) falls within it, both
  ends included, of an outcome if given (Pending: not decided yet): `renewals_due`, `count_renewals_due`,
  `days_to_next_renewal`;
- *cohort*: the month of the customer's first acquisition (`acquired_on` on every span and interval):
  `cohort_figures`.

Set-based throughout: a conditional aggregate per day, so a report with many periods still scans each ledger
table once, and nothing here runs a query per customer."""

from collections.abc import Sequence
from datetime import date, timedelta

import frappe
from frappe.utils import add_days, add_months, get_last_day, getdate, today

from cs_success.base.permissions import enabled_customers_only
from cs_success.engine.ledger import ACQUIRED, CHURN, NEW
from cs_success.engine.retention import RevenueRetention, revenue_retention

FAR_FUTURE = "9999-12-31"
# Agreement Renewal outcomes a reader asks for.
PENDING = "Pending"
RENEWED = "Renewed"


# Days per integer of active_on_days (BIT_OR is 64 bits wide).
DAYS_PER_MASK = 60


def covers(day: str, alias: str = "") -> str:
	"""SQL: the ledger row (table alias `alias`) covers the day given as the SQL expression `day` (a
	placeholder such as "%(day)s", or a column): from_date <= day and (no to_date or to_date >= day)."""
	prefix = f"{alias}." if alias else ""
	return f"({prefix}from_date <= {day} AND IFNULL({prefix}to_date, '{FAR_FUTURE}') >= {day})"


def _customer_condition(column: str, customers: Sequence[str] | None) -> tuple[str, dict]:
	if customers is None:
		return "", {}
	return f" AND {column} IN %(segment)s", {"segment": tuple(customers) or ("",)}


def _days(days) -> list[date]:
	return sorted({getdate(day) for day in days})


# MRR ----------------------------------------------------------------------------------------------------


def mrr_company(company: str | None = None, user: str | None = None) -> str | None:
	"""The one rule for the company whose MRR a figure shows (money is per company, in its currency): the
	company given; else, for a figure shown to a person (`user`), that user's default company (Frappe falls
	back to the site's default when the user has none); else the site's default company (Global Defaults).

	Figures kept or acted on for the whole site, whoever's session computes them (the MRR change measure,
	a play's MRR conditions, a run's MRR at start), pass no user: a score must not depend on who saved the
	invoice that triggered it. Reports pass their Company filter and the session user, the workspace cards
	and the cockpit the session user. Whether that user may see the company's money is the caller's check."""
	if company:
		return company
	if user:
		company = frappe.defaults.get_user_default("Company", user=user)
	return company or frappe.defaults.get_global_default("company") or None


def mrr_on_days(company: str, days, customers: Sequence[str] | None = None) -> dict[date, dict[str, float]]:
	"""day -> {customer: MRR at `company` on that day}, customers with MRR only."""
	days = _days(days)
	if not days:
		return {}
	condition, params = _customer_condition("customer", customers)
	sums = ", ".join(f"SUM(CASE WHEN {covers(f'%(day{i})s')} THEN mrr ELSE 0 END)" for i in range(len(days)))
	rows = frappe.db.sql(
		f"""SELECT customer, {sums} FROM `tabMRR Interval`
		WHERE company = %(company)s AND from_date <= %(last)s AND IFNULL(to_date, %(far)s) >= %(first)s
			{condition}
		GROUP BY customer""",
		{
			**{f"day{i}": day for i, day in enumerate(days)},
			**params,
			"company": company,
			"far": FAR_FUTURE,
			"first": days[0],
			"last": days[-1],
		},
	)
	result = {day: {} for day in days}
	for customer, *amounts in rows:
		for day, amount in zip(days, amounts, strict=True):
			if amount and amount > 0:
				result[day][customer] = float(amount)
	return result


def mrr_now(customers: Sequence[str] | None, company: str | None = None) -> dict[str, float]:
	"""customer -> its MRR today at `company` (mrr_company's rule when None: the site's default company);
	customers without MRR there are absent. {} when there is no company at all."""
	company = mrr_company(company)
	if not company or (customers is not None and not customers):
		return {}
	day = getdate(today())
	return mrr_on_days(company, [day], customers)[day]


def company_has_mrr(company: str, customers: Sequence[str] | None = None) -> bool:
	"""Whether the ledger holds any MRR at `company` (of `customers`), ever: without it a total is "no data",
	not 0."""
	filters = {"company": company}
	if customers is not None:
		filters["customer"] = ("in", list(customers) or [""])
	return bool(frappe.db.exists("MRR Interval", filters))


def total_mrr_on(company: str, day, customers: Sequence[str] | None = None) -> float:
	"""The MRR of every customer at `company` on `day` (with `customers`: of those only)."""
	day = getdate(day)
	return sum(mrr_on_days(company, [day], customers)[day].values())


def period_retention(mrr: dict[date, dict[str, float]], start, end) -> RevenueRetention:
	"""Revenue retention of the period [start, end], as the Revenue Retention report computes each of its
	periods: the customers with MRR the day before it starts, and their MRR on its last day. `mrr`: an
	mrr_on_days answer that holds both days."""
	return revenue_retention(mrr[getdate(add_days(start, -1))], mrr[getdate(end)])


def revenue_retention_over(
	company: str, start, end, customers: Sequence[str] | None = None
) -> RevenueRetention:
	"""period_retention of one period, read from the ledger."""
	return period_retention(mrr_on_days(company, [add_days(start, -1), end], customers), start, end)


def movements_by_month(company: str, from_date, to_date, customers: Sequence[str] | None) -> dict:
	"""(year, month) -> {movement type: amount} of the MRR Movements at `company` dated in [from_date,
	to_date], in one grouped query."""
	condition, params = _customer_condition("customer", customers)
	rows = frappe.db.sql(
		f"""SELECT YEAR(movement_date), MONTH(movement_date), movement_type, SUM(amount)
		FROM `tabMRR Movement`
		WHERE company = %(company)s AND movement_date BETWEEN %(from_date)s AND %(to_date)s {condition}
		GROUP BY YEAR(movement_date), MONTH(movement_date), movement_type""",
		{**params, "company": company, "from_date": from_date, "to_date": to_date},
	)
	result = {}
	for year, month, kind, amount in rows:
		result.setdefault((year, month), {})[kind] = float(amount or 0)
	return result


def mrr_lost_at_churn(company: str, events: list) -> dict:
	"""event name -> the MRR the customer had at `company` when it went: the latest Churn movement there on
	or before the churn date and within the active span that ended with it (revenue can stop before a
	signed agreement does). None: no recurring revenue at this company in that span. `events`: rows of
	lifecycle_events (name, customer, event_date).

	Read set-based: the spans and the Churn movements of these customers, matched here."""
	if not events:
		return {}
	customers = tuple({event.customer for event in events})
	# The span that ends the day before the churn date is the one the customer left.
	span_starts = {
		(customer, getdate(to_date)): getdate(from_date)
		for customer, from_date, to_date in frappe.db.sql(
			"""SELECT customer, from_date, to_date FROM `tabCustomer Active Span`
			WHERE customer IN %(customers)s AND to_date IS NOT NULL""",
			{"customers": customers},
		)
	}
	movements = {}
	for customer, moved_on, amount in frappe.db.sql(
		"""SELECT customer, movement_date, amount FROM `tabMRR Movement`
		WHERE company = %(company)s AND movement_type = %(churn)s AND customer IN %(customers)s
		ORDER BY movement_date""",
		{"company": company, "churn": CHURN, "customers": customers},
	):
		movements.setdefault(customer, []).append((getdate(moved_on), float(amount)))
	result = {}
	for event in events:
		churned_on = getdate(event.event_date)
		began = span_starts.get((event.customer, churned_on - timedelta(days=1)), date.min)
		within = [
			amount
			for moved_on, amount in movements.get(event.customer, ())
			if began <= moved_on <= churned_on
		]
		result[event.name] = within[-1] if within else None
	return result


def new_mrr_of(company: str, customers: Sequence[str]) -> dict[str, float]:
	"""customer -> the MRR it started paying at `company`: the sum of its New movements there (a reactivation
	is not new). Customers without one are absent."""
	if not customers:
		return {}
	condition, params = _customer_condition("customer", customers)
	rows = frappe.db.sql(
		f"""SELECT customer, SUM(amount) FROM `tabMRR Movement`
		WHERE company = %(company)s AND movement_type = %(new)s {condition}
		GROUP BY customer""",
		{**params, "company": company, "new": NEW},
	)
	return {customer: float(amount) for customer, amount in rows if amount}


# Customer lifetime value: paying customers and their MRR by customer group. Both read nearly every interval
# of the company (all that began before the period's end): through the (company, from_date) index that is a
# lookup of each row by its random name, twice as slow as reading the table (BENCHMARKS.md, benchmark 6).


def paying_start_and_lost_by_group(
	company: str, day_before: date, last_day: date, customers: Sequence[str] | None
) -> list[tuple]:
	"""(customer group, S, lost) for the customers with MRR at `company` on `day_before`; lost: with no MRR
	there on `last_day`. Summed in the database, a row per group: at 100,000 customers, reading a row per
	customer into Python costs seconds."""
	condition, params = _customer_condition("iv.customer", customers)
	return frappe.db.sql(
		f"""
		SELECT customer.customer_group, COUNT(*), SUM(1 - paying.at_end)
		FROM (
			SELECT iv.customer, MAX({covers("%(last)s", "iv")}) AS at_end
			FROM `tabMRR Interval` iv IGNORE INDEX (company_from_date_index)
			WHERE iv.company = %(company)s AND iv.from_date <= %(last)s
				AND IFNULL(iv.to_date, %(far)s) >= %(before)s {condition}
			GROUP BY iv.customer
			HAVING MAX({covers("%(before)s", "iv")})
		) paying
		LEFT JOIN `tabCustomer` customer ON customer.name = paying.customer
		GROUP BY customer.customer_group
		""",
		{**params, "company": company, "before": day_before, "last": last_day, "far": FAR_FUTURE},
	)


def mrr_at_month_ends_by_group(company: str, month_ends: list[date], customers: Sequence[str] | None) -> list:
	"""(customer group, MRR summed over the month ends, paying customers summed over them). A customer's
	intervals at a company never overlap, so each interval adds its MRR and 1 for every month end it
	covers."""
	condition, params = _customer_condition("iv.customer", customers)
	covered = " + ".join(covers(f"%(end{i})s", "iv") for i in range(len(month_ends)))
	return frappe.db.sql(
		f"""
		SELECT customer.customer_group, SUM(({covered}) * iv.mrr), SUM({covered})
		FROM `tabMRR Interval` iv IGNORE INDEX (company_from_date_index)
		LEFT JOIN `tabCustomer` customer ON customer.name = iv.customer
		WHERE iv.company = %(company)s AND iv.from_date <= %(last)s
			AND IFNULL(iv.to_date, %(far)s) >= %(first)s {condition}
		GROUP BY customer.customer_group
		""",
		{
			**{f"end{i}": end for i, end in enumerate(month_ends)},
			**params,
			"company": company,
			"first": month_ends[0],
			"last": month_ends[-1],
			"far": FAR_FUTURE,
		},
	)


# Active customers ---------------------------------------------------------------------------------------


def active_on_days(days, customers: Sequence[str] | None = None) -> dict[date, set[str]]:
	"""day -> customers active that day (recurring revenue or a signed agreement, any company)."""
	days = _days(days)
	if not days:
		return {}
	condition, params = _customer_condition("customer", customers)
	# One integer per customer whose bit i says whether it was active on day i, rather than a column per
	# day: for 100,000 customers and ten days those columns were a million values for pymysql to decode,
	# a third of the Retention and Churn report's time (BENCHMARKS.md).
	groups = [
		range(start, min(start + DAYS_PER_MASK, len(days))) for start in range(0, len(days), DAYS_PER_MASK)
	]
	masks = ", ".join(
		"BIT_OR(" + " | ".join(f"({covers(f'%(day{i})s')} << {i - group.start})" for i in group) + ")"
		for group in groups
	)
	rows = frappe.db.sql(
		f"""SELECT customer, {masks} FROM `tabCustomer Active Span`
		WHERE from_date <= %(last)s AND IFNULL(to_date, %(far)s) >= %(first)s {condition}
		GROUP BY customer""",
		{
			**{f"day{i}": day for i, day in enumerate(days)},
			**params,
			"far": FAR_FUTURE,
			"first": days[0],
			"last": days[-1],
		},
	)
	result = {day: set() for day in days}
	for customer, *group_masks in rows:
		for group, mask in zip(groups, group_masks, strict=True):
			mask = int(mask)
			while mask:
				lowest = mask & -mask
				result[days[group.start + lowest.bit_length() - 1]].add(customer)
				mask ^= lowest
	return result


def standing_on(day, customers: Sequence[str] | None = None) -> dict[str, bool]:
	"""customer -> whether it is active on `day`, for every customer that had become one by then (a span
	starting on or before `day`); a customer that never was one is absent."""
	condition, params = _customer_condition("customer", customers)
	return {
		customer: bool(active)
		for customer, active in frappe.db.sql(
			f"""SELECT customer, MAX({covers("%(day)s")}) FROM `tabCustomer Active Span`
			WHERE from_date <= %(day)s {condition}
			GROUP BY customer""",
			{**params, "day": getdate(day), "far": FAR_FUTURE},
		)
	}


def active_counts_by_group_and_territory(day, customers: Sequence[str] | None = None) -> list[tuple]:
	"""(customer group, territory, customers active on `day`), counted in the database (a customer's spans
	never overlap, so the spans covering the day count its customers)."""
	condition, params = _customer_condition("span.customer", customers)
	return frappe.db.sql(
		f"""SELECT customer.customer_group, customer.territory, COUNT(*)
		FROM `tabCustomer Active Span` span
		JOIN `tabCustomer` customer ON customer.name = span.customer
		WHERE {covers("%(day)s", "span")} {condition}
		GROUP BY customer.customer_group, customer.territory""",
		{**params, "day": getdate(day), "far": FAR_FUTURE},
	)


def ledger_is_empty() -> bool:
	return not frappe.db.sql("SELECT 1 FROM `tabCustomer Active Span` LIMIT 1")


# Lifecycle events ---------------------------------------------------------------------------------------

EVENT_FIELDS = ("name", "customer", "event_date", "churn_reason", "churn_reason_source", "churn_notes")


def lifecycle_events(
	event_type: str, start, end, customers: Sequence[str] | None = None, fields: Sequence[str] = EVENT_FIELDS
) -> list:
	"""The Customer Lifecycle Events of `event_type` (Acquired, Churned, Reactivated) dated in [start, end],
	both ends included, by date then customer (rows with `fields`). A churn is dated the first day the
	customer was no longer active."""
	condition, params = _customer_condition("customer", customers)
	return frappe.db.sql(
		f"""SELECT {", ".join(f"`{field}`" for field in fields)} FROM `tabCustomer Lifecycle Event`
		WHERE event_type = %(event_type)s AND event_date BETWEEN %(start)s AND %(end)s {condition}
		ORDER BY event_date, customer""",
		{**params, "event_type": event_type, "start": getdate(start), "end": getdate(end)},
		as_dict=True,
	)


def events_between(
	start: date, end: date, event_type: str, customers: Sequence[str] | None = None
) -> dict[str, list[date]]:
	"""customer -> dates of its lifecycle events of this type within [start, end] (lifecycle_events)."""
	result: dict[str, list[date]] = {}
	for row in lifecycle_events(event_type, start, end, customers, ("customer", "event_date")):
		result.setdefault(row.customer, []).append(getdate(row.event_date))
	return result


def acquired_on(customers: Sequence[str] | None = None) -> dict[str, date]:
	"""customer -> the day it first became a customer (its first Acquired event): where tenure counts from."""
	condition, params = _customer_condition("customer", customers)
	return {
		customer: getdate(day)
		for customer, day in frappe.db.sql(
			f"""SELECT customer, MIN(event_date) FROM `tabCustomer Lifecycle Event`
			WHERE event_type = %(acquired)s {condition} GROUP BY customer""",
			{**params, "acquired": ACQUIRED},
		)
	}


# Renewals -----------------------------------------------------------------------------------------------

RENEWAL_FIELDS = ("name", "customer", "company", "agreement_type", "agreement", "due_date", "outcome", "mrr")


def _renewal_filters(start, end, outcome, company, customers, enabled_only) -> list:
	filters = [["due_date", "between", (getdate(start), getdate(end))]]
	if outcome:
		filters.append(["outcome", "=", outcome])
	if company:
		filters.append(["company", "=", company])
	if customers is not None:
		filters.append(["customer", "in", list(customers) or [""]])
	return enabled_customers_only(filters) if enabled_only else filters


def renewals_due(
	start,
	end,
	outcome: str | None = None,
	company: str | None = None,
	customers: Sequence[str] | None = None,
	enabled_only: bool = False,
	limit: int | None = None,
	fields: Sequence[str] = RENEWAL_FIELDS,
) -> list:
	"""The agreement terms (a signed contract's or a subscription's) due in [start, end], both ends
	included; due: the term's last covered day. Of one outcome when given (Pending: not decided yet), one
	company, some customers, enabled customers only; rows with `fields`, by due date, customer, agreement,
	at most `limit` of them."""
	return frappe.get_all(
		"Agreement Renewal",
		filters=_renewal_filters(start, end, outcome, company, customers, enabled_only),
		fields=list(fields),
		order_by="due_date asc, customer asc, agreement asc, name asc",
		**({"limit": limit} if limit else {}),
	)


def count_renewals_due(
	start, end, outcome: str | None = None, customers: Sequence[str] | None = None, enabled_only: bool = False
) -> int:
	"""How many renewals_due there are."""
	return frappe.get_all(
		"Agreement Renewal",
		filters=_renewal_filters(start, end, outcome, None, customers, enabled_only),
		fields=["count(name) as n"],
	)[0].n


def days_to_next_renewal(day, customers: Sequence[str] | None = None, pending_only: bool = True) -> dict:
	"""customer -> days from `day` to the due date of its nearest term due on or after it; with
	`pending_only`, of the terms not decided yet (on a past day pass False: nothing was decided then)."""
	condition, params = _customer_condition("customer", customers)
	undecided = "outcome = %(pending)s" if pending_only else "1 = 1"
	return {
		customer: float(days)
		for customer, days in frappe.db.sql(
			f"""SELECT customer, MIN(DATEDIFF(due_date, %(day)s)) FROM `tabAgreement Renewal`
			WHERE {undecided} AND due_date >= %(day)s {condition}
			GROUP BY customer""",
			{**params, "day": getdate(day), "pending": PENDING},
		)
	}


# Movements ----------------------------------------------------------------------------------------------


def movements_between(
	movement_type: str, start, end, company: str | None = None, customers: Sequence[str] | None = None
) -> list[tuple[str, date, float]]:
	"""(customer, date, amount) of the MRR Movements of a type (New, Expansion, ...) dated in [start, end],
	both ends included, at one company or all, by date."""
	condition, params = _customer_condition("customer", customers)
	if company:
		condition += " AND company = %(company)s"
	return [
		(customer, getdate(day), float(amount or 0))
		for customer, day, amount in frappe.db.sql(
			f"""SELECT customer, movement_date, amount FROM `tabMRR Movement`
			WHERE movement_type = %(movement_type)s AND movement_date BETWEEN %(start)s AND %(end)s {condition}
			ORDER BY movement_date, customer""",
			{
				**params,
				"movement_type": movement_type,
				"start": getdate(start),
				"end": getdate(end),
				"company": company,
			},
		)
	]


# Cohorts ------------------------------------------------------------------------------------------------

# A ledger row's cohort: the month-end index of its customer's acquisition month (written by the rebuild).
COHORT = "PERIOD_DIFF(EXTRACT(YEAR_MONTH FROM t.acquired_on), %(base)s)"


def _month_end(month: date, months_later: int = 0) -> date:
	return getdate(get_last_day(add_months(month, months_later)))


def cohort_figures(
	cohorts: list[date], months: int, customers: Sequence[str] | None, company: str | None
) -> tuple[dict, dict, dict]:
	"""(cohort index -> size, cohort index -> [customers active at the end of month k for k in 0..months],
	cohort index -> [its MRR at `company` then]; {} without a company). `cohorts`: the first days of
	consecutive acquisition months.

	A query per ledger table for every cohort and month at once, none per cohort, and no join: each span
	and MRR interval carries its customer's acquisition day, and a covering index on it serves the reads.
	Each row is grouped by its cohort and the first and last month end it covers, and the months are summed
	up here from those bounds. Spans of a customer never overlap, nor do its MRR intervals at a company, so
	the spans covering a month end count its active customers and the intervals' MRR adds up to theirs."""
	if not cohorts:
		return {}, {}, {}
	first = cohorts[0]
	params = {
		"base": first.year * 100 + first.month,  # month-end index 0: the first cohort's month
		"first_day": first,
		"last_day": _month_end(cohorts[-1]),
		"first_month_end": _month_end(first),
		"horizon": _month_end(cohorts[-1], months),
		"far": FAR_FUTURE,
		"segment": tuple(customers or ()) or ("",),
	}
	segment = " AND t.customer IN %(segment)s" if customers is not None else ""
	# Every acquired customer has one span from its acquisition day (its spans never overlap): counting
	# those spans counts the cohort, with no DISTINCT to sort.
	sizes = {
		int(cohort): int(size)
		for cohort, size in frappe.db.sql(
			f"""SELECT {COHORT} AS cohort, COUNT(*) FROM `tabCustomer Active Span` t
			WHERE t.acquired_on BETWEEN %(first_day)s AND %(last_day)s AND t.from_date = t.acquired_on
				{segment}
			GROUP BY cohort""",
			params,
		)
	}
	active = _month_ends_by_cohort("Customer Active Span", "COUNT(*)", params, cohorts, months, segment)
	mrr = {}
	if company:
		mrr = _month_ends_by_cohort(
			"MRR Interval",
			"SUM(t.mrr)",
			{**params, "company": company},
			cohorts,
			months,
			f" AND t.company = %(company)s {segment}",
			# The covering index on company and acquisition day, not the one on company and from_date that
			# MariaDB prefers: every row is in the date range, and each then needs a row lookup (3x slower).
			"IGNORE INDEX (company_from_date_index)",
		)
		mrr = {cohort: [round(amount, 2) for amount in amounts] for cohort, amounts in mrr.items()}
	return sizes, active, mrr


def _month_ends_by_cohort(
	table: str, value: str, params: dict, cohorts, months: int, condition: str = "", index_hint: str = ""
) -> dict:
	"""cohort index -> [`value` over the rows covering the end of month k after the cohort's month]."""
	rows = frappe.db.sql(
		f"""
		SELECT {COHORT} AS cohort,
			GREATEST(PERIOD_DIFF(EXTRACT(YEAR_MONTH FROM t.from_date), %(base)s), 0) AS first_end,
			PERIOD_DIFF(EXTRACT(YEAR_MONTH FROM t.to_date), %(base)s) - (t.to_date < LAST_DAY(t.to_date))
				AS last_end,
			{value}
		FROM `tab{table}` t {index_hint}
		WHERE t.acquired_on BETWEEN %(first_day)s AND %(last_day)s
			AND t.from_date <= %(horizon)s AND IFNULL(t.to_date, %(far)s) >= %(first_month_end)s {condition}
		GROUP BY cohort, first_end, last_end
		""",
		params,
	)
	# A row adds its value from the first month end it covers and takes it away after the last one
	# (None: ongoing); a running sum then gives each month end.
	ends = len(cohorts) + months
	changes = {}
	for cohort, first_end, last_end, amount in rows:
		change = changes.setdefault(int(cohort), [0.0] * (ends + 1))
		change[int(first_end)] += float(amount or 0)
		if last_end is not None and int(last_end) + 1 < ends:
			change[int(last_end) + 1] -= float(amount or 0)
	result = {}
	for cohort, change in changes.items():
		running, totals = 0.0, []
		for value_change in change[:ends]:
			running += value_change
			totals.append(running)
		result[cohort] = totals[cohort : cohort + months + 1]
	return result
