"""Health Band Outcome and Play Band Outcome: per start day, what followed for the customers in each health
band, and for those a play reached around the day; and each Play Run's own facts. Kept so that the Play
Effectiveness report reads no customer's snapshot history for a start day whose figures are final.

A start day S's Health Band Outcome row for band B and window N (30 or 90 days) sums, over every customer
whose band on S was B (its latest Daily snapshot on or before S, at most LOOKBACK_DAYS old): the customers,
those with a Churned event in (S, S + N], and the health change to S + N (its sum, in score points, and how
many had one). It is the engine's pool (cs_success/engine/play_effectiveness.py `band_tallies`), the same
facts_on and Tally the report would otherwise compute on the fly, and depends on no play or run.

The rest of a run's comparison is per play. A Play Band Outcome row for play P, day S, band B and window N
sums the same figures over the customers P enrolled within MATCH_DAYS either side of S that were in B on S
(the engine's `reached_tallies`), so that the comparison is the pool less them; it carries `reach_key`, the
fingerprint of those customers. And a Play Run keeps its customer's facts on its start day (band and score
then, score at each window's end, churn within each window) in its hidden, read-only `effect_*` fields,
with the start day and customer they are for. Play Run's fields are all the server's: a client save that
changes them is refused (playbooks/permissions.py check_client_changes), and these are written here only,
by raw SQL that leaves the run's `modified` alone.

When they are stored:
- a Health Band Outcome window once it is final: S + N before the day it was computed. A start day's
  windows are computed and stored together (both, once the 90 days have passed, so the 30-day row is
  recomputed then). A day with no banded customer gets one row with an empty band, so that it counts as
  done;
- a Play Band Outcome (P, S) and a run's facts once S is final (engine `day_final`): every window has
  passed and so has MATCH_DAYS, after which no run starting later joins the customers P reached around S.
  Only (P, S)s on which P has a run; one with nobody banded gets an empty-band row per window. Days not
  final are computed on the fly by the report, as before.

Who keeps them:
- the daily run (jobs.daily queues `fill_due` as a job of its own): every start day of the last KEEP_DAYS
  whose stored windows are fewer than the passed ones (the day whose 30-day window passed yesterday, the
  day whose 90-day one did, and any day missed: scheduler gaps, install, a day forgotten below); every
  final (P, S) of those days whose stored reach_key is missing or no longer that of the customers P reached
  around S; every run of a final day whose facts are missing or are for another day or customer. One
  stream of every customer's snapshots over the band days serves the reached customers and the runs of
  those days too (the daily step's day S + 91 is one of them); the few (P, S)s and runs of other days
  (after a run was deleted or a customer merged) are computed from the snapshots of their customers alone;
- the back-fill (health/backfill.py) forgets all three for the start days its snapshots can change, and the
  first run (jobs.first_run) forgets them all, since it rebuilds the ledger; the demo forgets them all too.

A run created or deleted for an old start day (a Play Run deleted, one inserted with a past enrolment, a
customer merged into another, which moves its runs) changes the customers its play reached around every
day within MATCH_DAYS of the run's start: nothing has to catch it as it happens, because the report and the
daily run compare each stored (P, S)'s reach_key with the fingerprint of the runs there are now, and a
(P, S) that does not match is computed on the fly by the report and replaced by the next daily run. A run's
own facts name the customer they are for, so a run moved to another customer by a merge is computed again;
a deleted run takes its facts with it.

What else makes a stored row stale, without forgetting it: a Churned event that moves or appears in the
revenue ledger after the row was computed (an invoice or contract changed and the ledger rebuilt, a renewal
settled late), a customer merged (its snapshots fold into the survivor's) or deleted (its snapshots go),
and a snapshot written for a past day by anything but the back-fill. The 30-day rows are recomputed when the
90-day window passes (day S + 91), which catches the changes made in between; older rows stay as they are
until something forgets them. `cs_success.health.band_outcomes.forget` (bench execute) followed by
`fill_due` recomputes everything. Recomputing the last 120 start days every day would catch more, but it
costs what a quarter of the full fill does (28 s at 10,000 customers against the daily step's 12 s, and ten
times that at 100,000: BENCHMARKS.md, benchmark 9), so the daily run does not.

Raw SQL for the writes and the reads: the report's read is on its benchmarked path (BENCHMARKS.md), the
writes replace a day's rows in one statement, and the sum must come back exactly (as text, not a float)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

import frappe
from frappe.utils import getdate, now_datetime, today

from cs_success.base.bulk import insert_rows
from cs_success.engine.ledger import CHURNED
from cs_success.engine.play_effectiveness import (
	LOOKBACK_DAYS,
	MATCH_DAYS,
	SCORE_UNITS,
	WINDOWS,
	Facts,
	History,
	Tally,
	day_final,
	exclusions,
	facts_from_text,
	facts_text,
	gather,
	reach_key,
	reached_tallies,
	window_passed,
)
from cs_success.health.snapshots import daily_history
from cs_success.ledger.queries import events_between

DOCTYPE = "Health Band Outcome"
REACH_DOCTYPE = "Play Band Outcome"
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
REACH_COLUMNS = [
	*COLUMNS[:6],
	"play",
	"start_day",
	"band",
	"window_days",
	"reach_key",
	"customers",
	"churned",
	"change_sum",
	"changes",
	"computed_on",
]


def final_windows(day: date, on: date) -> tuple[int, ...]:
	"""The windows of start day `day` that have passed by `on`."""
	return tuple(window for window in WINDOWS if window_passed(day, window, on))


# Computing ---------------------------------------------------------------------------------------------


@dataclass
class PlayWork:
	"""What a fill computes besides the pool: the final (play, day)s to store with the customers the play
	reached around each (`reached`) and their fingerprints (`keys`), and the runs whose own facts to store,
	as (run name, customer, start day)."""

	reached: dict[tuple[str, date], set[str]] = field(default_factory=dict)
	keys: dict[tuple[str, date], str] = field(default_factory=dict)
	runs: list[tuple[str, str, date]] = field(default_factory=list)

	def needed(self) -> dict[str, set[date]]:
		"""customer -> the start days whose facts this needs."""
		needed = defaultdict(set)
		for (_play, day), customers in self.reached.items():
			for customer in customers:
				needed[customer].add(day)
		for _name, customer, day in self.runs:
			needed[customer].add(day)
		return dict(needed)

	def __bool__(self) -> bool:
		return bool(self.reached or self.runs)


def compute(days: Iterable[date], on: date) -> dict[tuple[date, str], Tally]:
	"""The pool of these start days as of `on`, over every customer: one stream of the Daily snapshots from
	LOOKBACK_DAYS before the first day to the longest window after the last (or `on`), the same span the
	report's full computation reads for them."""
	return compute_with(days, {}, on)[0]


def compute_with(
	days: Iterable[date], needed: Mapping[str, Iterable[date]], on: date
) -> tuple[dict[tuple[date, str], Tally], dict[tuple[str, date], Facts]]:
	"""The pool of `days` as of `on` (compute's) and the Facts of the (customer, day)s in `needed`
	(customer -> final start days). Those whose day lies among the pool's days come from the same stream of
	every customer's snapshots; the others from a stream of only their customers' snapshots."""
	days = sorted(set(days))
	inside, outside = defaultdict(set), defaultdict(set)
	for customer, wanted in needed.items():
		for day in wanted:
			(inside if days and days[0] <= day <= days[-1] else outside)[customer].add(day)
	pool: dict[tuple[date, str], Tally] = {}
	kept: dict[tuple[str, date], Facts] = {}
	if days:
		pool, kept = _stream(days, inside, on, None)
	if outside:
		_pool, more = _stream((), outside, on, sorted(outside))
		kept.update(more)
	return pool, kept


def _stream(days, needed, on, customers):
	"""gather over one stream of the Daily snapshots of `customers` (None: everyone) spanning `days` and the
	days in `needed`: from LOOKBACK_DAYS before the first to the longest window after the last (or `on`)."""
	every = sorted(set(days).union(*needed.values()))
	first = every[0] - timedelta(days=LOOKBACK_DAYS)
	last = min(every[-1] + timedelta(days=max(WINDOWS)), on)
	churn = events_between(every[0] + timedelta(days=1), last, CHURNED, customers)
	# Unbuffered: every snapshot of the span passes through once, one customer at a time.
	with frappe.db.unbuffered_cursor():
		histories = ((customer, History(rows)) for customer, rows in daily_history(first, last, customers))
		return gather(histories, churn, needed, days)


def fill(days: Iterable[date], on: date | None = None, work: PlayWork | None = None) -> int:
	"""Compute these start days as of `on` (today) and store their final windows, replacing what they had,
	and what `work` asks for (the plays' reached sums and the runs' facts, of final days). Days with no final
	window are left out. Returns how many days were stored."""
	on = getdate(on or today())
	days = sorted(day for day in set(days) if final_windows(day, on))
	work = work or PlayWork()
	if not days and not work:
		return 0
	pool, kept = compute_with(days, work.needed(), on)
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
	_delete_band_days(days)
	insert_rows(DOCTYPE, COLUMNS, rows)
	_store_reached(work, kept, on, now, user)
	_store_run_facts(work, kept)
	return len(days)


def _store_reached(work: PlayWork, kept, on: date, now, user) -> None:
	"""Replace the rows of the (play, day)s of `work` with their reached sums, every window (they are final)."""
	reached = reached_tallies(work.reached, kept)
	rows = []
	for (play, day), bands in reached.items():
		key = work.keys[(play, day)]
		listed = sorted(bands.items()) or [(NOBODY, Tally())]
		for window in final_windows(day, on):
			index = WINDOWS.index(window)
			for band, tally in listed:
				rows.append(
					(
						frappe.generate_hash(length=20), now, now, user, user, 0, play, day, band, window, key,
						tally.customers, tally.churned[index], points(tally.change_sum[index]),
						tally.changes[index], now,
					)
				)  # fmt: skip
	_delete_reached(reached)
	insert_rows(REACH_DOCTYPE, REACH_COLUMNS, rows)


def _store_run_facts(work: PlayWork, kept) -> None:
	"""Each run's facts with the day and customer they are for. One UPDATE a run: a few a day, a year's
	runs on the first fill (about 5,400 at 100,000 customers); `modified` is left alone, nobody edited it."""
	for name, customer, day in work.runs:
		frappe.db.sql(
			"""UPDATE `tabPlay Run` SET effect_day = %s, effect_customer = %s, effect_facts = %s
			WHERE name = %s""",
			(day, customer, facts_text(kept[(customer, day)]), name),
		)


def play_work(oldest: date, on: date) -> PlayWork:
	"""What the plays need stored for the final start days from `oldest` on: the (play, day)s with a run
	whose stored reach_key is missing or differs from that of the runs there are now, and the runs whose
	facts are missing or for another day or customer. Stored (play, day)s with no run left are deleted."""
	runs = frappe.db.sql(
		"""SELECT name, play, customer, enrolled_on, effect_day, effect_customer, effect_facts
		FROM `tabPlay Run` WHERE enrolled_on >= %s AND enrolled_on < %s""",
		(oldest - timedelta(days=MATCH_DAYS), on),
	)
	nearby, final_runs = [], []
	for name, play, customer, enrolled_on, effect_day, effect_customer, effect_facts in runs:
		day = getdate(enrolled_on)
		nearby.append((play, customer, day))
		if day >= oldest and day_final(day, on):
			stored = (
				effect_day is not None
				and getdate(effect_day) == day
				and effect_customer == customer
				and facts_from_text(effect_facts) is not None
			)
			final_runs.append((name, play, customer, day, stored))
	pairs = {(play, day) for _name, play, _customer, day, _stored in final_runs}
	reached = exclusions(nearby, pairs)
	keys = {pair: reach_key(customers) for pair, customers in reached.items()}
	stored_keys = defaultdict(set)
	for play, day, key in frappe.db.sql(
		"SELECT DISTINCT play, start_day, reach_key FROM `tabPlay Band Outcome` WHERE start_day >= %s",
		oldest,
	):
		stored_keys[(play, getdate(day))].add(key)
	_delete_reached([pair for pair in stored_keys if pair not in pairs and day_final(pair[1], on)])
	due = [pair for pair in pairs if stored_keys.get(pair) != {keys[pair]}]
	return PlayWork(
		reached={pair: reached[pair] for pair in due},
		keys={pair: keys[pair] for pair in due},
		runs=[(name, customer, day) for name, _play, customer, day, stored in final_runs if not stored],
	)


def fill_due(on: date | None = None, keep_days: int = KEEP_DAYS) -> int:
	"""The daily run's step: store every start day of the last `keep_days` whose passed windows are not all
	stored (the days whose windows passed since the last run, and any missing), and what the plays need for
	the final days (play_work), and delete older days. Returns how many days' pools were computed."""
	on = getdate(on or today())
	oldest = on - timedelta(days=keep_days)
	frappe.db.sql("DELETE FROM `tabHealth Band Outcome` WHERE start_day < %s", oldest)
	frappe.db.sql("DELETE FROM `tabPlay Band Outcome` WHERE start_day < %s", oldest)
	stored = stored_windows(oldest, on)
	due = [
		day
		for offset in range(keep_days + 1)
		if (windows := final_windows(day := oldest + timedelta(days=offset), on))
		and not set(windows) <= stored.get(day, set())
	]
	return fill(due, on, play_work(oldest, on))


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


def stored_reached(
	keys: Mapping[tuple[str, date], str], on: date
) -> dict[tuple[str, date], dict[str, Tally]]:
	"""(play, day) -> band -> the stored reached sums, for the (play, day)s of `keys` (-> the fingerprint of
	the customers the play reached around the day now) whose rows carry that fingerprint and every window
	passed by `on`. The rest are left out: the report computes them."""
	if not keys:
		return {}
	rows = frappe.db.sql(
		"""SELECT play, start_day, band, window_days, reach_key, customers, churned,
			CAST(change_sum AS CHAR), changes
		FROM `tabPlay Band Outcome` WHERE start_day IN %(days)s AND play IN %(plays)s""",
		{"days": tuple({day for _play, day in keys}), "plays": tuple({play for play, _day in keys})},
	)
	found: dict[tuple[str, date], dict[str, Tally]] = defaultdict(dict)
	windows, wrong = defaultdict(set), set()
	for play, day, band, window, key, customers, churned, change_sum, changes in rows:
		pair = (play, getdate(day))
		if pair not in keys or int(window) not in WINDOWS:
			continue
		if key != keys[pair]:
			wrong.add(pair)
			continue
		windows[pair].add(int(window))
		if band == NOBODY:
			continue
		tally = found[pair].setdefault(band, Tally(len(WINDOWS), int(customers)))
		index = WINDOWS.index(int(window))
		tally.churned[index] = int(churned)
		tally.change_sum[index] = int(Decimal(change_sum) * SCORE_UNITS)
		tally.changes[index] = int(changes)
	return {
		pair: found.get(pair, {})
		for pair in keys
		if pair not in wrong and windows.get(pair) and set(final_windows(pair[1], on)) <= windows[pair]
	}


# Forgetting ---------------------------------------------------------------------------------------------


def forget(first: date | None = None, last: date | None = None) -> None:
	"""Delete what is stored for the start days from `first` to `last` (either open: every day on that side):
	the band outcomes, the plays' reached sums and the runs' facts; the next daily run computes them again."""
	conditions, values = [], []
	if first is not None:
		conditions.append("{day} >= %s")
		values.append(getdate(first))
	if last is not None:
		conditions.append("{day} <= %s")
		values.append(getdate(last))
	where = " AND ".join(conditions) or "1 = 1"
	frappe.db.sql(f"DELETE FROM `tabHealth Band Outcome` WHERE {where.format(day='start_day')}", values)
	frappe.db.sql(f"DELETE FROM `tabPlay Band Outcome` WHERE {where.format(day='start_day')}", values)
	_clear_run_facts(f"effect_day IS NOT NULL AND {where.format(day='effect_day')}", values)


def forget_snapshot_days(first: date, last: date) -> None:
	"""Snapshots were written for days from `first` to `last`: forget every start day they can change, from
	the longest window before the first (a later score) to LOOKBACK_DAYS after the last (a band on it)."""
	forget(getdate(first) - timedelta(days=REACH), getdate(last) + timedelta(days=LOOKBACK_DAYS))


def forget_days(days: Iterable[date]) -> None:
	"""Forget these start days: their band outcomes, the plays' reached sums and the runs' facts."""
	days = sorted(set(days))
	_delete_band_days(days)
	for start in range(0, len(days), 1000):
		chunk = {"days": tuple(days[start : start + 1000])}
		frappe.db.sql("DELETE FROM `tabPlay Band Outcome` WHERE start_day IN %(days)s", chunk)
		_clear_run_facts("effect_day IN %(days)s", chunk)


def _delete_band_days(days: Iterable[date]) -> None:
	days = sorted(set(days))
	for start in range(0, len(days), 1000):
		frappe.db.sql(
			"DELETE FROM `tabHealth Band Outcome` WHERE start_day IN %(days)s",
			{"days": tuple(days[start : start + 1000])},
		)


def _delete_reached(pairs: Iterable[tuple[str, date]]) -> None:
	"""Delete the rows of these (play, day)s, a statement per day."""
	by_day = defaultdict(set)
	for play, day in pairs:
		by_day[day].add(play)
	for day, plays in sorted(by_day.items()):
		frappe.db.sql(
			"DELETE FROM `tabPlay Band Outcome` WHERE start_day = %s AND play IN %s", (day, tuple(plays))
		)


def _clear_run_facts(where: str, values) -> None:
	frappe.db.sql(
		f"UPDATE `tabPlay Run` SET effect_day = NULL, effect_customer = NULL, effect_facts = NULL WHERE {where}",
		values,
	)
