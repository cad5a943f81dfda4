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
"""

from __future__ import annotations

import statistics
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from cs_success.engine.health_score import NO_DATA, SNAPSHOT_LOOKBACK_DAYS

WINDOWS = (30, 90)
# A snapshot older than this says nothing about the day (the one definition of health on a day).
LOOKBACK_DAYS = SNAPSHOT_LOOKBACK_DAYS
# A customer the play enrolled this close to a run's start is not that run's comparison.
MATCH_DAYS = 90
OUTCOMES = ("Saved", "Churned", "No Effect")


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


@dataclass
class Tally:
	"""Sums over a group of customers on one start day, per window (by index into the windows)."""

	windows: int = len(WINDOWS)
	customers: int = 0
	churned: list[int] = field(default_factory=list)
	change_sum: list[float] = field(default_factory=list)
	changes: list[int] = field(default_factory=list)

	def __post_init__(self):
		self.churned = self.churned or [0] * self.windows
		self.change_sum = self.change_sum or [0.0] * self.windows
		self.changes = self.changes or [0] * self.windows

	def add(self, facts: Facts, sign: int = 1) -> None:
		"""Count a customer in (sign 1) or take it out again (sign -1)."""
		self.customers += sign
		for index in range(self.windows):
			self.churned[index] += sign * facts.churned[index]
			change = facts.change(index)
			if change is not None:
				self.change_sum[index] += sign * change
				self.changes[index] += sign

	def copy(self) -> Tally:
		return Tally(
			self.windows, self.customers, list(self.churned), list(self.change_sum), list(self.changes)
		)

	def churn_rate(self, index: int) -> float | None:
		return rate(self.churned[index], self.customers)

	def mean_change(self, index: int) -> float | None:
		return self.change_sum[index] / self.changes[index] if self.changes[index] else None


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


def evaluate(
	runs: Sequence[Run],
	nearby: Iterable[tuple[str, str, date]],
	histories: Iterable[tuple[str, History]],
	churn: Mapping[str, Sequence[date]],
	today: date,
	windows: Sequence[int] = WINDOWS,
) -> tuple[list[PlayFigures], PlayFigures]:
	"""Every play's figures (plays in order of name) and all plays' together.

	runs: the runs started in the range; nearby: (play, customer, start day) of the runs of the same plays
	within MATCH_DAYS of the range, the range's own included; histories: (customer, History) of every
	customer with Daily snapshots from LOOKBACK_DAYS before the first start day to the last window's end,
	each customer once (read as a stream: they are only passed over once); churn: customer -> Churned
	event days in the same span."""
	churn_days = {customer: sorted(day.toordinal() for day in days) for customer, days in churn.items()}
	# Only start days with a passed window need anything: the shortest window passes first.
	measured = [run for run in runs if window_passed(run.start_day, min(windows), today)]
	days = sorted({run.start_day for run in measured})
	excluded = exclusions(nearby, {(run.play, run.start_day) for run in measured})
	# The customers whose facts on a day are needed one by one: the runs' own, and those taken out of a
	# comparison group.
	needed = defaultdict(set)
	for run in measured:
		needed[run.customer].add(run.start_day)
	for (_play, day), customers in excluded.items():
		for customer in customers:
			needed[customer].add(day)

	ordinals = [day.toordinal() for day in days]
	pool: dict[tuple[date, str], Tally] = defaultdict(lambda: Tally(len(windows)))
	kept: dict[tuple[str, date], Facts] = {}
	no_churn: list[int] = []
	for customer, history in histories:
		span = history.span()
		if span is None:
			continue
		# Start days the customer's snapshots can speak for: from its first one to LOOKBACK_DAYS after
		# its last (no state before the first, nor long after the last).
		low = bisect_left(ordinals, span[0])
		high = bisect_right(ordinals, span[1] + LOOKBACK_DAYS)
		wanted = needed.get(customer, ())
		churned = churn_days.get(customer, no_churn)
		for day in days[low:high]:
			facts = facts_on(history, churned, day, windows)
			if facts.band is not None:
				pool[(day, facts.band)].add(facts)
			if day in wanted:
				kept[(customer, day)] = facts
		# A run's customer may have no snapshot on its start day and still later ones.
		for day in wanted:
			if (customer, day) not in kept:
				kept[(customer, day)] = facts_on(history, churned, day, windows)
	empty = History()
	for customer, wanted in needed.items():
		for day in wanted:
			if (customer, day) not in kept:  # no snapshot at all: churn is still known
				kept[(customer, day)] = facts_on(empty, churn_days.get(customer, no_churn), day, windows)

	comparisons: dict[tuple[str, date, str], Tally | None] = {}

	def comparison(play: str, day: date, band: str | None) -> Tally | None:
		"""The day's customers in the band, less those the play enrolled around it."""
		if band is None:
			return None
		key = (play, day, band)
		if key not in comparisons:
			group = pool[(day, band)].copy() if (day, band) in pool else Tally(len(windows))
			for customer in excluded.get((play, day), ()):
				facts = kept[(customer, day)]
				if facts.band == band:
					group.add(facts, -1)
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
