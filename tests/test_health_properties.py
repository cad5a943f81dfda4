"""Property tests: the score stays in 0..100, is monotone in every measure, and re-normalises."""

from datetime import datetime, timedelta

from hypothesis import assume, given
from hypothesis import strategies as st

from cs_success.engine.health_score import (
	BINS,
	LINEAR,
	Bands,
	MeasureRule,
	Override,
	compute_health,
	effective_score,
	score_measure,
)

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def rules(draw, key="m"):
	good, bad = draw(finite), draw(finite)
	assume(abs(good - bad) > 1e-6)
	weight = draw(st.floats(min_value=0.01, max_value=100))
	return MeasureRule(key, weight, good, bad, draw(st.sampled_from([LINEAR, BINS])))


@st.composite
def scorecards(draw):
	n = draw(st.integers(min_value=1, max_value=8))
	card = [draw(rules(key=f"m{i}")) for i in range(n)]
	values = {r.key: draw(st.none() | finite) for r in card}
	return card, values


@given(scorecards())
def test_score_is_within_0_100_and_coverage_consistent(card_values):
	card, values = card_values
	result = compute_health(card, values)
	with_data = [r for r in card if values[r.key] is not None]
	if not with_data:
		assert result.score is None and result.coverage == 0
		return
	assert 0 <= result.score <= 100
	expected_coverage = 100 * sum(r.weight for r in with_data) / sum(r.weight for r in card)
	assert abs(result.coverage - expected_coverage) < 1e-6
	assert abs(sum(m.effective_weight for m in result.measures) - 1) < 1e-9


@given(rules(), finite, finite)
def test_measure_score_monotone_in_the_better_direction(rule, a, b):
	lo, hi = sorted((a, b))
	s_lo, s_hi = score_measure(rule, lo), score_measure(rule, hi)
	if rule.lower_is_better:
		assert s_lo >= s_hi
	else:
		assert s_hi >= s_lo


@given(scorecards(), st.data())
def test_overall_score_monotone_in_each_measure(card_values, data):
	card, values = card_values
	rule = data.draw(st.sampled_from(card))
	assume(values[rule.key] is not None)
	step = data.draw(st.floats(min_value=0, max_value=1e6))
	better = values[rule.key] - step if rule.lower_is_better else values[rule.key] + step
	before = compute_health(card, values).score
	after = compute_health(card, {**values, rule.key: better}).score
	assert after >= before - 1e-9


@given(scorecards())
def test_missing_measure_equals_scorecard_without_it(card_values):
	card, values = card_values
	missing = [r for r in card if values[r.key] is None]
	present = [r for r in card if values[r.key] is not None]
	assume(missing and present)
	assert abs(compute_health(card, values).score - compute_health(present, values).score) < 1e-9


@given(
	st.floats(min_value=0, max_value=100),
	st.none() | st.floats(min_value=0, max_value=100),
	st.integers(min_value=-1000, max_value=1000),
)
def test_override_never_outlives_its_expiry(override_score, computed, minutes):
	now = datetime(2026, 11, 23, 12, 0)
	override = Override(override_score, "reason", now + timedelta(minutes=minutes))
	score, active = effective_score(computed, override, now)
	if minutes > 0:
		assert active and score == override_score
	else:
		assert not active and score == computed


@given(st.floats(min_value=0, max_value=100), st.floats(min_value=0, max_value=100))
def test_bands_are_ordered_with_score(a, b):
	bands = Bands()
	order = {"Healthy": 0, "At Risk": 1, "Critical": 2}
	lo, hi = sorted((a, b))
	assert order[bands.band_for(hi, 100)] <= order[bands.band_for(lo, 100)]


@given(
	st.floats(min_value=0, max_value=100),
	st.floats(min_value=0, max_value=100),
	st.floats(min_value=0, max_value=100),
	st.booleans(),
)
def test_no_false_healthy(score, coverage, floor, churned):
	"""Healthy needs a score at the threshold, coverage at the floor and a customer still there."""
	band = Bands(75, 50, floor).band_for(score, coverage, churned)
	if band == "Healthy":
		assert score >= 75 and coverage >= floor and not churned
