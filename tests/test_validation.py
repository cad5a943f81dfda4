import math
from datetime import date, timedelta

import numpy as np
import pytest

from cs_success.engine.health_score import AT_RISK, BAND_ORDER, CRITICAL, HEALTHY, NO_DATA
from cs_success.engine.validation import (
	CHANCE,
	INSUFFICIENT_DATA,
	INVERTED,
	NO_PROTECTIVE_MEASURE,
	NO_SIGNAL,
	NOT_BETTER,
	PREDICTS_CHURN,
	SINGLE_CLASS_TRAINING,
	STRONG,
	TOO_FEW_DATES,
	USEFUL,
	WEAK,
	BandRow,
	CalibrationRow,
	Observation,
	alarm_precision_recall,
	alarm_precision_recall_counts,
	auc,
	band_rows,
	calibration,
	churn_by_band,
	fit_weights,
	fit_weights_matrix,
	per_measure_auc,
	spread_counts,
	verdict,
	weighted_score,
	worst_decile_lift,
)

KEYS = ["m0", "m1", "m2", "m3", "m4"]
START = date(2025, 1, 1)


# --- AUC ------------------------------------------------------------------------------------------


def test_auc_hand_example_with_ties():
	# churners score 10 and 20, non-churners 20 and 40. Pairs (churner, non-churner):
	# (10, 20) worse: 1, (10, 40): 1, (20, 20) tie: 1/2, (20, 40): 1 -> 3.5 / 4 = 0.875
	assert auc([10, 20, 20, 40], [1, 1, 0, 0]) == pytest.approx(0.875, abs=1e-15)


def test_auc_perfect_inverted_and_all_tied():
	assert auc([1, 2, 3, 4], [True, True, False, False]) == 1.0
	assert auc([1, 2, 3, 4], [False, False, True, True]) == 0.0
	# every pair is a tie -> 1/2
	assert auc([50, 50, 50], [1, 0, 0]) == 0.5


def test_auc_undefined_and_missing_scores():
	assert auc([10, 20], [0, 0]) is None
	assert auc([10, 20], [1, 1]) is None
	assert auc([], []) is None
	# the unscored churner drops out: 10 < 20 -> 1.0
	assert auc([None, 10, 20, float("nan")], [0, 1, 0, 1]) == 1.0
	with pytest.raises(ValueError):
		auc([1, 2], [1])


def test_auc_random_is_about_one_half():
	rng = np.random.default_rng(7)
	value = auc(rng.uniform(0, 100, 20_000), rng.random(20_000) < 0.2)
	assert abs(value - 0.5) < 0.02


def test_auc_matches_sklearn_with_ties():
	metrics = pytest.importorskip("sklearn.metrics")
	rng = np.random.default_rng(11)
	for n in (2, 7, 100, 5_000):
		scores = rng.integers(0, 12, n).astype(float)  # heavy ties
		churned = rng.random(n) < 0.3
		churned[0], churned[-1] = True, False
		# sklearn ranks "higher score = positive"; a health score is low for churners
		expected = metrics.roc_auc_score(churned, -scores)
		assert auc(scores.tolist(), churned.tolist()) == pytest.approx(expected, abs=1e-12)


# --- lift, bands, alarm, calibration --------------------------------------------------------------


def test_worst_decile_lift_hand_example():
	# 11 customers -> ceil(11/10) = 2 worst: scores 5 and 10, both churned -> 100 %;
	# overall 3 / 11 -> lift = 1 / (3/11) = 11/3
	scores = [95, 5, 20, 30, 40, 50, 60, 70, 80, 90, 10]
	churned = [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1]
	assert worst_decile_lift(scores, churned) == pytest.approx(11 / 3)


def test_worst_decile_lift_breaks_ties_by_given_order():
	# 20 customers -> 2 worst; three tie at 10, the first two in the given order (index 0, 1) count:
	# one churner of two = 50 %; overall 2 / 20 = 10 % -> lift 5
	scores = [10, 10, 10] + [50] * 17
	churned = [1, 0, 1] + [0] * 17
	assert worst_decile_lift(scores, churned) == pytest.approx(5.0)
	assert worst_decile_lift([10, 20], [0, 0]) is None


def test_churn_by_band_keeps_order_empty_bands_and_extra_bands():
	bands = [HEALTHY, HEALTHY, CRITICAL, CRITICAL, NO_DATA, CRITICAL]
	churned = [1, 0, 1, 0, 1, 1]
	assert churn_by_band(bands, churned, BAND_ORDER) == [
		BandRow(HEALTHY, 2, 1, 50.0),
		BandRow(AT_RISK, 0, 0, None),
		BandRow(CRITICAL, 3, 2, pytest.approx(200 / 3)),
		BandRow(NO_DATA, 1, 1, 100.0),
	]


def test_alarm_precision_recall():
	bands = [HEALTHY, HEALTHY, AT_RISK, CRITICAL, CRITICAL, NO_DATA]
	churned = [1, 0, 1, 1, 0, 1]
	# alarmed: the At Risk and two Critical customers (3), of whom 2 churned -> precision 2/3;
	# 4 churned in all, 2 of them alarmed -> recall 1/2
	precision, recall = alarm_precision_recall(bands, churned, {AT_RISK, CRITICAL})
	assert precision == pytest.approx(200 / 3)
	assert recall == pytest.approx(50.0)
	assert alarm_precision_recall([HEALTHY], [0], {AT_RISK}) == (None, None)


def test_spread_counts_repeats_values_and_spreads_churners_evenly():
	# score 10: 4 observations, 2 churned -> k = 0..3, floor((k+1)*2/4) - floor(k*2/4) = 0, 1, 0, 1
	# score 50: 3 observations, 0 churned; score 90: 2 observations, 2 churned; score 70: none at all
	values, flags = spread_counts([10, 50, 70, 90], [4, 3, 0, 2], [2, 0, 0, 2])
	assert values.tolist() == [10, 10, 10, 10, 50, 50, 50, 90, 90]
	assert flags.tolist() == [False, True, False, True, False, False, False, True, True]
	with pytest.raises(ValueError):
		spread_counts([10], [1], [2])


def test_histogram_gives_the_same_auc_as_the_observations():
	rng = np.random.default_rng(3)
	scores = rng.integers(0, 101, 3000).astype(float)
	churned = rng.random(3000) < (1 - scores / 100) * 0.4
	distinct = np.unique(scores)
	totals = [int((scores == value).sum()) for value in distinct]
	lost = [int(churned[scores == value].sum()) for value in distinct]
	values, flags = spread_counts(distinct, totals, lost)
	assert auc(values, flags) == pytest.approx(auc(scores, churned), abs=1e-12)
	assert int(flags.sum()) == int(churned.sum())


def test_spread_ties_at_the_decile_boundary_split_in_proportion():
	# 20 observations -> the 2 worst. Score 10: 4 observations, 2 churned -> spread F, T, F, T: the two
	# worst are one stayer and one churner -> 50 %; overall 2 / 20 = 10 % -> lift 5 (all churners first
	# would say 10, all last 0).
	values, flags = spread_counts([10, 50], [4, 16], [2, 0])
	assert worst_decile_lift(values, flags) == pytest.approx(5.0)


def test_band_rows_and_alarm_from_counts():
	counts = {CRITICAL: (3, 2), HEALTHY: (2, 1), NO_DATA: (1, 1)}
	assert band_rows(counts, [HEALTHY, AT_RISK, CRITICAL]) == [
		BandRow(HEALTHY, 2, 1, 50.0),
		BandRow(AT_RISK, 0, 0, None),
		BandRow(CRITICAL, 3, 2, pytest.approx(200 / 3)),
		BandRow(NO_DATA, 1, 1, 100.0),
	]
	# alarmed: 3 Critical, 2 of them churned -> precision 2/3; 4 churned in all -> recall 1/2
	precision, recall = alarm_precision_recall_counts(counts, {AT_RISK, CRITICAL})
	assert (precision, recall) == (pytest.approx(200 / 3), pytest.approx(50.0))
	assert alarm_precision_recall_counts({}, {AT_RISK}) == (None, None)


def test_calibration_equal_count_groups():
	# scores 0..19 in 4 groups of 5; churners: 3 in 0-4, 2 in 5-9, 1 in 10-14, none in 15-19
	scores = list(range(20))[::-1]
	churned_scores = {0, 2, 4, 6, 8, 12}
	churned = [s in churned_scores for s in scores]
	assert calibration(scores, churned, groups=4) == [
		CalibrationRow(1, 0, 4, 5, 3, 60.0),
		CalibrationRow(2, 5, 9, 5, 2, 40.0),
		CalibrationRow(3, 10, 14, 5, 1, 20.0),
		CalibrationRow(4, 15, 19, 5, 0, 0.0),
	]


def test_calibration_uneven_and_small():
	# 7 scores in 3 groups -> sizes 3, 2, 2
	rows = calibration([1, 2, 3, 4, 5, 6, 7], [1, 1, 0, 1, 0, 0, 0], groups=3)
	assert [(r.low, r.high, r.customers, r.churned) for r in rows] == [
		(1, 3, 3, 2),
		(4, 5, 2, 1),
		(6, 7, 2, 0),
	]
	# fewer scores than groups: only the non-empty groups, numbered from 1
	assert [r.decile for r in calibration([10, 20], [1, 0])] == [1, 2]
	assert calibration([], []) == []


# --- per measure, verdict, weighted score ---------------------------------------------------------


def test_per_measure_auc_directions():
	observations = [
		Observation("a", START, 20, CRITICAL, {"usage": 10, "nps": 90, "tickets": 50}, True),
		Observation("b", START, 30, CRITICAL, {"usage": 20, "nps": 80}, True),
		Observation("c", START, 80, HEALTHY, {"usage": 90, "nps": 10, "tickets": 50}, False),
		Observation("d", START, 90, HEALTHY, {"usage": 80, "nps": 20, "tickets": None}, False),
	]
	rows = {row.key: row for row in per_measure_auc(observations)}
	assert list(rows) == ["nps", "tickets", "usage"]
	assert rows["usage"].auc == 1.0 and rows["usage"].direction == PREDICTS_CHURN
	assert rows["nps"].auc == 0.0 and rows["nps"].direction == INVERTED
	# tickets: one churner and one non-churner, both 50 -> a tie -> 0.5 over n = 2
	assert (rows["tickets"].auc, rows["tickets"].n, rows["tickets"].direction) == (0.5, 2, NO_SIGNAL)


def test_verdict_thresholds():
	assert verdict(0.85, 1000, 50).code == STRONG
	assert verdict(0.8, 1000, 50).code == STRONG
	assert verdict(0.79, 1000, 50).code == USEFUL
	assert verdict(0.7, 1000, 50).code == USEFUL
	assert verdict(0.69, 1000, 50).code == WEAK
	assert verdict(0.6, 1000, 50).code == WEAK
	assert verdict(0.59, 1000, 50).code == CHANCE
	assert verdict(0.2, 1000, 50).code == CHANCE
	assert verdict(0.9, 100, 10).code == STRONG
	assert verdict(0.9, 99, 50).code == INSUFFICIENT_DATA
	assert verdict(0.9, 1000, 9).code == INSUFFICIENT_DATA
	assert verdict(None, 1000, 50).code == INSUFFICIENT_DATA
	assert verdict(0.9, 50, 5, min_customers=50, min_events=5).code == STRONG
	assert verdict(0.75, 1000, 50).auc == 0.75


def test_weighted_score_renormalises_over_present_measures():
	# b has no data and d is absent; e weighs 0 -> (2*80 + 1*40) / (2 + 1) = 66.67
	measures = {"a": 80, "b": None, "c": 40, "e": 0}
	assert weighted_score(measures, {"a": 2, "b": 5, "c": 1, "d": 3, "e": 0}) == pytest.approx(200 / 3)
	assert weighted_score({"b": None}, {"a": 1, "b": 1}) is None
	assert weighted_score({"a": 50}, {}) is None


# --- fitting weights ------------------------------------------------------------------------------


def synthetic(n_per_date=1_000, n_dates=12, seed=3, missing=0.0, signal=True):
	"""Five measures 0-100; churn falls with m0 and m1 only (or is random when signal=False)."""
	rng = np.random.default_rng(seed)
	n = n_per_date * n_dates
	matrix = rng.uniform(0, 100, (n, len(KEYS)))
	if signal:
		eta = -1.5 - 0.05 * (matrix[:, 0] - 50) - 0.025 * (matrix[:, 1] - 50)
	else:
		eta = np.full(n, -1.5)
	churned = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
	if missing:
		matrix[rng.random(matrix.shape) < missing] = np.nan
	# rows deliberately not in date order
	dates = [
		START + timedelta(days=30 * int(i))
		for i in rng.permutation(np.repeat(np.arange(n_dates), n_per_date))
	]
	X = [{k: v for k, v in zip(KEYS, row, strict=True) if not math.isnan(v)} for row in matrix.tolist()]
	return X, churned.tolist(), dates, matrix


def sklearn_reference(matrix, churned, dates, train_dates, l2):
	"""The design Suggest Weights fits, built independently: scores centred at the training means (a
	missing one at 0, the mean) in their own units, an indicator per measure missing on some training
	rows; scikit-learn fits it on the training dates."""
	linear_model = pytest.importorskip("sklearn.linear_model")
	train = np.array([d in set(train_dates) for d in dates])
	raw = matrix[train]
	means = np.nanmean(raw, axis=0)
	missing = np.isnan(raw)
	flagged = [j for j in range(raw.shape[1]) if missing[:, j].any() and not missing[:, j].all()]
	design = np.hstack([np.where(missing, 0.0, raw - means), missing[:, flagged].astype(float)])
	model = linear_model.LogisticRegression(C=1 / l2, tol=1e-12, max_iter=100_000)
	model.fit(design, np.asarray(churned)[train])
	return model, means, flagged, train


@pytest.mark.parametrize(
	"missing, l2, auc_gap",
	[
		(0.0, 1.0, 0.01),
		(0.0, 50.0, 0.01),
		# with 15 % of scores missing the model imputes the training mean while the scorecard
		# re-normalises over the measures present (as the health engine does): that costs ~0.011 AUC
		(0.15, 5.0, 0.02),
	],
)
def test_fit_matches_sklearn_and_acceptance_rule(missing, l2, auc_gap):
	metrics = pytest.importorskip("sklearn.metrics")
	X, churned, dates, matrix = synthetic(missing=missing)
	result = fit_weights(X, churned, dates, {k: 20 for k in KEYS}, l2=l2)
	model, means, flagged, train = sklearn_reference(matrix, churned, dates, result.train_dates, l2)

	assert [result.coefficients[k] for k in KEYS] == pytest.approx(
		model.coef_[0][: len(KEYS)].tolist(), abs=1e-4
	)
	assert result.intercept == pytest.approx(model.intercept_[0], abs=1e-4)
	assert [result.means[k] for k in KEYS] == pytest.approx(means.tolist())

	# acceptance: the suggested weights rank churn on the test dates within the gap of sklearn's model
	test = ~train
	raw = matrix[test]
	design = np.hstack([np.where(np.isnan(raw), 0.0, raw - means), np.isnan(raw[:, flagged]).astype(float)])
	reference_auc = metrics.roc_auc_score(np.asarray(churned)[test], model.predict_proba(design)[:, 1])
	assert abs(result.suggested_auc_test - reference_auc) < auc_gap

	# churn depends on m0 (0.05 per point) and m1 (0.025): about 2/3 and 1/3 of the weight; the three
	# measures without a signal of their own get none at all
	assert sum(result.weights.values()) == pytest.approx(100)
	assert result.signal == {"m0": True, "m1": True, "m2": False, "m3": False, "m4": False}
	assert result.weights["m0"] == pytest.approx(66.7, abs=6)
	assert result.weights["m1"] == pytest.approx(33.3, abs=6)
	assert [result.weights[k] for k in ("m2", "m3", "m4")] == [0, 0, 0]
	assert result.measure_aucs["m0"] > result.measure_aucs["m1"] > 0.55
	# equal current weights dilute the signal with three noise measures
	assert result.suggested_auc_test > result.current_auc_test > 0.5


def mrr_scenario(seed=11, n_per_date=1_500, n_dates=12):
	"""Issue 22's finding in miniature. Churn falls with usage and is higher in a customer's first 90
	days; "MRR change" is the same for everyone (a score of 50, give or take 0.001) and has no data
	for customers younger than 90 days, so only its missingness says anything, and that is tenure."""
	rng = np.random.default_rng(seed)
	n = n_per_date * n_dates
	usage = rng.uniform(0, 100, n)
	new = rng.random(n) < 0.3
	eta = -2.0 - 0.03 * (usage - 50) + 1.5 * new
	churned = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(int)
	mrr = np.where(new, np.nan, 50 + rng.normal(0, 0.001, n))
	noise = rng.uniform(0, 100, n)
	dates = np.repeat(np.arange(n_dates), n_per_date)
	return np.column_stack([usage, mrr, noise]), ["usage", "mrr_change", "noise"], churned, dates


def test_a_constant_measure_missing_for_new_customers_gets_no_weight():
	matrix, keys, churned, dates = mrr_scenario()
	current = {"usage": 1, "mrr_change": 1, "noise": 1}
	result = fit_weights_matrix(matrix, keys, churned, dates, current)
	# The old fit (coefficient / standard deviation, missing imputed with the mean) gave "MRR change"
	# 99 % of the weight. Now its missingness goes to its own indicator and it earns nothing:
	assert result.weights == {"usage": 100.0, "mrr_change": 0.0, "noise": 0.0}
	# Its coefficient per point is noise (a spread of 0.001 points pins nothing down), and its own AUC
	# may even pass for a signal by chance: the spread rule keeps it out.
	assert result.signal["mrr_change"] is False and result.signal["usage"] is True
	assert result.suggested_auc_test > result.current_auc_test


def test_weights_no_better_than_the_current_ones_are_not_offered():
	matrix, keys, churned, dates = mrr_scenario()
	# The current scorecard already weighs usage alone: the fit finds the same, which is no better.
	result = fit_weights_matrix(matrix, keys, churned, dates, {"usage": 100})
	assert result.weights is None and result.reason == NOT_BETTER
	assert result.candidate_weights["usage"] == 100.0
	assert result.suggested_auc_test == pytest.approx(result.current_auc_test)


def test_fit_current_auc_uses_the_health_engine_score():
	X, churned, dates, _ = synthetic(n_per_date=200, missing=0.3)
	current = {"m0": 10, "m2": 30, "m4": 60, "gone": 5}
	result = fit_weights(X, churned, dates, current)
	test_rows = [i for i, d in enumerate(dates) if d in set(result.test_dates)]
	by_hand = auc([weighted_score(X[i], current) for i in test_rows], [churned[i] for i in test_rows])
	assert result.current_auc_test == pytest.approx(by_hand, abs=1e-12)
	suggested = auc(
		[weighted_score(X[i], result.weights) for i in test_rows], [churned[i] for i in test_rows]
	)
	assert result.suggested_auc_test == pytest.approx(suggested, abs=1e-12)


def test_time_split_never_shares_a_date():
	X, churned, dates, _ = synthetic(n_per_date=50)
	result = fit_weights(X, churned, dates, split=0.7)
	# 12 dates -> floor(0.7 * 12) = 8 earlier dates train, 4 later dates test
	assert len(result.train_dates) == 8 and len(result.test_dates) == 4
	assert not set(result.train_dates) & set(result.test_dates)
	assert max(result.train_dates) < min(result.test_dates)
	assert (result.n_train, result.n_test) == (400, 200)
	# a tiny split still leaves one date on each side
	few = fit_weights(X, churned, dates, split=0.01)
	assert len(few.train_dates) == 1 and len(few.test_dates) == 11


def test_random_churn_is_never_strong():
	X, churned, dates, _ = synthetic(signal=False, seed=5)
	result = fit_weights(X, churned, dates, {k: 1 for k in KEYS})
	test = set(result.test_dates)
	events = sum(c for c, d in zip(churned, dates, strict=True) if d in test)
	assert verdict(result.current_auc_test, result.n_test, events).code in (CHANCE, WEAK)
	# no measure ranks churn better than chance on its own: nothing is offered
	assert result.weights is None and result.reason == NO_PROTECTIVE_MEASURE
	assert not any(result.signal.values())


def test_fit_without_usable_data():
	X, churned, dates, _ = synthetic(n_per_date=20)
	one_date = fit_weights(X, churned, [START] * len(X))
	assert one_date.weights is None and one_date.reason == TOO_FEW_DATES
	assert one_date.train_dates == one_date.test_dates == []

	nobody = fit_weights(X, [0] * len(X), dates)
	assert nobody.weights is None and nobody.reason == SINGLE_CLASS_TRAINING

	# churn rises with every measure: no measure protects, no weights
	rng = np.random.default_rng(2)
	scores = rng.uniform(0, 100, (2_000, 2))
	risk = 1 / (1 + np.exp(-(0.05 * (scores.sum(axis=1) - 100))))
	rising = (rng.random(2_000) < risk).astype(int)
	days = [START + timedelta(days=int(i % 10)) for i in range(2_000)]
	result = fit_weights_matrix(scores, ["a", "b"], rising, days, {"a": 1, "b": 1})
	assert result.weights is None and result.reason == NO_PROTECTIVE_MEASURE
	assert all(c > 0 for c in result.coefficients.values())
	assert result.current_auc_test < 0.4  # the current score is inverted here

	with pytest.raises(ValueError):
		fit_weights(X, churned, dates, split=1.0)
	with pytest.raises(ValueError):
		fit_weights_matrix(np.zeros((3, 2)), ["a"], [0, 1, 0], [1, 2, 3])


def test_constant_or_empty_measure_gets_no_weight():
	X, churned, dates, _ = synthetic(n_per_date=200)
	for row in X:
		row["flat"] = 70.0
	result = fit_weights(X, churned, dates, keys=[*KEYS, "flat", "never"])
	assert result.weights["flat"] == 0 and result.weights["never"] == 0
	assert result.coefficients["flat"] == 0 and result.coefficients["never"] == 0
	assert result.weights["m0"] > 40


def test_fit_at_size():
	# 200k rows x 18 measures (the production case is 1.2M): the fit is vectorised
	rng = np.random.default_rng(0)
	n, keys = 200_000, [f"m{i}" for i in range(18)]
	matrix = rng.uniform(0, 100, (n, len(keys)))
	matrix[rng.random(matrix.shape) < 0.1] = np.nan
	eta = -2 - 0.04 * (np.nan_to_num(matrix[:, 3], nan=50) - 50)
	churned = rng.random(n) < 1 / (1 + np.exp(-eta))
	dates = np.repeat(np.arange(12), n // 12 + 1)[:n].tolist()
	result = fit_weights_matrix(matrix, keys, churned, dates, {k: 1 for k in keys})
	assert max(result.weights, key=result.weights.get) == "m3"
	assert result.suggested_auc_test > result.current_auc_test
