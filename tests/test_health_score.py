from datetime import datetime, timedelta

import pytest

from cs_success.engine.health_score import (
	AT_RISK,
	BINS,
	CHURNED,
	CRITICAL,
	HEALTHY,
	INSUFFICIENT_DATA,
	NO_DATA,
	Bands,
	MeasureRule,
	Override,
	ScoringError,
	change_drivers,
	compute_health,
	effective_score,
	entered_worse_band,
	score_measure,
	validate_override,
)
from cs_success.engine.measures import MEASURES, MEASURES_BY_KEY, default_rules

OPEN_TICKETS = MeasureRule("open_tickets", 1, 0, 5)
NPS = MeasureRule("account_nps", 1, 9, 6)


def test_linear_lower_is_better():
	assert score_measure(OPEN_TICKETS, 0) == 100
	assert score_measure(OPEN_TICKETS, 5) == 0
	assert score_measure(OPEN_TICKETS, 9) == 0
	assert score_measure(OPEN_TICKETS, 2) == pytest.approx(60)


def test_linear_higher_is_better():
	assert score_measure(NPS, 10) == 100
	assert score_measure(NPS, 6) == 0
	assert score_measure(NPS, 7.5) == pytest.approx(50)


def test_bins_healthy_concerning_poor():
	rule = MeasureRule("open_tickets", 1, 1, 4, BINS)
	assert [score_measure(rule, v) for v in (0, 1, 2, 3, 4, 7)] == [100, 100, 50, 50, 0, 0]


def test_weighted_mean_over_measures_with_data():
	rules = [MeasureRule("a", 3, 0, 10), MeasureRule("b", 1, 0, 10)]
	result = compute_health(rules, {"a": 0, "b": 10})  # a scores 100, b scores 0
	assert result.score == pytest.approx(75)
	assert result.coverage == pytest.approx(100)
	contributions = result.contributions()
	assert contributions["a"] == pytest.approx(75)
	assert contributions["b"] == pytest.approx(0)


def test_missing_data_drops_out_and_renormalises():
	rules = [MeasureRule("a", 3, 0, 10), MeasureRule("b", 1, 0, 10)]
	result = compute_health(rules, {"a": None, "b": 5})
	# Not (0.75*50 + 0.25*50) with a neutral 50 for "a": only "b" counts.
	assert result.score == pytest.approx(50)
	assert result.coverage == pytest.approx(25)
	a = next(m for m in result.measures if m.key == "a")
	assert not a.has_data and a.effective_weight == 0 and a.contribution == 0
	b = next(m for m in result.measures if m.key == "b")
	assert b.effective_weight == pytest.approx(1)


def test_no_data_at_all_gives_no_score():
	result = compute_health([OPEN_TICKETS, NPS], {})
	assert result.score is None
	assert result.coverage == 0
	assert Bands().band_for(result.score, result.coverage) == NO_DATA


def test_nan_is_missing_data():
	result = compute_health([OPEN_TICKETS, NPS], {"open_tickets": float("nan"), "account_nps": 10})
	assert result.score == 100 and result.coverage == pytest.approx(50)


def test_zero_weight_measures_are_ignored():
	rules = [MeasureRule("a", 0, 0, 10), MeasureRule("b", 2, 0, 10)]
	result = compute_health(rules, {"a": 10, "b": 0})
	assert result.score == 100
	assert [m.key for m in result.measures] == ["b"]


@pytest.mark.parametrize(
	"rule, code",
	[
		(MeasureRule("x", 1, 5, 5), "equal_thresholds"),
		(MeasureRule("x", -1, 0, 5), "negative_weight"),
		(MeasureRule("x", 1, 0, 5, "Cubic"), "unknown_method"),
		(MeasureRule("x", 1, float("inf"), 5), "threshold_not_finite"),
	],
)
def test_invalid_rules_are_refused(rule, code):
	with pytest.raises(ScoringError) as err:
		compute_health([rule], {"x": 1})
	assert err.value.code == code


def test_prevalidated_rules_give_the_same_result():
	rules = [MeasureRule("a", 3, 0, 10), MeasureRule("b", 1, 0, 10)]
	values = {"a": 2, "b": None}
	assert compute_health(rules, values, validated=True) == compute_health(rules, values)


def test_bands_defaults_and_edges():
	bands = Bands()
	assert bands.band_for(75, 100) == HEALTHY
	assert bands.band_for(74.99, 100) == AT_RISK
	assert bands.band_for(50, 100) == AT_RISK
	assert bands.band_for(49.9, 100) == CRITICAL
	assert Bands(80, 40).band_for(79, 100) == AT_RISK
	with pytest.raises(ScoringError):
		Bands(50, 75).validate()
	with pytest.raises(ScoringError):
		Bands(75, 50, 101).validate()


def test_coverage_floor_and_churn_override_the_score_band():
	bands = Bands()  # floor 50 %
	# A perfect score on 22 % of the weight (the "no tickets, so 100" customer) claims nothing.
	assert bands.band_for(100, 22) == INSUFFICIENT_DATA
	assert bands.band_for(100, 49.9) == INSUFFICIENT_DATA
	assert bands.band_for(100, 50) == HEALTHY
	# Low coverage does not hide a bad score behind "insufficient" either: the floor is about trust.
	assert bands.band_for(10, 30) == INSUFFICIENT_DATA
	# Gone is gone, whatever the score and coverage.
	assert bands.band_for(100, 100, churned=True) == CHURNED
	assert bands.band_for(None, 0, churned=True) == NO_DATA
	assert Bands(75, 50, 0).band_for(80, 1) == HEALTHY
	# No alert for moving into the unranked bands.
	assert not entered_worse_band(HEALTHY, INSUFFICIENT_DATA)
	assert not entered_worse_band(HEALTHY, CHURNED)


def test_entered_worse_band():
	assert entered_worse_band(HEALTHY, AT_RISK)
	assert entered_worse_band(HEALTHY, CRITICAL)
	assert entered_worse_band(AT_RISK, CRITICAL)
	assert not entered_worse_band(CRITICAL, AT_RISK)
	assert not entered_worse_band(AT_RISK, AT_RISK)
	# The first score is not an entry into a worse band, nor is leaving "No Data".
	assert not entered_worse_band(None, CRITICAL)
	assert not entered_worse_band(NO_DATA, CRITICAL)


NOW = datetime(2026, 11, 23, 12, 0)


def test_override_wins_until_expiry():
	override = Override(90, "Exec sponsor confirmed renewal", NOW + timedelta(days=7))
	assert effective_score(40, override, NOW) == (90, True)
	assert effective_score(40, override, NOW + timedelta(days=7)) == (40, False)
	assert effective_score(40, None, NOW) == (40, False)


@pytest.mark.parametrize(
	"score, reason, expires, code",
	[
		(None, "r", NOW + timedelta(days=1), "override_score_missing"),
		(101, "r", NOW + timedelta(days=1), "override_score_range"),
		(-1, "r", NOW + timedelta(days=1), "override_score_range"),
		(50, "  ", NOW + timedelta(days=1), "override_reason_missing"),
		(50, "r", None, "override_expiry_missing"),
		(50, "r", NOW, "override_expiry_past"),
	],
)
def test_override_validation(score, reason, expires, code):
	with pytest.raises(ScoringError) as err:
		validate_override(score, reason, expires, NOW)
	assert err.value.code == code


def test_change_drivers_largest_first():
	drivers = change_drivers({"a": 40, "b": 30, "c": 10}, {"a": 20, "b": 35, "c": 10, "d": 4})
	assert [(d.key, d.delta) for d in drivers] == [("a", -20), ("b", 5), ("d", 4)]
	assert change_drivers({"a": 1}, {"a": 1}) == []


def test_worst_measures():
	rules = [MeasureRule("a", 1, 0, 10), MeasureRule("b", 1, 0, 10), MeasureRule("c", 1, 0, 10)]
	result = compute_health(rules, {"a": 8, "b": 2, "c": None})
	assert [m.key for m in result.worst_measures(2)] == ["a", "b"]


def test_registry_defaults_are_valid_rules():
	assert len(MEASURES_BY_KEY) == len(MEASURES)
	for rule in default_rules():
		rule.validate()
	expected = {
		"open_tickets", "tickets_90d", "avg_resolution_hours", "sla_failures_90d", "overdue_invoices",
		"overdue_share", "avg_days_paid_late", "days_to_renewal", "renewal_standing", "mrr_change_90d", "account_nps",
		"avg_csat", "avg_ces", "days_since_touchpoint", "touchpoints_90d", "days_since_activity", "success_plan_progress", "overdue_plan_items", "usage",
	}  # fmt: skip
	assert expected == set(MEASURES_BY_KEY)
