"""Back-fill: monthly health snapshots for past month starts, scored as of that day.

History otherwise starts on install day, so trends and the score validation would be empty for
months. For each month start D, every customer active on D (revenue ledger) is scored by the same
engine and scorecards as a live recompute, from what was true on D, and stored as a Daily snapshot
marked `is_backfilled` with the scorecard and version that scored it. A snapshot recorded live on
that day is never overwritten; re-running the back-fill refreshes only back-filled rows.

Measures evaluated as of D (the others have no data in a back-filled snapshot, so they drop out and
the coverage says so):
- tickets: open on D (opened on or before D, not resolved by D), opened in the 90 days to D, mean
  resolution time of those resolved in the 90 days to D (Issue, and HD Ticket when installed);
- revenue ledger: standing on D, MRR change over the 90 days to D, days from D to the nearest term
  due on or after D (its outcome was not known on D);
- touchpoints: days since the last one before D, and how many in the 90 days to D;
- surveys: the latest NPS answer submitted by D.
Not back-filled (they have no history to read): overdue invoices and payment lateness (the invoice's
outstanding amount is today's), usage, success plans, CSAT and CES.

Raw SQL: a fixed number of grouped queries per month start, as in measure_data.
"""

import json
from collections import defaultdict
from datetime import date

import frappe
from frappe.utils import add_days, add_months, get_first_day, getdate, now_datetime, today

from cs_success.engine.health_score import compute_health
from cs_success.engine.scorecards import CustomerSegment, select_scorecard
from cs_success.health.config import get_bands, load_scorecards
from cs_success.health.measure_data import RawValues, helpdesk_ticket_select, renewal_measures
from cs_success.ledger.queries import active_on_days

BACKFILLED_MEASURES = (
	"open_tickets",
	"tickets_90d",
	"avg_resolution_hours",
	"renewal_standing",
	"mrr_change_90d",
	"days_to_renewal",
	"days_since_touchpoint",
	"touchpoints_90d",
	"latest_nps",
)
UPDATED_COLUMNS = (
	"score",
	"band",
	"computed_score",
	"data_coverage",
	"scorecard",
	"scorecard_version",
	"measure_scores",
	"modified",
)


def backfill_dates(months: int, on: date | None = None) -> list[date]:
	"""The month starts of the past `months` months before `on` (today), oldest first."""
	on = getdate(on or today())
	first = get_first_day(on)
	dates = [getdate(add_months(first, -k)) for k in range(months + 1)]
	return sorted(day for day in dates if day < on)[-months:] if months > 0 else []


def backfill(months: int, on: date | None = None) -> dict[date, int]:
	"""Write back-filled snapshots for the past `months` month starts. Returns customers per date."""
	scorecards = load_scorecards()
	versions = dict(frappe.get_all("Health Scorecard", fields=["name", "version"], as_list=True))
	bands = get_bands()
	dates = backfill_dates(months, on)
	active = active_on_days(dates)
	written = {}
	for day in dates:
		customers = sorted(active.get(day, ()))
		written[day] = len(customers)
		if customers:
			rows = score_on(day, customers, scorecards, versions, bands)
			_upsert(rows)
	return written


def score_on(day: date, customers: list[str], scorecards, versions, bands) -> list[tuple]:
	raw = raw_values_on(day, customers)
	rows, now, user = [], now_datetime(), frappe.session.user
	for name, group, territory, age in _segments(day, customers):
		scorecard = select_scorecard(scorecards, CustomerSegment(group, territory, int(age)))
		result = compute_health(scorecard.rules, raw.get(name, {}), validated=True)
		state = {
			m.key: [_rounded(m.raw_value), _rounded(m.score), round(m.contribution, 3)]
			for m in result.measures
		}
		rows.append(
			(
				frappe.generate_hash(length=20), name, day, "Daily",
				_stored(result.score), bands.band_for(result.score), _stored(result.score),
				round(result.coverage), 0, scorecard.name or None, int(versions.get(scorecard.name) or 0), 1,
				json.dumps(state, sort_keys=True), now, now, user, user, 0,
			)
		)  # fmt: skip
	return rows


def _rounded(value):
	return None if value is None else round(float(value), 1)


def _stored(value):
	return 0.0 if value is None else round(float(value), 1)


def _segments(day: date, customers: list[str]):
	"""Customer group, territory and age on `day`, for every customer (disabled ones too: a customer
	that churned since may well be disabled now)."""
	return frappe.db.sql(
		"""
		SELECT c.name, c.customer_group, c.territory,
			GREATEST(0, DATEDIFF(%(day)s, LEAST(DATE(c.creation), COALESCE(first_invoice.posting_date, DATE(c.creation)))))
		FROM `tabCustomer` c
		LEFT JOIN (
			SELECT customer, MIN(posting_date) AS posting_date FROM `tabSales Invoice`
			WHERE docstatus = 1 AND customer IN %(customers)s GROUP BY customer
		) first_invoice ON first_invoice.customer = c.name
		WHERE c.name IN %(customers)s
		""",
		{"day": day, "customers": tuple(customers)},
	)


def raw_values_on(day: date, customers: list[str]) -> RawValues:
	params = {
		"day": day,
		"end": f"{day} 23:59:59",
		"d90": add_days(day, -90),
		"customers": tuple(customers),
		"far": "9999-12-31",
	}
	values: RawValues = {name: {"open_tickets": 0.0, "tickets_90d": 0.0} for name in customers}
	for source in (_tickets_on, _ledger_on, _touchpoints_on, _nps_on):
		for customer, measures in source(params).items():
			if customer in values:
				values[customer].update(measures)
	return values


def _tickets_on(params) -> RawValues:
	tickets = """
		SELECT customer, opening_date AS opened_on,
			IF(status IN ('Resolved', 'Closed'), COALESCE(sla_resolution_date, modified), NULL) AS resolved_at,
			COALESCE(NULLIF(resolution_time, 0),
				TIMESTAMPDIFF(SECOND, creation, COALESCE(sla_resolution_date, modified))) AS resolution_seconds
		FROM `tabIssue` WHERE customer IN %(customers)s
	"""
	if hd_tickets := helpdesk_ticket_select(params["customers"]):
		tickets += (
			f" UNION ALL SELECT customer, opened_on, resolved_at, resolution_seconds FROM ({hd_tickets}) hd"
		)
	values: RawValues = defaultdict(dict)
	for customer, open_tickets, recent, hours in frappe.db.sql(
		f"""
		SELECT customer,
			SUM(opened_on <= %(day)s AND (resolved_at IS NULL OR resolved_at > %(end)s)),
			SUM(opened_on > %(d90)s AND opened_on <= %(day)s),
			AVG(IF(resolved_at >= %(d90)s AND resolved_at <= %(end)s, resolution_seconds, NULL)) / 3600
		FROM ({tickets}) tickets WHERE customer IS NOT NULL GROUP BY customer
		""",
		params,
	):
		v = values[customer]
		v["open_tickets"] = float(open_tickets or 0)
		v["tickets_90d"] = float(recent or 0)
		if hours is not None:
			v["avg_resolution_hours"] = float(hours)
	return values


def _ledger_on(params) -> RawValues:
	# The live measures' own queries, as of the day: one definition of standing, renewal and MRR change.
	return renewal_measures(params["customers"], params["day"])


def _touchpoints_on(params) -> RawValues:
	return {
		customer: {"days_since_touchpoint": float(max(0, days)), "touchpoints_90d": float(recent or 0)}
		for customer, days, recent in frappe.db.sql(
			"""SELECT customer, DATEDIFF(%(day)s, MAX(touchpoint_date)), SUM(touchpoint_date > %(d90)s)
			FROM `tabTouchpoint` WHERE touchpoint_date <= %(end)s AND customer IN %(customers)s
			GROUP BY customer""",
			params,
		)
	}


def _nps_on(params) -> RawValues:
	return {
		customer: {"latest_nps": float(score)}
		for customer, score in frappe.db.sql(
			"""SELECT r.customer, r.headline_score FROM `tabSurvey Response` r
			JOIN (
				SELECT customer, MAX(submitted_on) AS submitted_on FROM `tabSurvey Response`
				WHERE headline_type = 'NPS' AND submitted_on <= %(end)s AND customer IN %(customers)s
				GROUP BY customer
			) latest ON latest.customer = r.customer AND latest.submitted_on = r.submitted_on
			WHERE r.headline_type = 'NPS'""",
			params,
		)
		if score is not None
	}


def _upsert(rows: list[tuple]) -> None:
	"""Insert, or refresh a back-filled row; a snapshot recorded live that day is left as it is."""
	columns = [
		"name", "customer", "snapshot_date", "kind", "score", "band", "computed_score", "data_coverage",
		"override_active", "scorecard", "scorecard_version", "is_backfilled", "measure_scores",
		"creation", "modified", "owner", "modified_by", "docstatus",
	]  # fmt: skip
	placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
	# `is_backfilled` is not assigned, so every IF below reads the stored row's flag.
	updates = ", ".join(f"`{c}` = IF(is_backfilled = 1, VALUES(`{c}`), `{c}`)" for c in UPDATED_COLUMNS)
	for start in range(0, len(rows), 2000):
		batch = rows[start : start + 2000]
		frappe.db.sql(
			f"""INSERT INTO `tabCustomer Health Snapshot` ({", ".join(f"`{c}`" for c in columns)})
			VALUES {", ".join([placeholder] * len(batch))}
			ON DUPLICATE KEY UPDATE {updates}""",
			[value for row in batch for value in row],
		)
