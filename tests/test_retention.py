import pytest
from hypothesis import given
from hypothesis import strategies as st

from cs_success.engine.retention import (
	PeriodCounts,
	lifetime_value,
	period_counts,
	renewal_rate,
	revenue_retention,
)


def test_worked_example_one():
	# S=20, N=5, one lost, E=24 -> (24-5)/20 = 95%
	counts = PeriodCounts(start=20, acquired=5, lost=1, end=24)
	assert counts.retention_rate == pytest.approx(95)
	assert counts.churn_rate == pytest.approx(5)


def test_worked_example_two():
	# S=44, N=12, 13 lost, E=43 -> (43-12)/44 = 70.45%
	counts = PeriodCounts(start=44, acquired=12, lost=13, end=43)
	assert counts.retention_rate == pytest.approx(70.4545, abs=1e-3)
	assert counts.churn_rate == pytest.approx(29.5454, abs=1e-3)


def test_period_counts_from_sets():
	start = {f"c{i}" for i in range(20)}
	end = (start - {"c0"}) | {f"n{i}" for i in range(5)}
	counts = period_counts(start, end, {f"n{i}" for i in range(5)})
	assert (counts.start, counts.acquired, counts.lost, counts.end) == (20, 5, 1, 24)


@given(st.sets(st.integers(0, 50)), st.sets(st.integers(0, 50)))
def test_retention_plus_churn_is_100_when_nobody_reactivates(start, end):
	acquired = end - start  # every newcomer is a new customer
	counts = period_counts(start, end, acquired)
	if counts.start:
		assert counts.retention_rate + counts.churn_rate == pytest.approx(100)
	else:
		assert counts.retention_rate is None and counts.churn_rate is None


def test_renewal_rate():
	assert renewal_rate(3, 4) == 75
	assert renewal_rate(0, 0) is None


def test_revenue_retention_components():
	previous = {"a": 100, "b": 100, "c": 100, "d": 100}
	current = {"a": 150, "b": 60, "c": 0, "d": 100, "new": 500}
	result = revenue_retention(previous, current)
	assert (result.start, result.expansion, result.contraction, result.churned) == (400, 50, 40, 100)
	assert result.grr == pytest.approx(100 * (400 - 100 - 40) / 400)
	assert result.nrr == pytest.approx(100 * (400 + 50 - 100 - 40) / 400)


@given(
	st.dictionaries(st.text(max_size=3), st.floats(0, 1e6)),
	st.dictionaries(st.text(max_size=3), st.floats(0, 1e6)),
)
def test_grr_never_exceeds_100_and_nrr_at_least_grr(previous, current):
	result = revenue_retention(previous, current)
	if result.start:
		assert result.grr <= 100 + 1e-9
		assert result.nrr >= result.grr - 1e-9


def test_lifetime_value():
	assert lifetime_value(100, 5) == pytest.approx(2000)
	assert lifetime_value(100, 5, 60) == pytest.approx(1200)
	assert lifetime_value(100, 0) is None
