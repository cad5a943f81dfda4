"""Health Band Outcome: per start day and health band, what followed for every customer in the band, kept so
that the Play Effectiveness report does not read every customer's history each time it runs.

A start day S's row for band B and window N (30 or 90 days) sums, over every customer whose band on S was B
(its latest Daily snapshot on or before S, at most LOOKBACK_DAYS old): the customers, those with a Churned
event in (S, S + N], and the health change to S + N (its sum, in score points, and how many had one). It is
the engine's pool (cs_success/engine/play_effectiveness.py `band_tallies`), the same facts_on and Tally the
report would otherwise compute on the fly, and depends on no play or run. The report subtracts from it the
customers a play reached (cs_success/playbooks/effectiveness.py).

A window is only stored once it is final: S + N before the day it was computed. A start day's windows are
computed and stored together (both, once the 90 days have passed, so the 30-day row is recomputed then).
A day with no banded customer gets one row with an empty band, so that it counts as done.

Who keeps them:
- the daily run (jobs.daily queues `fill_due` as a job of its own): every start day of the last KEEP_DAYS
  whose stored windows are fewer than the passed ones, which is the day whose 30-day window passed
  yesterday, the day whose 90-day one did, and any day missed (scheduler gaps, install, a day forgotten
  below), in one stream of every customer's snapshots over those days;
- the back-fill (health/backfill.py) forgets the start days its snapshots can change, and the first run
  (jobs.first_run) forgets them all, since it rebuilds the ledger; the demo forgets them all too.

What else makes a stored row stale, without forgetting it: a Churned event that moves or appears in the
revenue ledger after the row was computed (an invoice or contract changed and the ledger rebuilt, a renewal
settled late), a customer merged (its snapshots fold into the survivor's) or deleted (its snapshots go),
and a snapshot written for a past day by anything but the back-fill. The 30-day rows are recomputed when the
90-day window passes (day S + 91), which catches the changes made in between; older rows stay as they are
until something forgets them. `cs_success.health.band_outcomes.forget` (bench execute) followed by
`fill_due` recomputes everything. Recomputing the last 120 start days every day would catch more, but it
costs what a quarter of the full fill does (28 s at 10,000 customers against the daily step's 12 s, and ten
times that at 100,000: BENCHMARKS.md, benchmark 9), so the daily run does not.

Raw SQL for the writes and the read: the report's read is on its benchmarked path (BENCHMARKS.md), the
writes replace a day's rows in one statement, and the sum must come back exactly (as text, not a float)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal

import frappe
from frappe.utils import getdate, now_datetime, today

from cs_success.base.bulk import insert_rows
from cs_success.engine.ledger import CHURNED
from cs_success.engine.play_effectiveness import (
	LOOKBACK_DAYS,
	SCORE_UNITS,
	WINDOWS,
	History,
	Tally,
	band_tallies,
	window_passed,
)
from cs_success.health.snapshots import daily_history
from cs_success.ledger.queries import events_between

DOCTYPE = "Health Band Outcome"
# Start days kept: a year of runs and their comparisons with room to spare. Older days are computed on the
# fly when a report asks for them, and their rows deleted.
KEEP_DAYS = 400
# The band of the row that marks a day computed with no banded customer.
NOBODY = ""
# The longest a stored window reaches back from its end: what a snapshot on day D can change.
REACH = max(WINDOWS)
COLUMNS = [
	"name",
	"creation",
	"modified",
	"owner",
	"modified_by",
	"docstatus",
	"start_day",
	"band",
	"window_days",
	"customers",
	"churned",
	"change_sum",
	"changes",
	"computed_on",
]


def final_windows(day: date, on: date) -> tuple[int, ...]:
	"""The windows of start day `day` that have passed by `on`."""
	return tuple(window for window in WINDOWS if window_passed(day, window, on))


# Computing ----------------------------------------------------------------------------------------------


def compute(days: Iterable[date], on: date) -> dict[tuple[date, str], Tally]:
	"""The pool of these start days as of `on`, over every customer: one stream of the Daily snapshots from
	LOOKBACK_DAYS before the first day to the longest window after the last (or `on`), the same span the
	report's full computation reads for them."""
	days = sorted(set(days))
	if not days:
		return {}
	first = days[0] - timedelta(days=LOOKBACK_DAYS)
	last = min(days[-1] + timedelta(days=max(WINDOWS)), on)
	churn = events_between(days[0] + timedelta(days=1), last, CHURNED, None)
	# Unbuffered: every snapshot of the span passes through once, one customer at a time.
	with frappe.db.unbuffered_cursor():
		histories = ((customer, History(rows)) for customer, rows in daily_history(first, last, None))
		return band_tallies(histories, churn, days)


def fill(days: Iterable[date], on: date | None = None) -> int:
	"""Compute these start days as of `on` (today) and store their final windows, replacing what they had.
	Days with no final window are left out. Returns how many days were stored."""
	on = getdate(on or today())
	days = sorted(day for day in set(days) if final_windows(day, on))
	if not days:
		return 0
	pool = compute(days, on)
	now = now_datetime()
	user = frappe.session.user
	by_day = defaultdict(list)
	for (day, band), tally in pool.items():
		by_day[day].append((band, tally))
	rows = []
	for day in days:
		bands = sorted(by_day.get(day, ()), key=lambda item: item[0]) or [(NOBODY, Tally())]
		for window in final_windows(day, on):
			index = WINDOWS.index(window)
			for band, tally in bands:
				rows.append(
					(
						frappe.generate_hash(length=20), now, now, user, user, 0, day, band, window,
						tally.customers, tally.churned[index], points(tally.change_sum[index]),
						tally.changes[index], now,
					)
				)  # fmt: skip
	forget_days(days)
	insert_rows(DOCTYPE, COLUMNS, rows)
	return len(days)


def fill_due(on: date | None = None, keep_days: int = KEEP_DAYS) -> int:
	"""The daily run's step: store every start day of the last `keep_days` whose passed windows are not all
	stored (the days whose windows passed since the last run, and any missing), and delete older days.
	Returns how many days were computed."""
	on = getdate(on or today())
	oldest = on - timedelta(days=keep_days)
	frappe.db.sql("DELETE FROM `tabHealth Band Outcome` WHERE start_day < %s", oldest)
	stored = stored_windows(oldest, on)
	due = [
		day
		for offset in range(keep_days + 1)
		if (windows := final_windows(day := oldest + timedelta(days=offset), on))
		and not set(windows) <= stored.get(day, set())
	]
	return fill(due, on)


def points(units: int) -> str:
	"""A sum in SCORE_UNITS as the exact decimal text the Float column stores (9 decimals, no exponent)."""
	return format(Decimal(units) / SCORE_UNITS, "f")


# Reading ------------------------------------------------------------------------------------------------


def stored_windows(first: date, last: date) -> dict[date, set[int]]:
	"""start day -> the windows stored for it, for the days from `first` to `last`."""
	windows = defaultdict(set)
	for day, window in frappe.db.sql(
		"""SELECT DISTINCT start_day, window_days FROM `tabHealth Band Outcome`
		WHERE start_day BETWEEN %s AND %s""",
		(first, last),
	):
		windows[getdate(day)].add(int(window))
	return dict(windows)


def stored_pool(days: Iterable[date], on: date) -> tuple[dict[tuple[date, str], Tally], set[date]]:
	"""The stored pool of those start days whose every window passed by `on` is stored, and which days those
	are. A window not passed by `on` is left at zero when not stored: nothing reads it."""
	days = sorted(set(days))
	if not days:
		return {}, set()
	rows = frappe.db.sql(
		"""SELECT start_day, band, window_days, customers, churned, CAST(change_sum AS CHAR), changes
		FROM `tabHealth Band Outcome` WHERE start_day IN %(days)s""",
		{"days": tuple(days)},
	)
	windows = defaultdict(set)
	for day, _band, window, *_figures in rows:
		windows[getdate(day)].add(int(window))
	complete = {day for day in days if set(final_windows(day, on)) <= windows.get(day, set())}
	pool: dict[tuple[date, str], Tally] = {}
	for day, band, window, customers, churned, change_sum, changes in rows:
		day = getdate(day)
		if day not in complete or band == NOBODY or int(window) not in WINDOWS:
			continue
		tally = pool.setdefault((day, band), Tally(len(WINDOWS), int(customers)))
		index = WINDOWS.index(int(window))
		tally.churned[index] = int(churned)
		tally.change_sum[index] = int(Decimal(change_sum) * SCORE_UNITS)
		tally.changes[index] = int(changes)
	return pool, complete


def pool(days: Iterable[date], on: date) -> dict[tuple[date, str], Tally]:
	"""The pool of these start days as of `on`: stored where every passed window is, the rest computed on
	the fly (nothing is written: the report is read-only)."""
	days = sorted(set(days))
	found, complete = stored_pool(days, on)
	missing = [day for day in days if day not in complete]
	if missing:
		found.update(compute(missing, on))
	return found


# Forgetting ---------------------------------------------------------------------------------------------


def forget(first: date | None = None, last: date | None = None) -> None:
	"""Delete the stored start days from `first` to `last` (either open: every day on that side); the next
	daily run computes them again."""
	conditions, values = [], []
	if first is not None:
		conditions.append("start_day >= %s")
		values.append(getdate(first))
	if last is not None:
		conditions.append("start_day <= %s")
		values.append(getdate(last))
	where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
	frappe.db.sql(f"DELETE FROM `tabHealth Band Outcome`{where}", values)


def forget_snapshot_days(first: date, last: date) -> None:
	"""Snapshots were written for days from `first` to `last`: forget every start day they can change, from
	the longest window before the first (a later score) to LOOKBACK_DAYS after the last (a band on it)."""
	forget(getdate(first) - timedelta(days=REACH), getdate(last) + timedelta(days=LOOKBACK_DAYS))


def forget_days(days: Iterable[date]) -> None:
	days = sorted(set(days))
	for start in range(0, len(days), 1000):
		frappe.db.sql(
			"DELETE FROM `tabHealth Band Outcome` WHERE start_day IN %(days)s",
			{"days": tuple(days[start : start + 1000])},
		)
