"""Tier 1: the Play Effectiveness arithmetic (cs_success/engine/play_effectiveness.py), by hand."""

from dataclasses import replace
from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cs_success.engine.health_score import AT_RISK, CRITICAL, NO_DATA
from cs_success.engine.play_effectiveness import (
	MATCH_DAYS,
	SCORE_UNITS,
	Facts,
	History,
	Run,
	RunWindow,
	Tally,
	band_tallies,
	churn_ordinals,
	day_final,
	days_between,
	difference,
	evaluate,
	exclusions,
	facts_by_day,
	facts_from_text,
	facts_on,
	facts_text,
	gather,
	mean,
	median,
	plan,
	play_figures,
	rate,
	reach_key,
	reached_tallies,
	score_units,
	start_score,
	window_figures,
	window_passed,
)

D = date


# --- Arithmetic ------------------------------------------------------------------------------------


def test_mean_median_rate_difference_are_empty_without_data():
	assert mean([]) is None
	assert mean([None, None]) is None
	# (1 + 2 + 6) / 3 = 3; the None is not a 0
	assert mean([1, None, 2, 6]) == 3
	assert median([]) is None
	assert median([5, 1, 3]) == 3
	# even count: (3 + 5) / 2
	assert median([1, 3, 5, 7]) == 4
	assert rate(0, 0) is None
	assert rate(0, 4) == 0
	assert rate(1, 3) == pytest.approx(33.3333333)
	assert difference(None, 3) is None
	assert difference(3, None) is None
	assert difference(50, 33.5) == 16.5


def test_days_between_counts_the_fraction_of_a_day():
	# 10 days and 12 hours
	assert days_between(datetime(2020, 1, 10), datetime(2020, 1, 20, 12)) == 10.5
	assert days_between(datetime(2020, 1, 10), None) is None
	assert days_between(datetime(2020, 1, 10), datetime(2020, 1, 9)) is None


def test_a_window_has_passed_only_after_its_last_day():
	# 2020-01-10 + 30 = 2020-02-09: still running on that day, over the day after
	assert not window_passed(D(2020, 1, 10), 30, D(2020, 2, 9))
	assert window_passed(D(2020, 1, 10), 30, D(2020, 2, 10))


def test_start_score_trusts_the_run_only_when_it_recorded_a_band():
	assert start_score(CRITICAL, 40, 38) == 40
	# a stored 0 under a real band is a real 0
	assert start_score(CRITICAL, 0, 38) == 0
	# no band: the 0 is the Float column's default, the snapshot speaks
	assert start_score(None, 0, 45) == 45
	assert start_score(NO_DATA, 0, 45) == 45
	assert start_score(None, 0, None) is None


# --- One customer on one start day ----------------------------------------------------------------


def test_facts_read_the_latest_snapshot_within_31_days_and_only_after_the_start_for_later_days():
	history = History(
		[
			(D(2019, 12, 10), 50, AT_RISK),  # 31 days before 2020-01-10: still counts
			(D(2020, 1, 10), 99, CRITICAL),  # on the start day: the state at the start, never a later one
			(D(2020, 2, 9), 60, AT_RISK),  # day 30 itself
			(D(2020, 3, 1), 70, AT_RISK),  # day 51: too old for day 90 (window from day 59)
		]
	)
	facts = facts_on(history, [], D(2020, 1, 10))
	assert facts.band == CRITICAL and facts.score == 99
	assert facts.later == (60, None)
	assert facts.churned == (False, False)
	# 2020-01-09: state from 2019-12-10 (30 days old); day 30 = 2020-02-08 has only 2020-01-10 in
	# (start, day 30], so score 99; day 90 = 2020-04-08, window from 2020-03-08: nothing.
	earlier = facts_on(history, [], D(2020, 1, 9))
	assert (earlier.band, earlier.score, earlier.later) == (AT_RISK, 50, (99, None))
	# 2020-01-11 would see 2019-12-10 at 32 days: too old, but it sees 2020-01-10 (1 day old).
	assert facts_on(history, [], D(2020, 1, 11)).score == 99
	# 2019-12-05: nothing on or before it.
	assert facts_on(history, [], D(2019, 12, 5)).band is None


def test_a_snapshot_before_the_start_is_not_the_later_score():
	# start 2020-01-10, one snapshot the day before: no later score at 30 days (it is from before)
	history = History([(D(2020, 1, 9), 40, CRITICAL)])
	facts = facts_on(history, [], D(2020, 1, 10))
	assert facts.score == 40 and facts.later == (None, None)
	assert facts.change(0) is None


def test_no_data_snapshots_have_a_band_and_no_score():
	history = History([(D(2020, 1, 10), 0, NO_DATA), (D(2020, 1, 20), 0, NO_DATA)])
	facts = facts_on(history, [], D(2020, 1, 10))
	assert facts.band == NO_DATA and facts.score is None and facts.later == (None, None)


def test_churn_counts_in_the_window_after_the_start_day_only():
	day = D(2020, 1, 10).toordinal()
	# on the start day: not after it; day 30 (2020-02-09) counts for 30 and 90; day 31 only for 90
	assert facts_on(History(), [day], D(2020, 1, 10)).churned == (False, False)
	assert facts_on(History(), [day + 30], D(2020, 1, 10)).churned == (True, True)
	assert facts_on(History(), [day + 31], D(2020, 1, 10)).churned == (False, True)
	assert facts_on(History(), [day + 91], D(2020, 1, 10)).churned == (False, False)
	# an old churn before the start does not hide a new one inside the window
	assert facts_on(History(), [day - 5, day + 10], D(2020, 1, 10)).churned == (True, True)


def test_tally_adds_and_takes_out():
	a = Facts(CRITICAL, 40, (50, 60), (False, True))  # changes +10, +20
	b = Facts(CRITICAL, 30, (None, 20), (True, True))  # changes -, -10
	tally = Tally()
	tally.add(a)
	tally.add(b)
	assert tally.customers == 2
	assert tally.churn_rate(0) == 50 and tally.churn_rate(1) == 100
	assert tally.mean_change(0) == 10  # only a has one
	assert tally.mean_change(1) == 5  # (20 - 10) / 2
	copy = tally.copy()
	copy.add(b, -1)
	assert (copy.customers, copy.churn_rate(1), copy.mean_change(1)) == (1, 100, 20)
	assert tally.customers == 2  # the copy is its own
	copy.add(a, -1)
	assert copy.churn_rate(0) is None and copy.mean_change(0) is None


def test_exclusions_are_the_plays_runs_within_90_days_either_side():
	nearby = [
		("P", "a", D(2020, 1, 10)),
		("P", "b", D(2019, 10, 12)),  # 90 days before 2020-01-10: in
		("P", "c", D(2019, 10, 11)),  # 91 days before: out
		("P", "d", D(2020, 4, 9)),  # 90 days after: in
		("P", "e", D(2020, 4, 10)),  # 91 days after: out
		("Q", "f", D(2020, 1, 10)),  # another play: not this one's
	]
	assert exclusions(nearby, [("P", D(2020, 1, 10))]) == {("P", D(2020, 1, 10)): {"a", "b", "d"}}
	assert exclusions(nearby, [("R", D(2020, 1, 10))]) == {("R", D(2020, 1, 10)): set()}


def test_window_and_play_figures_by_hand():
	results = [
		RunWindow(change=10, churned=False, comparison_change=2, comparison_churn_rate=50),
		RunWindow(change=None, churned=True, comparison_change=None, comparison_churn_rate=0),
		RunWindow(change=-4, churned=False),
		RunWindow(change=0, churned=False, comparison_change=5, comparison_churn_rate=25),
	]
	figures = window_figures(results)
	assert figures.n == 4
	assert figures.health_change == 2  # (10 - 4 + 0) / 3
	assert figures.churn_rate == 25  # 1 of 4
	assert figures.comparison_health_change == 3.5  # (2 + 5) / 2
	assert figures.comparison_churn_rate == 25  # (50 + 0 + 25) / 3
	assert figures.compared == 3
	assert figures.churn_difference == 0
	empty = window_figures([])
	assert (empty.n, empty.health_change, empty.churn_rate, empty.comparison_churn_rate) == (
		0,
		None,
		None,
		None,
	)
	assert empty.churn_difference is None

	runs = [
		Run("P", "a", datetime(2020, 1, 1), "Closed", datetime(2020, 1, 3), "Saved"),  # 2 days
		Run("P", "b", datetime(2020, 1, 1), "Closed", datetime(2020, 1, 9), "No Effect"),  # 8 days
		Run("P", "c", datetime(2020, 1, 1), "Closed", datetime(2020, 1, 5), "No Effect"),  # 4 days
		Run("P", "d", datetime(2020, 1, 1), "Snoozed"),
	]
	play = play_figures("P", runs, {30: results, 90: []})
	assert (play.started, play.closed, play.completion_rate) == (4, 3, 75)
	assert play.median_days_to_close == 4
	assert play.outcomes == {"Saved": 1, "Churned": 0, "No Effect": 2}
	assert play.windows[90].n == 0 and play.windows[90].churn_rate is None
	open_only = play_figures("P", runs[3:], {30: [], 90: []})
	assert open_only.completion_rate == 0 and open_only.median_days_to_close is None


# --- A whole report, by hand -----------------------------------------------------------------------

TODAY = D(2020, 7, 1)
S1 = D(2020, 1, 10)  # runs A and B; day 30 = 2020-02-09, day 90 = 2020-04-09 (window from 2020-03-09)
S2 = D(2020, 5, 15)  # run C; day 30 = 2020-06-14 (passed), day 90 = 2020-08-13 (not passed on TODAY)

HISTORIES = {
	# Run customers.
	"A": [(D(2020, 1, 10), 40, CRITICAL), (D(2020, 2, 5), 55, AT_RISK), (D(2020, 4, 5), 60, AT_RISK)],
	"B": [(D(2020, 1, 8), 30, CRITICAL)],  # nothing after the start
	"C": [(D(2020, 5, 1), 45, CRITICAL), (D(2020, 6, 10), 35, CRITICAL)],
	# Not reached by play P.
	"X": [
		(D(2020, 1, 1), 42, CRITICAL),
		(D(2020, 2, 9), 52, CRITICAL),
		(D(2020, 4, 9), 50, CRITICAL),
		(D(2020, 5, 10), 44, CRITICAL),
		(D(2020, 6, 14), 40, CRITICAL),
	],
	"Y": [(D(2019, 12, 15), 35, CRITICAL), (D(2020, 1, 15), 20, CRITICAL)],  # churns 2020-01-20
	"U": [(D(2020, 1, 10), 48, CRITICAL), (D(2020, 2, 1), 58, AT_RISK), (D(2020, 3, 20), 50, AT_RISK)],
	"Z": [(D(2020, 1, 10), 60, AT_RISK), (D(2020, 2, 1), 20, CRITICAL)],  # another band on S1
	"W": [(D(2019, 12, 1), 30, CRITICAL), (D(2020, 2, 1), 10, CRITICAL)],  # 40 days old on S1: no band
	# Reached by play P on 2019-11-01, 70 days before S1: no comparison for S1.
	"V": [(D(2020, 1, 5), 30, CRITICAL), (D(2020, 2, 5), 90, AT_RISK)],
}
CHURN = {"B": [D(2020, 3, 1)], "Y": [D(2020, 1, 20)]}
RUNS = [
	Run("P", "A", datetime(2020, 1, 10), "Closed", datetime(2020, 1, 20, 12), "Saved", CRITICAL, 40),
	Run("P", "B", datetime(2020, 1, 10, 6), "Closed", datetime(2020, 3, 1, 6), "Churned", CRITICAL, 30),
	# No band recorded at the start (score stored as 0): band and score from its snapshot of 2020-05-01.
	Run("P", "C", datetime(2020, 5, 15, 9), "Open", None, None, None, 0),
]
NEARBY = [
	*((run.play, run.customer, run.start_day) for run in RUNS),
	("P", "V", D(2019, 11, 1)),
	("Q", "U", D(2020, 1, 20)),  # another play: U stays in P's comparison
]


def histories():
	# As the stream gives them: one customer at a time, by name.
	return ((customer, History(rows)) for customer, rows in sorted(HISTORIES.items()))


def test_evaluate_by_hand():
	plays, overall = evaluate(RUNS, NEARBY, histories(), CHURN, TODAY)
	assert len(plays) == 1
	p = plays[0]
	assert p.play == "P"
	# 3 started, A and B closed: 2 / 3; days to close 10.5 (A) and 51 (B), median (10.5 + 51) / 2
	assert (p.started, p.closed) == (3, 2)
	assert p.completion_rate == pytest.approx(66.6666667)
	assert p.median_days_to_close == pytest.approx(30.75)
	assert p.outcomes == {"Saved": 1, "Churned": 1, "No Effect": 0}

	# Comparison of A and B (P, S1, Critical): Critical on S1 are A, B, X (2020-01-01), Y (2019-12-15,
	# 26 days old), U, V; not W (40 days old) nor Z (At Risk). P reached A, B and V within 90 days:
	# left X, Y, U.
	#   30 days: X 52 - 42 = +10, Y 20 - 35 = -15, U 58 - 48 = +10 -> 5 / 3; churned: Y -> 1 / 3
	#   90 days: X 50 - 42 = +8, U 50 - 48 = +2 (2020-03-20 is within 31 days of 2020-04-09), Y none
	#            -> 5; churned: Y -> 1 / 3
	# Comparison of C (P, S2, Critical): Critical on S2 are C (2020-05-01) and X (2020-05-10); P reached
	# C: left X. 30 days: 40 - 44 = -4, nobody churned -> 0 %.
	w30 = p.windows[30]
	# n: A, B, C. A 55 - 40 = +15, B no later snapshot, C 35 - 45 = -10 -> (15 - 10) / 2 = 2.5.
	# Churn: B churned 2020-03-01, after day 30 (2020-02-09): 0 of 3.
	assert w30.n == 3
	assert w30.health_change == pytest.approx(2.5)
	assert w30.churn_rate == 0
	# Runs weigh the same: (5/3 + 5/3 - 4) / 3 = -2/9; (1/3 + 1/3 + 0) / 3 * 100 = 22.22 %
	assert w30.comparison_health_change == pytest.approx(-2 / 9)
	assert w30.comparison_churn_rate == pytest.approx(200 / 9)
	assert w30.compared == 3
	w90 = p.windows[90]
	# n: A and B (C's window ends 2020-08-13). A 60 - 40 = +20, B none -> 20. Churn: B -> 1 of 2.
	assert w90.n == 2
	assert w90.health_change == pytest.approx(20)
	assert w90.churn_rate == pytest.approx(50)
	assert w90.comparison_health_change == pytest.approx(5)
	assert w90.comparison_churn_rate == pytest.approx(100 / 3)
	assert w90.churn_difference == pytest.approx(50 - 100 / 3)
	# One play: all plays together are the same figures.
	assert overall.play is None
	assert overall.started == 3 and overall.windows[90] == w90 and overall.windows[30] == w30


def test_a_run_without_a_band_has_nothing_to_compare():
	runs = [Run("P", "N", datetime(2020, 1, 10), "Open")]
	plays, _overall = evaluate(runs, [("P", "N", S1)], histories(), CHURN, TODAY)
	w30 = plays[0].windows[30]
	assert w30.n == 1 and w30.health_change is None and w30.churn_rate == 0
	assert w30.comparison_churn_rate is None and w30.comparison_health_change is None
	assert w30.compared == 0


def test_runs_whose_windows_have_not_passed_count_as_started_only():
	runs = [Run("P", "C", datetime(2020, 6, 20), "Open", None, None, CRITICAL, 35)]
	plays, overall = evaluate(runs, [("P", "C", D(2020, 6, 20))], histories(), CHURN, TODAY)
	assert plays[0].started == 1
	for days in (30, 90):
		window = plays[0].windows[days]
		assert window.n == 0
		assert window.health_change is window.churn_rate is window.comparison_churn_rate is None
	assert overall.windows[90].n == 0


def test_nothing_at_all():
	plays, overall = evaluate([], [], [], {}, TODAY)
	assert plays == []
	assert overall.started == 0 and overall.completion_rate is None
	assert overall.windows[90].churn_rate is None


# --- Against a plain reading of the definition -----------------------------------------------------

BASE = D(2020, 1, 1)
BANDS = (CRITICAL, AT_RISK, NO_DATA)
NAMES = ("a", "b", "c", "d", "e", "f")


def plain_state(rows, on, not_before):
	found = [row for row in rows if not_before <= row[0] <= on]
	return max(found, default=None)


def plain_score(row):
	return None if row is None or row[2] == NO_DATA else row[1]


def plain_facts(rows, churns, start, days):
	"""(band at start, score at start, score on day `days`, churned) straight from the definition."""
	at_start = plain_state(rows, start, start - timedelta(days=31))
	end = start + timedelta(days=days)
	at_end = plain_state(rows, end, max(start + timedelta(days=1), end - timedelta(days=31)))
	return (
		at_start[2] if at_start else None,
		plain_score(at_start),
		plain_score(at_end),
		any(start < churn <= end for churn in churns),
	)


def plain_window(runs, nearby, histories, churn, today, days):
	results = []
	for run in runs:
		start = run.start_day
		if not start + timedelta(days=days) < today:
			continue
		band, score, later, churned = plain_facts(
			histories.get(run.customer, []), churn.get(run.customer, []), start, days
		)
		score = start_score(run.band_at_start, run.score_at_start, score)
		band = run.band_at_start or band
		reached = {c for play, c, d in nearby if play == run.play and abs((d - start).days) <= 90}
		group = [
			plain_facts(rows, churn.get(customer, []), start, days)
			for customer, rows in histories.items()
			if customer not in reached
		]
		group = [facts for facts in group if band is not None and facts[0] == band]
		changes = [facts[2] - facts[1] for facts in group if facts[1] is not None and facts[2] is not None]
		results.append(
			RunWindow(
				change=None if later is None or score is None else later - score,
				churned=churned,
				comparison_change=sum(changes) / len(changes) if changes else None,
				comparison_churn_rate=100.0 * sum(facts[3] for facts in group) / len(group)
				if group
				else None,
			)
		)
	return window_figures(results)


snapshots = st.lists(
	st.tuples(st.integers(0, 200), st.integers(0, 100), st.sampled_from(BANDS)),
	max_size=12,
	unique_by=lambda s: s[0],
)
runs_strategy = st.lists(
	st.tuples(
		st.sampled_from(("P", "Q")),
		st.sampled_from(NAMES),
		st.integers(20, 120),
		st.one_of(st.none(), st.sampled_from(BANDS)),
		st.integers(0, 100),
	),
	max_size=8,
)


@given(
	st.fixed_dictionaries({name: snapshots for name in NAMES}),
	st.dictionaries(st.sampled_from(NAMES), st.lists(st.integers(0, 220), max_size=3)),
	runs_strategy,
	st.integers(60, 240),
)
def test_evaluate_matches_the_definition(raw_histories, raw_churn, raw_runs, today_offset):
	histories = {
		name: sorted((BASE + timedelta(days=day), score, band) for day, score, band in rows)
		for name, rows in raw_histories.items()
		if rows
	}
	churn = {name: [BASE + timedelta(days=day) for day in days] for name, days in raw_churn.items()}
	runs = [
		Run(
			play,
			customer,
			datetime.combine(BASE + timedelta(days=day), datetime.min.time()),
			"Open",
			None,
			None,
			band,
			score,
		)
		for play, customer, day, band, score in raw_runs
	]
	nearby = [(run.play, run.customer, run.start_day) for run in runs]
	today = BASE + timedelta(days=today_offset)
	plays, overall = evaluate(
		runs, nearby, ((name, History(rows)) for name, rows in sorted(histories.items())), churn, today
	)
	for figures in [*plays, overall]:
		mine = [run for run in runs if figures.play in (None, run.play)]
		for days in (30, 90):
			expected = plain_window(mine, nearby, histories, churn, today, days)
			got = figures.windows[days]
			assert got.n == expected.n and got.compared == expected.compared
			for name in ("health_change", "churn_rate", "comparison_health_change", "comparison_churn_rate"):
				want = getattr(expected, name)
				assert getattr(got, name) == (None if want is None else pytest.approx(want)), name


# --- The pool, stored or not -----------------------------------------------------------------------


def test_tally_sums_changes_exactly_in_any_order():
	# 0.1 + 0.2 + 0.3 is 0.6000000000000001 in floats one way and 0.6 the other; in SCORE_UNITS both are
	# 600,000,000 over 3 changes: a mean of exactly 0.2.
	facts = [Facts(CRITICAL, 50, (50 + change, None), (False, False)) for change in (0.1, 0.2, 0.3)]
	forward, backward = Tally(), Tally()
	for item in facts:
		forward.add(item)
	for item in reversed(facts):
		backward.add(item)
	assert forward == backward
	assert forward.change_sum == [600_000_000, 0] and forward.changes == [3, 0]
	assert forward.mean_change(0) == 0.2
	assert score_units(55.3) - score_units(55) == 300_000_000 == 0.3 * SCORE_UNITS
	# a score stored with 9 decimals is a whole number of units
	assert score_units(12.345678901) == 12_345_678_901


def test_plan_names_the_start_days_and_the_customers_needed():
	planned = plan(RUNS, NEARBY, TODAY)
	assert planned.days == [S1, S2]
	assert [run.customer for run in planned.measured] == ["A", "B", "C"]
	# P reached A, B and V around S1 and C around S2: each of them needed on that day; U's run is Q's.
	assert planned.excluded == {("P", S1): {"A", "B", "V"}, ("P", S2): {"C"}}
	assert planned.needed == {"A": {S1}, "B": {S1}, "V": {S1}, "C": {S2}}
	# S2's 90 days end 2020-08-13, after TODAY
	assert (planned.final_windows(S1), planned.final_windows(S2)) == ((30, 90), (30,))


def test_facts_by_day_skips_the_days_a_history_cannot_speak_for():
	history = History([(D(2020, 1, 10), 40, CRITICAL), (D(2020, 2, 1), 50, CRITICAL)])
	days = [D(2020, 1, 9), D(2020, 1, 10), D(2020, 3, 3), D(2020, 3, 4)]
	ordinals = [day.toordinal() for day in days]
	# before the first snapshot, and more than 31 days after the last (2020-03-03 is day 31)
	assert [day for day, _facts in facts_by_day(history, [], days, ordinals)] == days[1:3]
	assert list(facts_by_day(History(), [], days, ordinals)) == []


def test_band_tallies_by_hand():
	pool = band_tallies(histories(), CHURN, [S1, S2])
	# S1, Critical: A, B, X, Y, U, V (W's snapshot is 40 days old, Z is At Risk). 30 days: A +15, X +10,
	# Y -15, U +10, V +60 (B none): 80 over 5; churned Y. 90 days: A +20, X +8, U +2: 30 over 3; churned
	# Y and B (2020-03-01).
	critical = pool[(S1, CRITICAL)]
	assert critical.customers == 6
	assert critical.churned == [1, 2]
	assert critical.change_sum == [80 * SCORE_UNITS, 30 * SCORE_UNITS] and critical.changes == [5, 3]
	assert pool[(S1, AT_RISK)].customers == 1  # Z
	# S2: C (2020-05-01) and X (2020-05-10), Critical; A's latest (2020-04-05) is 40 days old, no band.
	assert pool[(S2, CRITICAL)].customers == 2
	assert set(pool) == {(S1, CRITICAL), (S1, AT_RISK), (S2, CRITICAL)}
	assert churn_ordinals({"Y": [D(2020, 2, 1), D(2020, 1, 20)]}) == {
		"Y": [D(2020, 1, 20).toordinal(), D(2020, 2, 1).toordinal()]
	}


def test_evaluate_from_a_stored_pool_reads_only_the_needed_customers():
	planned = plan(RUNS, NEARBY, TODAY)
	pool = band_tallies(histories(), CHURN, planned.days)
	needed = ((customer, History(HISTORIES[customer])) for customer in sorted(planned.needed))
	churn = {customer: days for customer, days in CHURN.items() if customer in planned.needed}
	assert evaluate(RUNS, NEARBY, needed, churn, TODAY, pool=pool) == evaluate(
		RUNS, NEARBY, histories(), CHURN, TODAY
	)


def generated(raw_histories, raw_churn, raw_runs, offset):
	"""The generated histories, churn and runs as dates from BASE, the report's day `offset` days on, what
	was known by then, and the full pass's figures on it: what the property tests below compare against."""
	rows = {
		name: [(BASE + timedelta(days=day), score + day / 10, band) for day, score, band in found]
		for name, found in raw_histories.items()
		if found
	}
	churn = {name: [BASE + timedelta(days=day) for day in days] for name, days in raw_churn.items()}
	runs = [
		Run(play, customer, datetime.combine(BASE + timedelta(days=day), datetime.min.time()), "Open", None,
			None, band, score)
		for play, customer, day, band, score in raw_runs
	]  # fmt: skip
	nearby = [(run.play, run.customer, run.start_day) for run in runs]
	today = BASE + timedelta(days=offset)
	until_today = {name: [row for row in found if row[0] <= today] for name, found in rows.items()}
	churn_until_today = {name: [day for day in days if day <= today] for name, days in churn.items()}
	full = evaluate(
		runs, nearby, ((name, History(found)) for name, found in sorted(until_today.items()) if found),
		churn_until_today, today,
	)  # fmt: skip
	return rows, churn, runs, nearby, today, until_today, churn_until_today, full


@given(
	st.fixed_dictionaries({name: snapshots for name in NAMES}),
	st.dictionaries(st.sampled_from(NAMES), st.lists(st.integers(0, 220), max_size=3)),
	runs_strategy,
	st.integers(60, 240),
	st.booleans(),
)
def test_a_stored_pool_gives_exactly_the_streamed_figures(raw_histories, raw_churn, raw_runs, offset, later):
	"""Whatever the data: the pool computed beforehand, with only the needed customers read, gives the
	figures of the full pass to the last digit (scores with tenths: a float sum would differ by order). The
	full pass reads up to today, as the report does; the pool may have been stored on a later day (`later`),
	with snapshots and churn after today and windows that had not passed: the figures never read those."""
	rows, churn, runs, nearby, today, until_today, churn_until_today, full = generated(
		raw_histories, raw_churn, raw_runs, offset
	)
	planned = plan(runs, nearby, today)
	seen, seen_churn = (rows, churn) if later else (until_today, churn_until_today)
	pool = band_tallies(
		[(name, History(found)) for name, found in sorted(seen.items()) if found], seen_churn, planned.days
	)
	# The needed customers in another order than the stream's: the sums are exact.
	needed = [
		(name, History(until_today[name])) for name in sorted(planned.needed, reverse=True) if name in rows
	]
	assert evaluate(runs, nearby, needed, churn_until_today, today, pool=pool) == full


# --- The plays' reached sums and the runs' facts, stored or not -----------------------------------------


def test_a_day_is_final_once_every_window_and_the_match_days_have_passed():
	start = D(2020, 1, 10)
	# day 90 = 2020-04-09 (the longest window and MATCH_DAYS): final the day after
	assert MATCH_DAYS == 90
	assert not day_final(start, D(2020, 4, 9))
	assert day_final(start, D(2020, 4, 10))
	# with a 30-day window only, MATCH_DAYS still has to pass
	assert not day_final(start, D(2020, 2, 10), windows=(30,))
	assert day_final(start, D(2020, 4, 10), windows=(30,))


def test_reach_key_is_the_set_of_customers():
	assert reach_key(["b", "a"]) == reach_key({"a", "b"})
	assert reach_key(["a", "b"]) != reach_key(["a"])
	assert reach_key(["a", "bc"]) != reach_key(["ab", "c"])
	assert reach_key([]) == reach_key(set())


def test_facts_read_back_from_their_text_exactly():
	facts = Facts(AT_RISK, 55.123456789, (0.1 + 0.2, None), (False, True))
	text = facts_text(facts)
	assert facts_from_text(text) == facts
	assert facts_from_text(text).later[0] == 0.1 + 0.2  # the same float, not a rounded one
	nothing = Facts(None, None, (None, None), (True, False))
	assert facts_from_text(facts_text(nothing)) == nothing
	# none stored, not JSON, or stored for other windows: not there
	assert facts_from_text(None) is None and facts_from_text("") is None
	assert facts_from_text("{") is None
	assert facts_from_text(facts_text(facts)) is not None
	assert facts_from_text(facts_text(Facts(AT_RISK, 1, (2,), (False,)), windows=(30,))) is None


def test_tally_subtract_takes_out_another_tally():
	a = Facts(CRITICAL, 40, (50, 60), (False, True))
	b = Facts(CRITICAL, 30, (None, 20), (True, True))
	both, just_b = Tally(), Tally()
	both.add(a)
	both.add(b)
	just_b.add(b)
	both.subtract(just_b)
	only_a = Tally()
	only_a.add(a)
	assert both == only_a


def test_gather_gives_the_pool_and_the_facts_needed():
	needed = {"A": {S1}, "C": {S2}, "Q": {S1}}  # Q has no snapshot at all; C none on S2 itself
	pool, kept = gather(histories(), {**CHURN, "Q": [D(2020, 1, 15)]}, needed, [S1, S2])
	assert pool == band_tallies(histories(), CHURN, [S1, S2])
	assert kept[("A", S1)] == facts_on(History(HISTORIES["A"]), [], S1)
	assert kept[("C", S2)] == facts_on(History(HISTORIES["C"]), [], S2)
	# no snapshot: no band, but its churn on day 5 is known
	assert kept[("Q", S1)] == Facts(None, None, (None, None), (True, True))
	assert set(kept) == {("A", S1), ("C", S2), ("Q", S1)}
	# without days, no pool: the facts alone
	assert gather(histories(), CHURN, needed)[0] == {}


def test_reached_tallies_by_hand():
	_pool, kept = gather(histories(), CHURN, {"A": {S1}, "B": {S1}, "V": {S1}, "Z": {S1}, "W": {S1}})
	reached = reached_tallies({("P", S1): {"A", "B", "V", "Z", "W"}}, kept)
	critical = reached[("P", S1)][CRITICAL]
	# A, B, V Critical on S1 (W: 40 days old, no band). 30 days: A +15, V +60; B none. 90 days: A +20.
	# Churned: B on 2020-03-01, within 90 days only.
	assert critical.customers == 3
	assert critical.churned == [0, 1]
	assert critical.change_sum == [75 * SCORE_UNITS, 20 * SCORE_UNITS] and critical.changes == [2, 1]
	assert reached[("P", S1)][AT_RISK].customers == 1  # Z
	assert set(reached[("P", S1)]) == {CRITICAL, AT_RISK}
	assert reached_tallies({("P", S2): set()}, kept) == {("P", S2): {}}


def test_plan_leaves_out_what_is_stored():
	# S1 is final on TODAY (2020-07-01), S2 is not: A's facts and (P, S1)'s reached sums stored.
	runs = [replace(RUNS[0], facts=Facts(CRITICAL, 40, (55, 60), (False, False))), *RUNS[1:]]
	planned = plan(runs, NEARBY, TODAY, reached={("P", S1): {}})
	# B's own facts are not stored; C's day is not final: C for its run and for (P, S2)
	assert planned.needed == {"B": {S1}, "C": {S2}}
	assert planned.excluded == {("P", S1): {"A", "B", "V"}, ("P", S2): {"C"}}


def stored_as_of(runs, nearby, rows, churn, on):
	"""What the daily fill stores as of `on` from everything known then: the reached sums of the final
	(play, day)s with a run, and the final runs' own facts."""
	final = [run for run in runs if day_final(run.start_day, on)]
	excluded = exclusions(nearby, {(run.play, run.start_day) for run in final})
	needed = {}
	for (_play, day), customers in excluded.items():
		for customer in customers:
			needed.setdefault(customer, set()).add(day)
	for run in final:
		needed.setdefault(run.customer, set()).add(run.start_day)
	_pool, kept = gather(
		[(name, History(found)) for name, found in sorted(rows.items()) if found], churn, needed
	)
	facts = {(run.customer, run.start_day): kept[(run.customer, run.start_day)] for run in final}
	return reached_tallies(excluded, kept), facts


@given(
	st.fixed_dictionaries({name: snapshots for name in NAMES}),
	st.dictionaries(st.sampled_from(NAMES), st.lists(st.integers(0, 220), max_size=3)),
	runs_strategy,
	st.integers(60, 330),
	st.integers(0, 60),
)
def test_stored_reached_sums_and_facts_give_exactly_the_streamed_figures(
	raw_histories, raw_churn, raw_runs, offset, stored_later
):
	"""Whatever the data: with the pool, the final (play, day)s' reached sums and the final runs' facts
	stored (on the report's day or later, from everything known then), the report reads the snapshots of
	no customer for a final day, and its figures are the full pass's to the last digit."""
	rows, churn, runs, nearby, today, until_today, churn_until_today, full = generated(
		raw_histories, raw_churn, raw_runs, offset
	)

	stored_on = today + timedelta(days=stored_later)
	planned = plan(runs, nearby, today)
	pool = band_tallies([(name, History(found)) for name, found in sorted(rows.items())], churn, planned.days)
	reached, facts = stored_as_of(runs, nearby, rows, churn, today if not stored_later else stored_on)
	# Only the days final on the report's day count as stored there (the fill stores no others).
	reached = {pair: bands for pair, bands in reached.items() if day_final(pair[1], today)}
	runs = [
		replace(run, facts=facts[(run.customer, run.start_day)]) if day_final(run.start_day, today) else run
		for run in runs
	]
	needed = plan(runs, nearby, today, reached=reached).needed
	assert not any(day_final(day, today) for days in needed.values() for day in days)
	read = [(name, History(until_today[name])) for name in sorted(needed) if name in until_today]
	assert evaluate(runs, nearby, read, churn_until_today, today, pool=pool, reached=reached) == full
