"""Does a play work? Its runs against what happened to comparable customers it did not reach, without Frappe.

For each run and each window N (30 and 90 days after the run's start day S), once the window has passed
(S + N before today):
- health change: the customer's score on day S + N (the latest Daily snapshot on or before that day, no
  older than LOOKBACK_DAYS and taken after S: a snapshot from before the start says nothing about after
  it) minus its score at the start (the run's own `score_at_start`, else the latest snapshot on or before
  S within LOOKBACK_DAYS); unknown when either is missing;
- churned: a Churned event of the customer in (S, S + N].
The comparison of a run: every customer in the run's band on day S (their latest snapshot on or before S
within LOOKBACK_DAYS) whom the same play did not enrol within MATCH_DAYS either side of S; their mean
health change and churn rate, computed the same way. A play's comparison figure is the mean of its runs'
(each run weighs the same, however many customers it is compared with); a run with nobody to compare
with drops out of it, and a figure with nothing behind it is None, never 0.

Rates and churn figures are percentages (0-100), health changes are score points, durations days.
The Frappe side (cs_success/playbooks/effectiveness.py) reads the rows; this module does the arithmetic.

The comparison groups start from the *pool*: per start day and band, every customer's outcomes summed
(`band_tallies`). It depends on no play or run, so cs_success/health/band_outcomes.py keeps it per start day
once a window has passed, and `evaluate` takes it from there (`pool=`), reading one by one only the
customers it needs (`Plan.needed`). Health changes are summed in whole SCORE_UNITS, exactly, so a stored
sum and one made on the fly, in any order of customers, give the same figures to the last digit.

The rest of a comparison is per play: the customers the play reached around the start day, summed per band
(`reached_tallies`), so that the comparison is pool(day, band) minus reached(play, day, band). Those sums and
each run's own Facts are stored too once a start day is final (`day_final`: every window has passed and so
has MATCH_DAYS, after which no run of the day can join the exclusion set), and `evaluate` takes them
(`reached=`, `facts=`): for final days it then reads no customer's snapshots at all. A stored reached sum
carries the `reach_key` of the customers it counts, so one whose exclusion set has changed since (a run
deleted, a customer merged) is seen not to match and is computed again.
"""

from __future__ import annotations

import hashlib
import json
import statistics
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Container, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from cs_success.engine.health_score import NO_DATA, SNAPSHOT_LOOKBACK_DAYS

WINDOWS = (30, 90)
# A snapshot older than this says nothing about the day (the one definition of health on a day).
LOOKBACK_DAYS = SNAPSHOT_LOOKBACK_DAYS
# A customer the play enrolled this close to a run's start is not that run's comparison.
MATCH_DAYS = 90
OUTCOMES = ("Saved", "Churned", "No Effect")
# Health changes are summed in these units of a score point: scores are stored with 9 decimals (Frappe's
# Float column, decimal(21,9)), so every change is a whole number of them and a sum is exact whatever the
# order of its customers (a float sum is not, and a stored sum is rounded to the column's 9 decimals).
SCORE_UNITS = 10**9


# --- Arithmetic ------------------------------------------------------------------------------------


def mean(values: Iterable[float | None]) -> float | None:
	"""The mean of the values that are there; None when none is."""
	present = [value for value in values if value is not None]
	return sum(present) / len(present) if present else None


def median(values: Iterable[float | None]) -> float | None:
	present = [value for value in values if value is not None]
	return statistics.median(present) if present else None


def rate(part: float, whole: float) -> float | None:
	"""part / whole in percent; None, not 0, when there is no whole."""
	return 100.0 * part / whole if whole else None


def difference(value: float | None, reference: float | None) -> float | None:
	"""value - reference; None when either is missing."""
	if value is None or reference is None:
		return None
	return value - reference


def days_between(start: datetime, end: datetime | None) -> float | None:
	"""Days from start to end, with the fraction of a day; None when not ended or ended before it began."""
	if start is None or end is None or end < start:
		return None
	return (end - start).total_seconds() / 86400.0


def window_passed(start: date, days: int, today: date) -> bool:
	"""(start, start + days] is over: the last day of the window is before today."""
	return start + timedelta(days=days) < today


def day_final(start: date, today: date, windows: Sequence[int] = WINDOWS) -> bool:
	"""Everything about start day `start` is settled by `today`: every window has passed, and so has
	MATCH_DAYS after it, so no run starting later can join the customers a play reached around it."""
	return all(window_passed(start, window, today) for window in windows) and window_passed(
		start, MATCH_DAYS, today
	)


# --- One customer on one start day ----------------------------------------------------------------


class History:
	"""A customer's Daily snapshots, oldest first: (day, score, band). A No Data snapshot has no score."""

	__slots__ = ("bands", "days", "scores")

	def __init__(self, rows: Iterable[tuple[date, float | None, str | None]] = ()):
		rows = sorted(rows, key=lambda row: row[0])
		self.days = [day.toordinal() for day, _score, _band in rows]
		self.scores = [
			None if band == NO_DATA or score is None else float(score) for _day, score, band in rows
		]
		self.bands = [band for _day, _score, band in rows]

	def latest(self, on: int, not_before: int) -> int | None:
		"""Index of the latest snapshot in [not_before, on] (ordinal days); None if there is none."""
		index = bisect_right(self.days, on) - 1
		return index if index >= 0 and self.days[index] >= not_before else None

	def span(self) -> tuple[int, int] | None:
		return (self.days[0], self.days[-1]) if self.days else None


@dataclass(frozen=True, slots=True)
class Facts:
	"""One customer seen from a start day S: band and score on S, score on S + N and churn in (S, S + N]
	for each window N."""

	band: str | None
	score: float | None
	later: tuple[float | None, ...]
	churned: tuple[bool, ...]

	def change(self, index: int) -> float | None:
		return difference(self.later[index], self.score)


def facts_on(
	history: History, churn_days: Sequence[int], start: date, windows: Sequence[int] = WINDOWS
) -> Facts:
	"""The customer's facts from start day `start`; `churn_days`: its Churned events as sorted ordinals."""
	day = start.toordinal()
	at_start = history.latest(day, day - LOOKBACK_DAYS)
	# A churn in (day, end]: the first event after `day` falls on or before `end`.
	first_after = bisect_right(churn_days, day)
	next_churn = churn_days[first_after] if first_after < len(churn_days) else None
	later, churned = [], []
	for days in windows:
		end = day + days
		at_end = history.latest(end, max(day + 1, end - LOOKBACK_DAYS))
		later.append(None if at_end is None else history.scores[at_end])
		churned.append(next_churn is not None and next_churn <= end)
	return Facts(
		band=None if at_start is None else history.bands[at_start],
		score=None if at_start is None else history.scores[at_start],
		later=tuple(later),
		churned=tuple(churned),
	)


def facts_text(facts: Facts, windows: Sequence[int] = WINDOWS) -> str:
	"""Facts as the text a run stores them in (JSON; a float's repr reads back as the same float)."""
	return json.dumps(
		{
			"windows": list(windows),
			"band": facts.band,
			"score": facts.score,
			"later": list(facts.later),
			"churned": [int(churned) for churned in facts.churned],
		},
		separators=(",", ":"),
	)


def facts_from_text(text: str | None, windows: Sequence[int] = WINDOWS) -> Facts | None:
	"""The Facts a run stored (facts_text), or None when there are none, or stored for other windows."""
	if not text:
		return None
	try:
		stored = json.loads(text)
	except ValueError:
		return None
	if not isinstance(stored, dict) or stored.get("windows") != list(windows):
		return None
	return Facts(
		band=stored["band"],
		score=stored["score"],
		later=tuple(stored["later"]),
		churned=tuple(bool(churned) for churned in stored["churned"]),
	)


def score_units(points: float) -> int:
	"""A score or a change in whole SCORE_UNITS (exact for any value the score column holds)."""
	return round(points * SCORE_UNITS)


@dataclass
class Tally:
	"""Sums over a group of customers on one start day, per window (by index into the windows). The health
	changes are summed in SCORE_UNITS (`change_sum`), whole numbers: exact in any order."""

	windows: int = len(WINDOWS)
	customers: int = 0
	churned: list[int] = field(default_factory=list)
	change_sum: list[int] = field(default_factory=list)
	changes: list[int] = field(default_factory=list)

	def __post_init__(self):
		self.churned = self.churned or [0] * self.windows
		self.change_sum = self.change_sum or [0] * self.windows
		self.changes = self.changes or [0] * self.windows

	def add(self, facts: Facts, sign: int = 1) -> None:
		"""Count a customer in (sign 1) or take it out again (sign -1)."""
		self.customers += sign
		for index in range(self.windows):
			self.churned[index] += sign * facts.churned[index]
			change = facts.change(index)
			if change is not None:
				self.change_sum[index] += sign * score_units(change)
				self.changes[index] += sign

	def subtract(self, other: Tally) -> None:
		"""Take out the customers another Tally counts (each of them counted in this one too)."""
		self.customers -= other.customers
		for index in range(self.windows):
			self.churned[index] -= other.churned[index]
			self.change_sum[index] -= other.change_sum[index]
			self.changes[index] -= other.changes[index]

	def copy(self) -> Tally:
		return Tally(
			self.windows, self.customers, list(self.churned), list(self.change_sum), list(self.changes)
		)

	def churn_rate(self, index: int) -> float | None:
		return rate(self.churned[index], self.customers)

	def mean_change(self, index: int) -> float | None:
		"""In score points; one division of two whole numbers (correctly rounded, the same every time)."""
		if not self.changes[index]:
			return None
		return self.change_sum[index] / (self.changes[index] * SCORE_UNITS)


# --- Runs and plays --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
	play: str
	customer: str
	started: datetime
	status: str | None = None
	closed: datetime | None = None
	outcome: str | None = None
	band_at_start: str | None = None
	score_at_start: float | None = None
	# The run's customer's Facts on its start day as stored once the day was final; None: not stored.
	facts: Facts | None = None

	@property
	def start_day(self) -> date:
		return self.started.date() if isinstance(self.started, datetime) else self.started


def start_score(band_at_start: str | None, score_at_start: float | None, snapshot_score: float | None):
	"""The run's own score at the start when it recorded one, else the snapshot's. The stored score is 0,
	not empty, when the customer had none (a Float column), so the band says whether it is real: a run
	with no band, or No Data, recorded no score."""
	if band_at_start and band_at_start != NO_DATA and score_at_start is not None:
		return float(score_at_start)
	return snapshot_score


@dataclass(frozen=True)
class RunWindow:
	"""One run seen N days after its start: its own figures and its comparison customers' means."""

	change: float | None
	churned: bool
	comparison_change: float | None = None
	comparison_churn_rate: float | None = None


@dataclass(frozen=True)
class WindowFigures:
	n: int  # runs whose window has passed
	health_change: float | None
	churn_rate: float | None
	comparison_health_change: float | None
	comparison_churn_rate: float | None
	compared: int  # runs with at least one comparison customer

	@property
	def churn_difference(self) -> float | None:
		"""Play minus comparison, in percentage points: below 0, fewer of the play's customers churned."""
		return difference(self.churn_rate, self.comparison_churn_rate)


def window_figures(results: Sequence[RunWindow]) -> WindowFigures:
	return WindowFigures(
		n=len(results),
		health_change=mean(result.change for result in results),
		churn_rate=rate(sum(result.churned for result in results), len(results)),
		comparison_health_change=mean(result.comparison_change for result in results),
		comparison_churn_rate=mean(result.comparison_churn_rate for result in results),
		compared=sum(result.comparison_churn_rate is not None for result in results),
	)


@dataclass(frozen=True)
class PlayFigures:
	play: str | None  # None: all plays together
	started: int
	closed: int
	completion_rate: float | None
	median_days_to_close: float | None
	outcomes: Mapping[str, int]
	windows: Mapping[int, WindowFigures]


def play_figures(
	play: str | None, runs: Sequence[Run], results: Mapping[int, Sequence[RunWindow]]
) -> PlayFigures:
	"""A play's row from its runs (started in the range) and their window results."""
	closed = [run for run in runs if run.status == "Closed"]
	outcomes = dict.fromkeys(OUTCOMES, 0)
	for run in closed:
		if run.outcome in outcomes:
			outcomes[run.outcome] += 1
	return PlayFigures(
		play=play,
		started=len(runs),
		closed=len(closed),
		completion_rate=rate(len(closed), len(runs)),
		median_days_to_close=median(days_between(run.started, run.closed) for run in closed),
		outcomes=outcomes,
		windows={days: window_figures(results.get(days, ())) for days in results},
	)


def exclusions(
	nearby: Iterable[tuple[str, str, date]], wanted: Iterable[tuple[str, date]]
) -> dict[tuple[str, date], set[str]]:
	"""(play, start day) -> the customers that play enrolled within MATCH_DAYS either side of that day.
	`nearby`: (play, customer, start day) of every run of the plays around the range; `wanted`: the (play,
	day) pairs to answer."""
	by_play = defaultdict(list)
	for play, customer, day in nearby:
		by_play[play].append((day.toordinal(), customer))
	for starts in by_play.values():
		starts.sort()
	result = {}
	for play, day in wanted:
		starts = by_play.get(play, [])
		low = bisect_left(starts, (day.toordinal() - MATCH_DAYS,))
		high = bisect_left(starts, (day.toordinal() + MATCH_DAYS + 1,))
		result[(play, day)] = {customer for _day, customer in starts[low:high]}
	return result


def reach_key(customers: Iterable[str]) -> str:
	"""A fingerprint of the customers a play reached around a start day: a stored sum over them is only
	theirs while the set is the same."""
	return hashlib.sha1("\n".join(sorted(customers)).encode()).hexdigest()


@dataclass(frozen=True)
class Plan:
	"""What the figures of some runs need: the runs whose shortest window has passed (`measured`), their
	start days, the customers each (play, start day) leaves out of its comparison, and the customers whose
	facts are needed one by one (customer -> start days: the runs' own, and those left out), less those
	known beforehand (stored: the runs' own facts, the reached sums of a (play, day))."""

	measured: list[Run]
	days: list[date]
	excluded: dict[tuple[str, date], set[str]]
	needed: dict[str, set[date]]
	windows: tuple[int, ...]
	today: date

	def final_windows(self, day: date) -> tuple[int, ...]:
		"""The windows of start day `day` that have passed: the only ones its figures use."""
		return tuple(window for window in self.windows if window_passed(day, window, self.today))


def plan(
	runs: Sequence[Run],
	nearby: Iterable[tuple[str, str, date]],
	today: date,
	windows: Sequence[int] = WINDOWS,
	reached: Container[tuple[str, date]] = (),
) -> Plan:
	"""The Plan of these runs (evaluate's arguments of the same names): a run with its `facts` needs no
	snapshot of its customer, a (play, day) in `reached` none of the customers the play reached."""
	# Only start days with a passed window need anything: the shortest window passes first.
	measured = [run for run in runs if window_passed(run.start_day, min(windows), today)]
	excluded = exclusions(nearby, {(run.play, run.start_day) for run in measured})
	needed = defaultdict(set)
	for run in measured:
		if run.facts is None:
			needed[run.customer].add(run.start_day)
	for (play, day), customers in excluded.items():
		if (play, day) in reached:
			continue
		for customer in customers:
			needed[customer].add(day)
	return Plan(
		measured=measured,
		days=sorted({run.start_day for run in measured}),
		excluded=excluded,
		needed=dict(needed),
		windows=tuple(windows),
		today=today,
	)


def churn_ordinals(churn: Mapping[str, Sequence[date]]) -> dict[str, list[int]]:
	"""customer -> its Churned event days as sorted ordinals, as facts_on takes them."""
	return {customer: sorted(day.toordinal() for day in days) for customer, days in churn.items()}


def facts_by_day(
	history: History,
	churn_days: Sequence[int],
	days: Sequence[date],
	ordinals: Sequence[int],
	windows: Sequence[int] = WINDOWS,
) -> Iterator[tuple[date, Facts]]:
	"""(start day, facts) of one customer on the sorted start days `days` (`ordinals`: theirs) that its
	snapshots can speak for: from its first one to LOOKBACK_DAYS after its last (no state before the first,
	nor long after the last; on any other day it has no band, so it is in no group)."""
	span = history.span()
	if span is None:
		return
	low = bisect_left(ordinals, span[0])
	high = bisect_right(ordinals, span[1] + LOOKBACK_DAYS)
	for day in days[low:high]:
		yield day, facts_on(history, churn_days, day, windows)


def band_tallies(
	histories: Iterable[tuple[str, History]],
	churn: Mapping[str, Sequence[date]],
	days: Iterable[date],
	windows: Sequence[int] = WINDOWS,
) -> dict[tuple[date, str], Tally]:
	"""The pool: (start day, band) -> the Tally of every customer in that band on that day (its latest
	snapshot on or before the day within LOOKBACK_DAYS), for each of `days`. histories: (customer, History)
	of every customer, each once, with its Daily snapshots from LOOKBACK_DAYS before the first day to the
	longest window's end (or before today); churn: customer -> Churned event days in the same span. It
	depends on no play or run: cs_success/health/band_outcomes.py stores it per start day."""
	return gather(histories, churn, {}, days, windows)[0]


def gather(
	histories: Iterable[tuple[str, History]],
	churn: Mapping[str, Sequence[date]],
	needed: Mapping[str, Iterable[date]],
	days: Iterable[date] = (),
	windows: Sequence[int] = WINDOWS,
) -> tuple[dict[tuple[date, str], Tally], dict[tuple[str, date], Facts]]:
	"""One pass over `histories`: the pool of `days` (band_tallies; empty without days) and the Facts of
	every (customer, day) in `needed` (customer -> start days), also of those with no snapshot in the
	stream (churn is still known). The arguments are band_tallies'."""
	days = sorted(set(days))
	ordinals = [day.toordinal() for day in days]
	churn_days = churn_ordinals(churn)
	no_churn: list[int] = []
	pool: dict[tuple[date, str], Tally] = defaultdict(lambda: Tally(len(windows)))
	kept: dict[tuple[str, date], Facts] = {}
	for customer, history in histories:
		wanted = needed.get(customer, ())
		churned = churn_days.get(customer, no_churn)
		for day, facts in facts_by_day(history, churned, days, ordinals, windows):
			if facts.band:  # an empty band is none
				pool[(day, facts.band)].add(facts)
			if day in wanted:
				kept[(customer, day)] = facts
		# A customer may have no snapshot on a start day and still later ones.
		for day in wanted:
			if (customer, day) not in kept:
				kept[(customer, day)] = facts_on(history, churned, day, windows)
	empty = History()
	for customer, wanted in needed.items():
		for day in wanted:
			if (customer, day) not in kept:  # no snapshot at all: churn is still known
				kept[(customer, day)] = facts_on(empty, churn_days.get(customer, no_churn), day, windows)
	return dict(pool), kept


def reached_tallies(
	excluded: Mapping[tuple[str, date], Iterable[str]],
	kept: Mapping[tuple[str, date], Facts],
	windows: Sequence[int] = WINDOWS,
) -> dict[tuple[str, date], dict[str, Tally]]:
	"""(play, day) -> band -> the Tally of the customers the play reached around the day (`excluded`, each
	once) that were in that band on it; `kept`: their Facts on the day (gather's). What a comparison takes
	out of the pool, and what cs_success/health/band_outcomes.py stores per play once the day is final."""
	reached: dict[tuple[str, date], dict[str, Tally]] = {}
	for (play, day), customers in excluded.items():
		bands: dict[str, Tally] = {}
		for customer in set(customers):
			facts = kept[(customer, day)]
			if facts.band:  # an empty band is none, as in the pool
				bands.setdefault(facts.band, Tally(len(windows))).add(facts)
		reached[(play, day)] = bands
	return reached


def evaluate(
	runs: Sequence[Run],
	nearby: Iterable[tuple[str, str, date]],
	histories: Iterable[tuple[str, History]],
	churn: Mapping[str, Sequence[date]],
	today: date,
	windows: Sequence[int] = WINDOWS,
	pool: Mapping[tuple[date, str], Tally] | None = None,
	reached: Mapping[tuple[str, date], Mapping[str, Tally]] | None = None,
) -> tuple[list[PlayFigures], PlayFigures]:
	"""Every play's figures (plays in order of name) and all plays' together.

	runs: the runs started in the range; nearby: (play, customer, start day) of the runs of the same plays
	within MATCH_DAYS of the range, the range's own included; histories: (customer, History) of every
	customer with Daily snapshots from LOOKBACK_DAYS before the first start day to the last window's end,
	each customer once (read as a stream: they are only passed over once); churn: customer -> Churned
	event days in the same span.

	pool: band_tallies of the plan's start days (each day's passed windows at least), made beforehand (kept
	by cs_success/health/band_outcomes.py); reached: reached_tallies of some (play, day)s made beforehand
	(stored, for final days), and a run's `facts` its own; then `histories` and `churn` need only cover the
	customers in plan(..., reached=reached).needed, and nobody else's snapshots are read."""
	reached = dict(reached or {})
	planned = plan(runs, nearby, today, windows, reached)
	measured, days, excluded, needed = planned.measured, planned.days, planned.excluded, planned.needed

	built, kept = gather(histories, churn, needed, days if pool is None else (), windows)
	if pool is None:
		pool = built
	for run in measured:
		if run.facts is not None:
			kept[(run.customer, run.start_day)] = run.facts
	reached.update(
		reached_tallies(
			{key: customers for key, customers in excluded.items() if key not in reached}, kept, windows
		)
	)

	comparisons: dict[tuple[str, date, str], Tally | None] = {}

	def comparison(play: str, day: date, band: str | None) -> Tally | None:
		"""The day's customers in the band, less those the play enrolled around it."""
		if not band:
			return None
		key = (play, day, band)
		if key not in comparisons:
			group = pool[(day, band)].copy() if (day, band) in pool else Tally(len(windows))
			taken = reached.get((play, day), {}).get(band)
			if taken is not None:
				group.subtract(taken)
			comparisons[key] = group if group.customers > 0 else None
		return comparisons[key]

	results: dict[str | None, dict[int, list[RunWindow]]] = defaultdict(lambda: {d: [] for d in windows})
	for run in measured:
		facts = kept[(run.customer, run.start_day)]
		score = start_score(run.band_at_start, run.score_at_start, facts.score)
		group = comparison(run.play, run.start_day, run.band_at_start or facts.band)
		for index, window in enumerate(windows):
			if not window_passed(run.start_day, window, today):
				continue
			result = RunWindow(
				change=difference(facts.later[index], score),
				churned=facts.churned[index],
				comparison_change=group.mean_change(index) if group else None,
				comparison_churn_rate=group.churn_rate(index) if group else None,
			)
			results[run.play][window].append(result)
			results[None][window].append(result)

	by_play = defaultdict(list)
	for run in runs:
		by_play[run.play].append(run)
	empty_results = {window: [] for window in windows}
	plays = [play_figures(play, by_play[play], results.get(play, empty_results)) for play in sorted(by_play)]
	return plays, play_figures(None, runs, results.get(None, empty_results))
