from datetime import date

import pytest

from cs_success.engine.plays import (
	AFTER_DAYS,
	EVERY_TIME,
	NEVER,
	least_loaded,
	may_start,
	score_dropped,
	usage_drop_percent,
	usage_dropped,
	within_cap,
)

TODAY = date(2026, 11, 24)


def test_never_two_open_runs_and_the_policies_after_a_closed_one():
	for policy in (NEVER, AFTER_DAYS, EVERY_TIME):
		assert may_start(policy, 30, True, None, TODAY) is False
		assert may_start(policy, 30, False, None, TODAY) is True
	assert may_start(NEVER, 30, False, date(2020, 1, 1), TODAY) is False
	assert may_start(EVERY_TIME, 30, False, TODAY, TODAY) is True
	# 2026-10-25 -> 2026-11-24 is 30 days: again; 29 days is too soon
	assert may_start(AFTER_DAYS, 30, False, date(2026, 10, 25), TODAY) is True
	assert may_start(AFTER_DAYS, 30, False, date(2026, 10, 26), TODAY) is False
	with pytest.raises(ValueError):
		may_start("Sometimes", 1, False, TODAY, TODAY)


def test_score_dropped_needs_both_scores_and_enough_points():
	assert score_dropped(60, 75, 15) is True  # 15 points down
	assert score_dropped(61, 75, 15) is False  # 14
	assert score_dropped(None, 75, 15) is False
	assert score_dropped(60, None, 15) is False
	assert score_dropped(10, 90, 0) is False  # no threshold set: no signal


def test_usage_dropped_needs_something_to_drop_from():
	# 100 -> 60 is a 40 % drop
	assert usage_drop_percent(60, 100) == pytest.approx(40.0)
	assert usage_dropped(60, 100, 40) is True
	assert usage_dropped(61, 100, 40) is False
	assert usage_dropped(None, 100, 40) is True  # nothing recorded lately: 100 % down
	assert usage_dropped(0, 0, 10) is False
	assert usage_dropped(0, None, 10) is False
	assert usage_drop_percent(5, None) is None


def test_daily_cap_counts_runs_started_earlier_today():
	# cap 2: ann had one today, so one more starts and the next is held; bob gets two, the third held
	owners = ["ann", "bob", "ann", "bob", "bob", None, "ann"]
	assert within_cap(owners, {"ann": 1}, 2) == [True, True, False, True, False, True, False]
	assert within_cap(owners, {}, 0) == [True] * 7
	assert within_cap(owners, {}, None) == [True] * 7


def test_least_loaded_user_of_a_role():
	assert least_loaded(["b", "a", "c"], {"a": 3, "b": 1, "c": 1}) == "b"
	assert least_loaded([], {}) is None
