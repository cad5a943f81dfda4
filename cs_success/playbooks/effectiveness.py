"""Play Effectiveness, the reads: the runs, the churn events and the Daily snapshots the comparison needs,
handed to cs_success/engine/play_effectiveness.py, which does the arithmetic.

The comparison of a run is every customer in its band on its start day less those the play reached around
it. cs_success/health/band_outcomes.py keeps both parts: the first, the pool, per start day once a window
has passed; the second, per play and start day, and each run's own facts, once the day is final (every
window and MATCH_DAYS after it have passed). So for a final start day the report reads stored rows and no
snapshot history at all; it reads the Daily snapshots of only the customers still needed one by one (the
runs of days not final yet and the customers their plays reached around them: the engine's Plan.needed),
over the span of those days. A start day not stored (one the daily run has not reached, older than the
stored year, forgotten by a back-fill, a (play, day) whose reached customers changed since it was stored)
is computed on the fly.

A user restricted by User Permissions on Customer gets the full computation over the customers allowed
(the stored rows count everyone): one stream of those customers' Daily snapshots of the span, in which the
engine finds each customer's band and later scores on every start day by bisection (about 3 microseconds
per customer and start day)."""

from __future__ import annotations

from datetime import date, timedelta

import frappe
from frappe.utils import get_datetime, getdate

from cs_success.base.permissions import permitted_values
from cs_success.engine.ledger import CHURNED
from cs_success.engine.play_effectiveness import (
	LOOKBACK_DAYS,
	MATCH_DAYS,
	WINDOWS,
	History,
	PlayFigures,
	Run,
	evaluate,
	facts_from_text,
	plan,
	reach_key,
	window_passed,
)
from cs_success.health import band_outcomes
from cs_success.health.snapshots import daily_history
from cs_success.ledger.queries import events_between


def effectiveness(
	from_date: date, to_date: date, today: date, play: str | None = None, stored: bool = True
) -> tuple[list[PlayFigures], PlayFigures]:
	"""Each play's figures for the runs started from `from_date` to `to_date` (one play, or all), and all
	of them together. Only the customers the user's User Permissions allow, runs and comparison alike.
	`stored=False`: the full computation, without the stored pool (the benchmark's and the tests' reference)."""
	from_date, to_date, today = getdate(from_date), getdate(to_date), getdate(today)
	customers = permitted_values("Customer")
	use_stored = stored and customers is None
	nearby = load_runs(
		from_date - timedelta(days=MATCH_DAYS),
		to_date + timedelta(days=MATCH_DAYS),
		play,
		customers,
		with_facts=use_stored,
	)
	runs = [run for run in nearby if from_date <= run.start_day <= to_date]
	starts = [run.start_day for run in runs if window_passed(run.start_day, min(WINDOWS), today)]
	nearby_starts = [(run.play, run.customer, run.start_day) for run in nearby]
	if not starts:
		return evaluate(runs, nearby_starts, [], {}, today)
	pool = reached = None
	if use_stored:
		planned = plan(runs, nearby_starts, today)
		pool = band_outcomes.pool(planned.days, today)
		keys = {pair: reach_key(excluded) for pair, excluded in planned.excluded.items()}
		reached = band_outcomes.stored_reached(keys, today)
		# Only the customers of what is not stored, over the span of their days: nobody at all when every
		# start day is final and stored.
		needed = plan(runs, nearby_starts, today, reached=reached).needed
		if not needed:
			return evaluate(runs, nearby_starts, [], {}, today, pool=pool, reached=reached)
		customers = sorted(needed)
		starts = sorted(set().union(*needed.values()))
	first = min(starts) - timedelta(days=LOOKBACK_DAYS)
	last = min(max(starts) + timedelta(days=max(WINDOWS)), today)
	churn = load_churn(min(starts), last, customers)
	# Unbuffered: every snapshot of the span passes through once, never held in memory all at once. The
	# engine reads nothing else meanwhile (the connection is busy with the stream).
	with frappe.db.unbuffered_cursor():
		return evaluate(
			runs,
			nearby_starts,
			snapshot_histories(first, last, customers),
			churn,
			today,
			pool=pool,
			reached=reached,
		)


def load_runs(
	from_date: date,
	to_date: date,
	play: str | None,
	customers: list[str] | None,
	with_facts: bool = False,
) -> list[Run]:
	"""The runs started from `from_date` to `to_date` (days, inclusive), of one play or all; `with_facts`:
	with the facts stored on each run (band_outcomes), where they are for its start day and customer."""
	filters = [
		["enrolled_on", ">=", from_date],
		["enrolled_on", "<", to_date + timedelta(days=1)],
	]
	if play:
		filters.append(["play", "=", play])
	if customers is not None:
		filters.append(["customer", "in", customers or [""]])
	return [
		Run(
			play=row.play,
			customer=row.customer,
			started=get_datetime(row.enrolled_on),
			status=row.status,
			closed=get_datetime(row.closed_on) if row.closed_on else None,
			outcome=row.outcome or None,
			band_at_start=row.band_at_start or None,
			score_at_start=row.score_at_start,
			facts=stored_facts(row) if with_facts else None,
		)
		for row in frappe.get_all(
			"Play Run",
			filters=filters,
			fields=[
				"play",
				"customer",
				"enrolled_on",
				"status",
				"closed_on",
				"outcome",
				"band_at_start",
				"score_at_start",
				"effect_day",
				"effect_customer",
				"effect_facts",
			],
			order_by="enrolled_on asc",
		)
	]


def stored_facts(row):
	"""The run's stored facts (band_outcomes), when they are for its start day and its customer now."""
	if not row.effect_day or row.effect_customer != row.customer:
		return None
	if getdate(row.effect_day) != get_datetime(row.enrolled_on).date():
		return None
	return facts_from_text(row.effect_facts)


def load_churn(after: date, until: date, customers: list[str] | None) -> dict[str, list[date]]:
	"""customer -> its Churned events (revenue ledger) in (after, until]."""
	return events_between(after + timedelta(days=1), until, CHURNED, customers)


def snapshot_histories(first: date, last: date, customers: list[str] | None):
	"""(customer, History) of each customer with Daily snapshots from `first` to `last`, one customer at a
	time, streamed (health/snapshots.py daily_history)."""
	for customer, rows in daily_history(first, last, customers):
		yield customer, History(rows)
