"""Churn risk: the probability that a customer churns within a horizon, learned from the site's own history,
without Frappe (DOMAIN.md, "Churn risk and forecast").

An observation is one customer active on a date D: the raw values of its measures on D (None where it had
none), and whether it churned within the horizon after D. The model:
- features per measure: log(1 + x) when the measure is never negative on the training rows (counts,
  amounts, days), the value itself otherwise (NPS, a change in percent); standardised with the training
  rows where the measure has a value; a missing value sits at that mean and sets an indicator of its own,
  so missingness is information and is shown as such;
- an L2 logistic regression (logistic.py: scikit-learn's LogisticRegression(C=1/l2)) fitted on the earlier
  observation dates and tested on the later ones, never on the same date;
- judged on the test dates: AUC with its 95 % interval, lift of the riskiest decile, calibration (mean
  predicted against observed churn per decile of predicted risk) and the Brier score beside that of
  always forecasting the training base rate;
- honest: with fewer than MIN_CUSTOMERS customers or MIN_EVENTS churn events on the test dates, or an
  AUC whose interval reaches one half, it is not usable and no probability is shown.

Probabilities are 0-1 here; the Frappe side shows percentages. Codes are translated there.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from cs_success.engine.logistic import auc_interval, logistic_newton, sigmoid
from cs_success.engine.validation import _auc, _number

# Verdicts.
USABLE = "usable"
NO_BETTER_THAN_CHANCE = "no_better_than_chance"
TOO_LITTLE_DATA = "too_little_data"
MIN_CUSTOMERS = 100
MIN_EVENTS = 10
CALIBRATION_BINS = 10
# A driver's kind: the value is lower or higher than the typical customer's, or missing.
LOWER, HIGHER, MISSING = "lower", "higher", "missing"
# A measure must move the log-odds by at least this much (about 10 % on the odds) to be named a driver.
MIN_DRIVER_LOG_ODDS = 0.1


@dataclass(frozen=True)
class Feature:
	"""How one measure enters the model: `log` (log(1 + x)), the mean and standard deviation of the
	transformed training values, and whether it has a missing-value indicator."""

	key: str
	log: bool
	mean: float
	std: float
	indicator: bool

	@property
	def typical(self) -> float:
		"""The typical training value on the measure's own scale (the mean, back from the log)."""
		return math.expm1(self.mean) if self.log else self.mean


@dataclass(frozen=True)
class CalibrationBin:
	observations: int
	mean_predicted: float
	observed: float


@dataclass(frozen=True)
class Driver:
	"""What raises a customer's risk: the measure, how its value stands against the typical customer's
	(LOWER / HIGHER, or MISSING), and its share of the log-odds. `value` and `typical` are on the measure's
	own scale; `percent` (how far apart, in percent of the typical value) only for a measure on the log
	scale (counts, amounts, days), where a ratio means something; for a signed one (NPS) it is None."""

	key: str
	kind: str
	percent: float | None
	contribution: float
	value: float | None = None
	typical: float | None = None


@dataclass(frozen=True)
class RiskModel:
	horizon: int
	features: list[Feature]
	intercept: float
	# Per feature key, on the standardised scale; a missing-value indicator under "<key>:missing".
	coefficients: dict[str, float]
	train_dates: list
	test_dates: list
	n_train: int
	n_test: int
	customers_test: int
	events_test: int
	base_rate: float
	verdict: str
	auc: float | None = None
	auc_low: float | None = None
	auc_high: float | None = None
	lift: float | None = None
	brier: float | None = None
	brier_base_rate: float | None = None
	calibration: list[CalibrationBin] = field(default_factory=list)

	@property
	def usable(self) -> bool:
		return self.verdict == USABLE

	def design(self, matrix: np.ndarray) -> np.ndarray:
		"""Rows of raw values (NaN: missing) -> the standardised design, intercept first."""
		return _design(np.asarray(matrix, dtype=float), self.features)

	def beta(self) -> np.ndarray:
		values = [self.intercept]
		values += [self.coefficients[f.key] for f in self.features]
		values += [self.coefficients[f"{f.key}:missing"] for f in self.features if f.indicator]
		return np.array(values)

	def predict_matrix(self, matrix: np.ndarray) -> np.ndarray:
		return sigmoid(self.design(matrix) @ self.beta())

	def predict_many(self, values: Sequence[Mapping[str, float | None]]) -> np.ndarray:
		"""The probability for each dict of raw values, in one matrix."""
		return self.predict_matrix(values_matrix(values, [f.key for f in self.features]))

	def predict(self, values: Mapping[str, float | None]) -> float:
		return float(self.predict_many([values])[0])

	def drivers(self, values: Mapping[str, float | None], top: int = 3) -> list[Driver]:
		"""The measures that raise this customer's risk most (at least MIN_DRIVER_LOG_ODDS against the
		typical customer), largest first."""
		return self.drivers_matrix(values_matrix([values], [f.key for f in self.features]), top)[0]

	def drivers_matrix(self, matrix: np.ndarray, top: int = 3) -> list[list[Driver]]:
		"""drivers for each row of raw values (columns in the model's feature order, NaN: missing). Every
		feature's contribution is computed for all rows at once; only the few drivers found become objects
		(a loop over customers and features cost the daily run two seconds at 100,000 customers)."""
		matrix = np.asarray(matrix, dtype=float)
		rows = matrix.shape[0]
		missing = np.isnan(matrix)
		# The standardised values as the model sees them (the design's columns after the intercept).
		z = self.design(matrix)[:, 1 : 1 + len(self.features)]
		contributions = z * np.array([self.coefficients[f.key] for f in self.features])
		for j, feature in enumerate(self.features):
			indicator = self.coefficients[f"{feature.key}:missing"] if feature.indicator else np.nan
			contributions[missing[:, j], j] = indicator
		eligible = contributions >= MIN_DRIVER_LOG_ODDS  # NaN (missing, no indicator) is never a driver
		# Largest first; a tie keeps the features' order (a stable sort of the negated contributions).
		order = np.argsort(np.where(eligible, -contributions, np.inf), axis=1, kind="stable")[:, :top]
		found: list[list[Driver]] = [[] for _ in range(rows)]
		for i, j in zip(*np.nonzero(np.take_along_axis(eligible, order, axis=1)), strict=True):
			column = int(order[i, j])
			feature = self.features[column]
			typical = feature.typical
			if missing[i, column]:
				driver = Driver(feature.key, MISSING, None, float(contributions[i, column]), None, typical)
			else:
				value = float(matrix[i, column])
				percent = abs(100.0 * (value - typical) / typical) if feature.log and typical > 0 else None
				kind = LOWER if z[i, column] < 0 else HIGHER
				driver = Driver(feature.key, kind, percent, float(contributions[i, column]), value, typical)
			found[i].append(driver)
		return found


def values_matrix(values: Sequence[Mapping[str, float | None]], keys: Sequence[str]) -> np.ndarray:
	"""Dicts of raw values -> a rows x keys matrix, NaN where a value is missing (or not a number). Built
	as lists and converted once: setting a numpy cell at a time costs more than the numbers themselves."""
	rows = [[_number_or_nan(row.get(key)) for key in keys] for row in values]
	return np.array(rows, dtype=float).reshape(len(values), len(keys))


def _number_or_nan(value) -> float:
	number = _number(value)
	return math.nan if number is None else number


def _design(matrix: np.ndarray, features: Sequence[Feature]) -> np.ndarray:
	missing = np.isnan(matrix)
	columns = [np.ones(matrix.shape[0])]
	for j, f in enumerate(features):
		raw = np.where(missing[:, j], 0.0, matrix[:, j])
		transformed = np.log1p(np.maximum(raw, 0.0)) if f.log else raw
		z = (transformed - f.mean) / f.std if f.std else np.zeros_like(transformed)
		columns.append(np.where(missing[:, j], 0.0, z))
	columns += [missing[:, j].astype(float) for j, f in enumerate(features) if f.indicator]
	return np.column_stack(columns)


def features_from_training(matrix: np.ndarray, keys: Sequence[str]) -> list[Feature]:
	features = []
	for j, key in enumerate(keys):
		present = matrix[~np.isnan(matrix[:, j]), j]
		log = bool(present.size) and bool((present >= 0).all())
		transformed = np.log1p(present) if log else present
		mean = float(transformed.mean()) if present.size else 0.0
		std = float(transformed.std()) if present.size else 0.0
		indicator = 0 < present.size < matrix.shape[0]
		features.append(Feature(key, log, mean, std, indicator))
	return features


def brier(probabilities: np.ndarray, churned: np.ndarray) -> float:
	"""Mean squared difference between the probability and what happened (1 churned, 0 not)."""
	p, y = np.asarray(probabilities, dtype=float), np.asarray(churned, dtype=float)
	return float(((p - y) ** 2).mean())


def calibration_bins(probabilities: np.ndarray, churned: np.ndarray, bins: int = CALIBRATION_BINS):
	"""Observations sorted by predicted risk (stable), cut into `bins` groups of equal size (the first ones
	one larger when it does not divide): each group's mean prediction and observed churn rate, 0-1."""
	p, y = np.asarray(probabilities, dtype=float), np.asarray(churned, dtype=float)
	order = np.argsort(p, kind="mergesort")
	return [
		CalibrationBin(int(group.size), float(p[group].mean()), float(y[group].mean()))
		for group in np.array_split(order, min(bins, p.size))
		if group.size
	]


def riskiest_decile_lift(probabilities: np.ndarray, churned: np.ndarray) -> float | None:
	"""Churn rate among the ceil(n / 10) highest predicted risks / overall churn rate."""
	p, y = np.asarray(probabilities, dtype=float), np.asarray(churned, dtype=float)
	if not y.sum():
		return None
	top = np.argsort(-p, kind="mergesort")[: math.ceil(p.size / 10)]
	return float(y[top].mean() / y.mean())


def fit_features(matrix: np.ndarray, keys: Sequence[str], churned: np.ndarray, l2: float = 1.0):
	"""(features, beta) fitted on all these rows: the model without its judgement."""
	features = features_from_training(matrix, list(keys))
	return features, logistic_newton(_design(matrix, features), np.asarray(churned, dtype=float), l2)


@dataclass(frozen=True)
class BacktestRow:
	"""One past month start D: the MRR of the customers observed on it, what a model fitted only on what was
	known by D (observation dates whose horizon had passed) forecast would stay (MRR x (1 - churn
	probability)), and what stayed (the MRR of those who did not churn within the horizon)."""

	day: date
	observations: int
	train_observations: int
	mrr: float
	forecast: float
	retained: float

	@property
	def error(self) -> float:
		return self.forecast - self.retained

	@property
	def error_percent(self) -> float | None:
		return 100.0 * self.error / self.retained if self.retained else None


def backtest(
	matrix: np.ndarray,
	keys: Sequence[str],
	churned: Sequence[int | bool],
	dates: Sequence[date],
	mrr: Sequence[float],
	horizon: int,
	l2: float = 1.0,
) -> list[BacktestRow]:
	"""For each observation date D with something known before it, the forecast of a model fitted on the rows
	whose outcome was known by D (d + horizon < D), against what happened. Dates with nothing to fit on
	(no earlier outcome, or only one class) are left out."""
	matrix = np.asarray(matrix, dtype=float)
	y = np.asarray(churned, dtype=float)
	amounts = np.asarray(mrr, dtype=float)
	# Day numbers, so that each date's "known by then" and "observed then" are one comparison of arrays.
	ordinals = np.fromiter((d.toordinal() for d in dates), dtype=np.int64, count=len(dates))
	rows = []
	for day in sorted(set(dates)):
		known = ordinals + horizon < day.toordinal()
		at = ordinals == day.toordinal()
		if not known.any() or y[known].min() == y[known].max():
			continue
		features, beta = fit_features(matrix[known], keys, y[known], l2)
		stay = 1.0 - sigmoid(_design(matrix[at], features) @ beta)
		rows.append(
			BacktestRow(
				day=day,
				observations=int(at.sum()),
				train_observations=int(known.sum()),
				mrr=float(amounts[at].sum()),
				forecast=float((amounts[at] * stay).sum()),
				retained=float((amounts[at] * (1.0 - y[at])).sum()),
			)
		)
	return rows


def fit_risk_model(
	matrix: np.ndarray,
	keys: Sequence[str],
	churned: Sequence[int | bool],
	dates: Sequence[Hashable],
	customers: Sequence[Hashable],
	horizon: int,
	l2: float = 1.0,
	split: float = 0.7,
) -> RiskModel | None:
	"""Fit on the first `split` share of the distinct dates, judge on the rest. None when there is
	nothing to fit: fewer than two dates, or nobody (or everybody) churned on the training dates."""
	matrix = np.asarray(matrix, dtype=float)
	y = np.asarray(churned, dtype=float)
	if matrix.shape != (y.size, len(keys)) or len(dates) != y.size or len(customers) != y.size:
		raise ValueError("matrix, churned, dates and customers must describe the same rows")
	distinct = sorted(set(dates))
	if len(distinct) < 2:
		return None
	n_train_dates = min(len(distinct) - 1, max(1, math.floor(split * len(distinct) + 1e-9)))
	position = {day: index for index, day in enumerate(distinct)}
	train = np.fromiter((position[day] < n_train_dates for day in dates), dtype=bool, count=y.size)
	test = ~train
	if y[train].min() == y[train].max():
		return None

	features, beta = fit_features(matrix[train], keys, y[train], l2)
	names = [f.key for f in features] + [f"{f.key}:missing" for f in features if f.indicator]
	base_rate = float(y[train].mean())
	churned_test = y[test] > 0.5
	test_customers = [c for c, is_test in zip(customers, test, strict=True) if is_test]
	events = len({c for c, gone in zip(test_customers, churned_test, strict=True) if gone})
	model = dict(
		horizon=horizon,
		features=features,
		intercept=float(beta[0]),
		coefficients={name: float(b) for name, b in zip(names, beta[1:], strict=True)},
		train_dates=distinct[:n_train_dates],
		test_dates=distinct[n_train_dates:],
		n_train=int(train.sum()),
		n_test=int(test.sum()),
		customers_test=len(set(test_customers)),
		events_test=events,
		base_rate=base_rate,
	)
	if not test.any():
		return RiskModel(verdict=TOO_LITTLE_DATA, **model)
	probabilities = sigmoid(_design(matrix[test], features) @ beta)
	# _auc ranks "lower is worse": the negated risk is the score.
	value = _auc(-probabilities, churned_test)
	positives = int(churned_test.sum())
	interval = auc_interval(value, positives, churned_test.size - positives)
	if model["customers_test"] < MIN_CUSTOMERS or events < MIN_EVENTS:
		verdict = TOO_LITTLE_DATA
	elif interval is None or interval[0] <= 0.5:
		verdict = NO_BETTER_THAN_CHANCE
	else:
		verdict = USABLE
	return RiskModel(
		verdict=verdict,
		auc=value,
		auc_low=interval[0] if interval else None,
		auc_high=interval[1] if interval else None,
		lift=riskiest_decile_lift(probabilities, churned_test),
		brier=brier(probabilities, churned_test),
		brier_base_rate=brier(np.full(probabilities.size, base_rate), churned_test),
		calibration=calibration_bins(probabilities, churned_test),
		**model,
	)
