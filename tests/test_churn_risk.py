"""Churn risk without Frappe: the fit against scikit-learn on a design built independently, calibration and
Brier by hand, a planted history where usage drives churn, random churn, too little data, and missingness
as information."""

import math

import numpy as np
import pytest

from cs_success.engine.churn_risk import (
	HIGHER,
	LOWER,
	MISSING,
	NO_BETTER_THAN_CHANCE,
	TOO_LITTLE_DATA,
	USABLE,
	brier,
	calibration_bins,
	fit_risk_model,
	riskiest_decile_lift,
)

KEYS = ["messages", "nps", "logins"]


def planted(n_customers=1_500, n_dates=12, seed=4, signal=True):
	"""Monthly observations. Messages (a count) drive churn on the log scale; NPS (-100..100) a little;
	logins are noise and missing for a fifth of the rows."""
	rng = np.random.default_rng(seed)
	rows, churned, dates, customers = [], [], [], []
	appetite = rng.lognormal(3, 1, n_customers)
	for day in range(n_dates):
		messages = rng.poisson(appetite)
		nps = rng.uniform(-100, 100, n_customers)
		logins = np.where(rng.random(n_customers) < 0.2, np.nan, rng.poisson(20, n_customers))
		if signal:
			eta = -1.0 - 1.4 * (np.log1p(messages) - 3) - 0.004 * nps
		else:
			eta = np.full(n_customers, -2.0)
		gone = rng.random(n_customers) < 1 / (1 + np.exp(-eta))
		rows.append(np.column_stack([messages, nps, logins]))
		churned += gone.tolist()
		dates += [day] * n_customers
		customers += list(range(n_customers))
	return np.vstack(rows), churned, dates, customers


def test_fit_equals_sklearn_on_the_same_standardised_design():
	linear_model = pytest.importorskip("sklearn.linear_model")
	matrix, churned, dates, customers = planted()
	model = fit_risk_model(matrix, KEYS, churned, dates, customers, horizon=30)
	train = np.array([d in set(model.train_dates) for d in dates])
	# By hand: messages and logins are never negative (log(1 + x)), NPS is; standardised over the training
	# rows that have a value; missing logins at 0 with an indicator.
	raw = matrix[train]
	columns, indicators = [], []
	for j, log in enumerate((True, False, True)):
		present = ~np.isnan(raw[:, j])
		values = np.log1p(raw[:, j]) if log else raw[:, j]
		mean, std = values[present].mean(), values[present].std()
		columns.append(np.where(present, (values - mean) / std, 0.0))
		if not present.all():
			indicators.append((~present).astype(float))
	design = np.column_stack(columns + indicators)
	reference = linear_model.LogisticRegression(C=1.0, tol=1e-12, max_iter=100_000)
	reference.fit(design, np.asarray(churned)[train])
	ours = [model.coefficients[k] for k in (*KEYS, "logins:missing")]
	assert ours == pytest.approx(reference.coef_[0].tolist(), abs=1e-4)
	assert model.intercept == pytest.approx(reference.intercept_[0], abs=1e-4)
	assert [f.log for f in model.features] == [True, False, True]


def test_brier_and_calibration_by_hand():
	p = np.array([0.1, 0.2, 0.3, 0.4])
	y = np.array([0, 0, 1, 1])
	# (0.01 + 0.04 + 0.49 + 0.36) / 4
	assert brier(p, y) == pytest.approx(0.225)
	# Always 0.5: every error is 0.25.
	assert brier(np.full(4, 0.5), y) == pytest.approx(0.25)
	two = calibration_bins(p, y, bins=2)
	assert [(b.observations, b.mean_predicted, b.observed) for b in two] == [
		(2, pytest.approx(0.15), 0.0),
		(2, pytest.approx(0.35), 1.0),
	]
	# Five, unsorted, into two groups of 3 and 2 by predicted risk: [0.05, 0.1, 0.2] and [0.6, 0.9].
	uneven = calibration_bins(np.array([0.9, 0.1, 0.6, 0.05, 0.2]), np.array([1, 0, 0, 0, 1]), bins=2)
	assert [(b.observations, round(b.mean_predicted, 4), round(b.observed, 4)) for b in uneven] == [
		(3, round(0.35 / 3, 4), round(1 / 3, 4)),
		(2, 0.75, 0.5),
	]
	# The riskiest tenth (ceil(5/10) = 1: the 0.9) churned; 2 of 5 overall: lift 1 / 0.4.
	assert riskiest_decile_lift(np.array([0.9, 0.1, 0.6, 0.05, 0.2]), np.array([1, 0, 0, 0, 1])) == 2.5


def test_planted_usage_is_found_and_the_model_is_calibrated():
	matrix, churned, dates, customers = planted()
	model = fit_risk_model(matrix, KEYS, churned, dates, customers, horizon=30)
	assert model.verdict == USABLE and model.usable
	assert model.auc > 0.75 and model.auc_low > 0.5
	assert model.coefficients["messages"] < 0  # more messages, less churn
	assert abs(model.coefficients["logins"]) < abs(model.coefficients["messages"]) / 10
	assert len(model.calibration) == 10
	for b in model.calibration:
		# within three binomial standard errors of what happened (600 observations a decile: ~2 points)
		assert abs(b.mean_predicted - b.observed) < 3 * math.sqrt(
			b.observed * (1 - b.observed) / b.observations
		)
	assert model.brier < model.brier_base_rate
	assert model.lift > 2
	# A customer who sends few messages: messages is the first driver, well below the typical customer.
	typical = math.expm1(next(f.mean for f in model.features if f.key == "messages"))
	drivers = model.drivers({"messages": 1, "nps": 0, "logins": 20})
	assert drivers[0].key == "messages" and drivers[0].kind == LOWER
	assert drivers[0].percent == pytest.approx(100 * (typical - 1) / typical)
	# A heavy user's risk is below a light user's.
	assert model.predict({"messages": 200, "nps": 0}) < model.predict({"messages": 1, "nps": 0})


def test_random_churn_says_no_better_than_chance():
	matrix, churned, dates, customers = planted(signal=False, seed=9)
	model = fit_risk_model(matrix, KEYS, churned, dates, customers, horizon=30)
	assert model.verdict == NO_BETTER_THAN_CHANCE and not model.usable
	assert model.auc_low <= 0.5 <= model.auc_high


def test_too_few_customers_or_churn_events():
	matrix, churned, dates, customers = planted(n_customers=60)
	model = fit_risk_model(matrix, KEYS, churned, dates, customers, horizon=30)
	assert model.customers_test == 60 and model.verdict == TOO_LITTLE_DATA
	# Nothing to learn from: nobody churned on the training dates.
	assert fit_risk_model(matrix, KEYS, [0] * len(churned), dates, customers, horizon=30) is None
	assert fit_risk_model(matrix, KEYS, churned, [0] * len(churned), customers, horizon=30) is None


def test_missing_is_information():
	"""Usage is recorded only for customers who set it up; those who did not churn far more."""
	rng = np.random.default_rng(1)
	n = 6_000
	set_up = rng.random(n) < 0.6
	usage = np.where(set_up, rng.poisson(30, n), np.nan)
	churned = rng.random(n) < np.where(set_up, 0.05, 0.30)
	dates = np.repeat(np.arange(6), n // 6)
	model = fit_risk_model(usage[:, None], ["usage"], churned, dates, np.arange(n), horizon=90)
	assert model.coefficients["usage:missing"] > 1
	assert model.auc > 0.7
	(driver,) = model.drivers({})
	assert (driver.key, driver.kind, driver.percent) == ("usage", MISSING, None)
	assert model.drivers({"usage": 30}) == [] or model.drivers({"usage": 30})[0].kind in (LOWER, HIGHER)
	assert HIGHER != LOWER


def test_backtest_fits_only_on_what_was_known_and_compares_with_what_stayed():
	from datetime import date, timedelta

	from cs_success.engine.churn_risk import backtest

	matrix, churned, days, _customers = planted(n_customers=800, n_dates=6)
	start = date(2025, 1, 1)
	dates = [start + timedelta(days=30 * d) for d in days]
	mrr = [100.0] * len(dates)
	rows = backtest(matrix, KEYS, churned, dates, mrr, horizon=30)
	# The first date has nothing known before it; on the second, the first's 30 days have not passed
	# (day 0 + 30 = day 30, not before it); from the third on, every date whose 30 days ended before it.
	assert [r.day for r in rows] == [start + timedelta(days=30 * d) for d in range(2, 6)]
	assert [r.train_observations for r in rows] == [800, 1600, 2400, 3200]
	for row in rows:
		at = [i for i, d in enumerate(dates) if d == row.day]
		assert row.mrr == 100.0 * len(at)
		# what stayed: 100 for every customer of that date who did not churn
		assert row.retained == 100.0 * sum(1 for i in at if not churned[i])
		assert row.error == pytest.approx(row.forecast - row.retained)
		# calibrated: the forecast misses what stayed by less than 3 %
		assert abs(row.error_percent) < 3


def drivers_one_by_one(model, values, top=3):
	"""The definition, customer by customer and measure by measure: the oracle for drivers_matrix."""
	from cs_success.engine.churn_risk import MIN_DRIVER_LOG_ODDS, Driver

	found = []
	for feature in model.features:
		value = values.get(feature.key)
		if value is None:
			if not feature.indicator:
				continue
			contribution, kind, percent = model.coefficients[f"{feature.key}:missing"], MISSING, None
		else:
			transformed = math.log1p(max(value, 0.0)) if feature.log else value
			z = (transformed - feature.mean) / feature.std if feature.std else 0.0
			contribution = model.coefficients[feature.key] * z
			kind = LOWER if z < 0 else HIGHER
			typical = feature.typical
			percent = abs(100.0 * (value - typical) / typical) if feature.log and typical > 0 else None
		if contribution >= MIN_DRIVER_LOG_ODDS:
			found.append(Driver(feature.key, kind, percent, contribution, value, feature.typical))
	return sorted(found, key=lambda d: -d.contribution)[:top]


def test_drivers_of_many_customers_at_once_equal_the_definition():
	"""Every customer's drivers from one matrix equal the measure-by-measure definition: which measures,
	in which order (ties keep the features' order), their kind, share and values; missing values with and
	without an indicator; a measure without spread is never a driver."""
	from dataclasses import replace

	from cs_success.engine.churn_risk import values_matrix

	matrix, churned, dates, customers = planted(seed=6)
	model = fit_risk_model(matrix, KEYS, churned, dates, customers, horizon=30)
	# "nps" without spread (never a driver, whatever its weight); "logins" pulls too; "messages" and
	# "logins" missing pull exactly alike (a tie, kept in the features' order).
	features = [
		replace(f, std=0.0) if f.key == "nps" else replace(f, indicator=True) if f.key == "messages" else f
		for f in model.features
	]
	coefficients = dict(model.coefficients, nps=5.0, logins=-0.8)
	coefficients |= {"messages:missing": 0.7, "logins:missing": 0.7}
	model = replace(model, features=features, coefficients=coefficients)
	rng = np.random.default_rng(11)
	values = [
		{
			key: None if rng.random() < 0.25 else float(value)
			for key, value in zip(
				KEYS, (rng.poisson(8), rng.uniform(-100, 100), rng.poisson(20)), strict=True
			)
		}
		for _ in range(2_000)
	]
	values += [{}, {"messages": 0.0}, {"messages": 1e6, "nps": 0.0, "logins": 0.0}]
	by_matrix = model.drivers_matrix(values_matrix(values, [f.key for f in model.features]))
	expected = [drivers_one_by_one(model, v) for v in values]
	assert sum(1 for d in expected if d) > 1_000 and any(len(d) > 1 for d in expected)
	assert [(d.key, d.kind) for d in expected[-3]] == [("messages", MISSING), ("logins", MISSING)]
	for got, want in zip(by_matrix, expected, strict=True):
		assert [(d.key, d.kind, d.value, d.typical) for d in got] == [
			(d.key, d.kind, d.value, d.typical) for d in want
		]
		assert [d.contribution for d in got] == pytest.approx([d.contribution for d in want], rel=1e-12)
		assert [d.percent for d in got] == pytest.approx([d.percent for d in want], rel=1e-12)
	# One customer's drivers are the same call with one row.
	assert model.drivers(values[0]) == by_matrix[0]
