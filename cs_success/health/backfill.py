"""Back-fill: monthly health snapshots for past month starts, scored as of that day.

History otherwise starts on install day, so trends and the score validation would be empty for
months. For each month start D, every customer active on D (revenue ledger) is scored by the same
engine, scorecards and measure queries as a live recompute (measure_data.AS_OF_SOURCES read what was
true on D: tickets open then, invoices overdue then, ledger standing and MRR then, survey answers,
touchpoints, usage and other activity recorded by then), and stored as a Daily snapshot marked
`is_backfilled` with the scorecard and version that scored it. A snapshot recorded live on that day is
never overwritten; re-running the back-fill refreshes only back-filled rows. What Play Effectiveness stores
for the start days those snapshots can change (band outcomes, the plays' reached sums, the runs' facts:
health/band_outcomes.py) is forgotten, for the daily run to compute again.

Not back-filled: success plans (a plan's progress and status have no history), so their measures
drop out of back-filled scores and the coverage says so.
"""

import json
from datetime import date

import frappe
from frappe.utils import add_days, add_months, get_first_day, getdate, now_datetime, today

from cs_success.base.bulk import clustered_name, day_stamp, large_temp_tables
from cs_success.engine.health_score import compute_health
from cs_success.engine.ledger import CHURNED
from cs_success.engine.scorecards import CustomerSegment, select_scorecard
from cs_success.health.band_outcomes import forget_snapshot_days
from cs_success.health.config import get_bands, load_scorecards
from cs_success.health.measure_data import (
	AS_OF_SOURCES,
	RawValues,
	billing_measures,
	billing_measures_on,
	gather_raw_values,
)
from cs_success.health.recompute import breakdown_state, stored_coverage, stored_score
from cs_success.ledger.queries import FAR_FUTURE, active_on_days, events_between

# The invoice read for this many dates at once: one pass over the invoices instead of one a date, with at
# most this many dates' billing values held at a time (six: two passes for a year, at 600 MB peak at 100,000).
BILLING_DATES_PER_READ = 6
# What is read a date at a time: every source with history but billing.
OTHER_SOURCES = tuple(source for source in AS_OF_SOURCES if source is not billing_measures)
UPDATED_COLUMNS = (
	"active_in_ledger",
	"churned_on",
	"score",
	"band",
	"computed_score",
	"data_coverage",
	"scorecard",
	"scorecard_version",
	"measure_scores",
	"modified",
)


def backfill_dates(months: int, on: date | None = None, since: date | None = None) -> list[date]:
	"""The month starts of the past `months` months before `on` (today), oldest first; with `since`, every
	month start from `since` on (the first of its month when it is one) instead."""
	on = getdate(on or today())
	if since is not None:
		since = getdate(since)
		day = since if since.day == 1 else getdate(add_months(get_first_day(since), 1))
		dates = []
		while day < on:
			dates.append(day)
			day = getdate(add_months(day, 1))
		return dates
	first = get_first_day(on)
	dates = [getdate(add_months(first, -k)) for k in range(months + 1)]
	return sorted(day for day in dates if day < on)[-months:] if months > 0 else []


def backfill(
	months: int,
	on: date | None = None,
	customers: list[str] | None = None,
	since: date | None = None,
	progress=None,
) -> dict[date, int]:
	"""Write back-filled snapshots for the past `months` month starts, or every month start from `since`
	(of the given customers, or everyone). Returns customers per date. `progress(done, total)` is told
	after each date."""
	scorecards = load_scorecards()
	versions = dict(frappe.get_all("Health Scorecard", fields=["name", "version"], as_list=True))
	bands = get_bands()
	dates = backfill_dates(months, on, since)
	active = active_on_days(dates, customers)
	churns = events_between(add_days(dates[0], 1), FAR_FUTURE, CHURNED, customers) if dates else {}
	everyone = sorted(set().union(*active.values())) if active else []
	segments = _segments(everyone) if everyone else {}
	# Site-wide (names None), each date's reads take everyone and keep the active: tens of thousands of
	# names in every query's IN list cost more than the rows of the few who are not.
	names = None if customers is None else everyone
	written, billing = {}, {}
	with large_temp_tables():
		for done, day in enumerate(dates, 1):
			customers = sorted(active.get(day, ()))
			written[day] = len(customers)
			if customers:
				if day not in billing:
					# The invoices read once for several dates (measure_data.billing_measures_on), not once a date.
					billing = billing_measures_on(names, dates[done - 1 : done - 1 + BILLING_DATES_PER_READ])
				raw = gather_raw_values(customers, names, day, OTHER_SOURCES)
				for customer, values in billing.pop(day).items():
					if customer in raw:
						raw[customer].update(values)
				_upsert(score_on(day, customers, raw, scorecards, versions, bands, churns, segments))
			if progress:
				progress(done, len(dates))
	if scored := [day for day, count in written.items() if count]:
		# Snapshots of past days change what followed those days: the stored band outcomes go.
		forget_snapshot_days(min(scored), max(scored))
	return written


def score_on(
	day: date, customers: list[str], raw: RawValues, scorecards, versions, bands, churns, segments
) -> list[tuple]:
	"""Snapshot rows of these customers (all active on `day`) from their raw values as of `day`; `churns`:
	customer -> its churn dates, for the first one after `day` (what followed: ledger/snapshot_outcomes.py);
	`segments`: _segments of them."""
	rows, now = [], now_datetime()
	prefix = day_stamp(day)
	for name in customers:
		if name not in segments:
			continue  # ledger rows of a customer that is gone
		group, territory, since = segments[name]
		age = max(0, (day - since).days)
		scorecard = select_scorecard(scorecards, CustomerSegment(group, territory, age))
		result = compute_health(scorecard.rules, raw.get(name, {}), validated=True)
		churned_on = min((on for on in churns.get(name, ()) if on > day), default=None)
		rows.append(
			(
				clustered_name(prefix), name, day,
				stored_score(result.score), bands.band_for(result.score, result.coverage),
				stored_score(result.score), stored_coverage(result.coverage), scorecard.name or None,
				int(versions.get(scorecard.name) or 0), json.dumps(breakdown_state(result), sort_keys=True),
				1, churned_on, now,
			)
		)  # fmt: skip
	return rows


def _segments(customers: list[str]) -> dict[str, tuple]:
	"""customer -> (customer group, territory, the day its age counts from: the earlier of its creation and
	its first submitted invoice), for every customer (disabled ones too: a customer that churned since may
	well be disabled now). Read once for all the days: none of it depends on the day."""
	segments = {}
	for start in range(0, len(customers), 5000):
		for name, group, territory, since in frappe.db.sql(
			"""
			SELECT c.name, c.customer_group, c.territory,
				LEAST(DATE(c.creation), COALESCE(first_invoice.posting_date, DATE(c.creation)))
			FROM `tabCustomer` c
			LEFT JOIN (
				SELECT customer, MIN(posting_date) AS posting_date FROM `tabSales Invoice`
				WHERE docstatus = 1 AND customer IN %(customers)s GROUP BY customer
			) first_invoice ON first_invoice.customer = c.name
			WHERE c.name IN %(customers)s
			""",
			{"customers": tuple(customers[start : start + 5000])},
		):
			segments[name] = (group, territory, getdate(since))
	return segments


def _upsert(rows: list[tuple]) -> None:
	"""Insert, or refresh a back-filled row; a snapshot recorded live that day is left as it is. A row's
	name starts with its day (score_on: clustered_name), so a month's inserts do not evict the invoices
	the next month reads. The
	values every row shares (kind, flags, timestamps, user) are written once as SQL, not escaped per row:
	pymysql's escaping of every value was a sixth of the back-fill's time."""
	columns = [
		"name", "customer", "snapshot_date", "score", "band", "computed_score", "data_coverage",
		"scorecard", "scorecard_version", "measure_scores", "active_in_ledger", "churned_on", "creation",
	]  # fmt: skip
	now, user = frappe.db.escape(str(now_datetime())), frappe.db.escape(frappe.session.user)
	shared = {
		"kind": "'Daily'",
		"override_active": "0",
		"is_backfilled": "1",
		"modified": now,
		"owner": user,
		"modified_by": user,
		"docstatus": "0",
	}
	placeholder = "(" + ", ".join(["%s"] * len(columns) + list(shared.values())) + ")"
	columns = columns + list(shared)
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
