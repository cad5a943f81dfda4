"""Is the health score any good? Back-testing a score against churn, without Frappe.

An observation is the score of one customer active on a date D and whether that customer churned
within the horizon after D (DOMAIN.md, "Is the score any good?"). The caller picks the customers
and the horizon; this module only does the arithmetic.

- AUC: the probability that a random churner had a WORSE (lower) score than a random non-churner,
  ties counting one half: Mann-Whitney U / (n1 * n0), from average ranks in O(n log n).
- Lift of the worst decile: churn rate among the ceil(n / 10) lowest scores / overall churn rate.
- Churn per band, precision and recall of the alarm bands, calibration by score decile.
- Weights from data: an L2-regularised logistic regression of churn on the measure scores in their own
  units, with an indicator per measure for a missing score (logistic.py: scikit-learn's objective),
  fitted on the earlier observation dates and tested on the later ones, never on the same date; only
  measures that rank churn better than chance on their own get weight, and weights that do not beat
  the current ones are not offered.

Units: churn rates, precision and recall are percentages (0-100) as in retention.py; AUC is a
probability (0-1) and lift a ratio. A score of None (or NaN) is no observation and is dropped.
Verdicts, directions and reasons are codes; the Frappe side translates them.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import numpy as np

from cs_success.engine.logistic import beats_chance, logistic_newton

INSUFFICIENT_DATA = "insufficient_data"
STRONG = "strong"
USEFUL = "useful"
WEAK = "weak"
CHANCE = "chance"

PREDICTS_CHURN = "predicts churn"
NO_SIGNAL = "no signal"
INVERTED = "inverted"

# Why `fit_weights` suggests no weights.
TOO_FEW_DATES = "too_few_dates"  # fewer than two observation dates: no time split possible
SINGLE_CLASS_TRAINING = "single_class_training"  # nobody (or everybody) churned on the training dates
NO_PROTECTIVE_MEASURE = "no_protective_measure"  # no measure whose higher score lowers churn
# The weights found rank churn no better than the current ones on the test dates: not offered.
NOT_BETTER = "not_better"
# A measure whose scores spread less than this (standard deviation, score points) over the training rows
# where it has one cannot tell customers apart, whatever its coefficient: it gets no weight (the weight
# would only pull every score towards its constant).
MIN_SPREAD = 1.0


class Observation(NamedTuple):
	customer: str
	observation_date: Any
	score: float | None
	band: str
	measures: Mapping[str, float | None]
	churned: bool


class BandRow(NamedTuple):
	band: str
	customers: int
	churned: int
	churn_rate: float | None  # percent


class CalibrationRow(NamedTuple):
	decile: int  # 1 = lowest scores
	low: float
	high: float
	customers: int
	churned: int
	churn_rate: float  # percent


class MeasureAUC(NamedTuple):
	key: str
	auc: float | None
	n: int
	direction: str | None


@dataclass(frozen=True)
class Verdict:
	code: str
	auc: float | None


@dataclass(frozen=True)
class FitResult:
	"""Suggested weights and how the current and the suggested score rank churn on the test dates.

	`coefficients` are per score point, on scores centred at their training means (`means`, which also
	stand in for a missing score; a missing score's own indicator takes what missingness says, so it never
	earns a measure weight). `measure_aucs` is each measure's own AUC on the training dates (where it has a
	score) and `signal` whether its 95 % interval lies above one half and its scores spread (MIN_SPREAD):
	only such a measure may get weight.
	`weights` is None when none is offered, `reason` then says why; when the fit found weights that do not
	rank churn better than the current ones on the test dates, they are kept in `candidate_weights`, to
	show, but not offered."""

	weights: dict[str, float] | None
	intercept: float | None
	coefficients: dict[str, float]
	train_dates: list
	test_dates: list
	current_auc_test: float | None
	suggested_auc_test: float | None
	n_train: int
	n_test: int
	means: dict[str, float]
	measure_aucs: dict[str, float | None] = field(default_factory=dict)
	signal: dict[str, bool] = field(default_factory=dict)
	candidate_weights: dict[str, float] | None = None
	reason: str | None = None


def _scores_array(scores: Iterable[float | None]) -> np.ndarray:
	return np.asarray(list(scores) if not isinstance(scores, np.ndarray) else scores, dtype=float)


def _pairs(scores, churned) -> tuple[np.ndarray, np.ndarray]:
	"""Scores and churn flags as arrays, without the observations that have no score."""
	values = _scores_array(scores)
	flags = np.asarray(list(churned) if not isinstance(churned, np.ndarray) else churned, dtype=bool)
	if values.shape != flags.shape or values.ndim != 1:
		raise ValueError("scores and churned must be sequences of the same length")
	keep = np.isfinite(values)
	if not keep.all():
		values, flags = values[keep], flags[keep]
	return values, flags


def _average_ranks(values: np.ndarray) -> np.ndarray:
	"""Ranks 1..n in ascending order; tied values share the average of their ranks."""
	n = values.size
	order = np.argsort(values, kind="mergesort")
	ordered = values[order]
	starts_group = np.empty(n, dtype=bool)
	starts_group[:1] = True
	np.not_equal(ordered[1:], ordered[:-1], out=starts_group[1:])
	starts = np.flatnonzero(starts_group)
	counts = np.diff(np.append(starts, n))
	group_rank = starts + (counts + 1) / 2.0
	ranks = np.empty(n, dtype=float)
	ranks[order] = np.repeat(group_rank, counts)
	return ranks


def _auc(values: np.ndarray, flags: np.ndarray) -> float | None:
	n_churned = int(flags.sum())
	n_stayed = flags.size - n_churned
	if not n_churned or not n_stayed:
		return None
	# U counts the (churner, non-churner) pairs where the non-churner scored higher, ties as 1/2.
	u = _average_ranks(values)[~flags].sum() - n_stayed * (n_stayed + 1) / 2.0
	return float(u / (n_churned * n_stayed))


def auc(scores: Iterable[float | None], churned: Iterable[bool]) -> float | None:
	"""P(churner's score < non-churner's score) + 1/2 P(equal); None when either class is empty."""
	return _auc(*_pairs(scores, churned))


def worst_decile_lift(scores: Iterable[float | None], churned: Iterable[bool]) -> float | None:
	"""Churn rate among the ceil(n/10) lowest scores / overall churn rate; None when nobody churned.

	Ties at the decile boundary are broken by the given order (a stable sort)."""
	values, flags = _pairs(scores, churned)
	total = int(flags.sum())
	if not total:
		return None
	n = values.size
	worst = np.argsort(values, kind="stable")[: math.ceil(n / 10)]
	return float((flags[worst].sum() / worst.size) / (total / n))


def spread_counts(
	values: Sequence[float], totals: Sequence[int], churned: Sequence[int]
) -> tuple[np.ndarray, np.ndarray]:
	"""Observations from a histogram: value i repeated totals[i] times, with its churned[i] churners
	spread evenly among them (the k-th of n is a churner when floor(k c / n) moves), so that where equal
	scores straddle a decile boundary their churners fall on both sides in proportion, not all on one.
	AUC does not depend on the order; lift and calibration then match a random order on average."""
	totals_array = np.asarray(totals, dtype=np.int64)
	churned_array = np.asarray(churned, dtype=np.int64)
	if totals_array.shape != churned_array.shape or (churned_array > totals_array).any():
		raise ValueError("churned must be at most the total of each value")
	repeated = np.repeat(np.asarray(values, dtype=float), totals_array)
	n = np.repeat(totals_array, totals_array)
	c = np.repeat(churned_array, totals_array)
	starts = np.repeat(np.cumsum(totals_array) - totals_array, totals_array)
	k = np.arange(repeated.size, dtype=np.int64) - starts
	flags = ((k + 1) * c // np.maximum(n, 1) - k * c // np.maximum(n, 1)).astype(bool)
	return repeated, flags


def band_rows(counts: Mapping[str, tuple[int, int]], band_order: Sequence[str]) -> list[BandRow]:
	"""One row per band of `band_order` (also when empty), then the other bands of `counts` in their order.
	`counts`: band -> (observations, churned)."""
	bands = list(band_order) + [band for band in counts if band not in band_order]
	rows = []
	for band in bands:
		count, lost = counts.get(band, (0, 0))
		rows.append(BandRow(band, int(count), int(lost), 100.0 * lost / count if count else None))
	return rows


def churn_by_band(bands: Iterable[str], churned: Iterable[bool], band_order: Sequence[str]) -> list[BandRow]:
	"""One row per band of `band_order` (also when empty), then any other band in order of appearance."""
	return band_rows(_band_counts(bands, churned), band_order)


def _band_counts(bands: Iterable[str], churned: Iterable[bool]) -> dict[str, tuple[int, int]]:
	counts: dict[str, tuple[int, int]] = {}
	for band, did_churn in zip(bands, churned, strict=True):
		count, lost = counts.get(band, (0, 0))
		counts[band] = (count + 1, lost + bool(did_churn))
	return counts


def alarm_precision_recall_counts(
	counts: Mapping[str, tuple[int, int]], alarm_bands: set[str] | frozenset[str]
) -> tuple[float | None, float | None]:
	"""Precision and recall (percent) of "a band in `alarm_bands`" as the churn alarm, from
	band -> (observations, churned). Precision is None when nobody was alarmed, recall None when nobody
	churned."""
	alarmed = sum(count for band, (count, _lost) in counts.items() if band in alarm_bands)
	hits = sum(lost for band, (_count, lost) in counts.items() if band in alarm_bands)
	total = sum(lost for _count, lost in counts.values())
	precision = 100.0 * hits / alarmed if alarmed else None
	recall = 100.0 * hits / total if total else None
	return precision, recall


def alarm_precision_recall(
	bands: Iterable[str], churned: Iterable[bool], alarm_bands: set[str] | frozenset[str]
) -> tuple[float | None, float | None]:
	"""Precision and recall (percent) of "a band in `alarm_bands`" as the churn alarm, per observation."""
	return alarm_precision_recall_counts(_band_counts(bands, churned), alarm_bands)


def calibration(
	scores: Iterable[float | None], churned: Iterable[bool], groups: int = 10
) -> list[CalibrationRow]:
	"""Churn rate per equal-count score group, lowest scores first; it should fall as scores rise.

	Group sizes differ by at most one; equal scores may straddle a boundary (stable order). With
	fewer observations than groups, only the non-empty groups are returned."""
	if groups < 1:
		raise ValueError("groups must be at least 1")
	values, flags = _pairs(scores, churned)
	order = np.argsort(values, kind="stable")
	rows = []
	for part in np.array_split(order, groups):
		if not part.size:
			continue
		lost = int(flags[part].sum())
		rows.append(
			CalibrationRow(
				len(rows) + 1,
				float(values[part[0]]),
				float(values[part[-1]]),
				int(part.size),
				lost,
				100.0 * lost / part.size,
			)
		)
	return rows


def direction_for(value: float | None) -> str | None:
	if value is None:
		return None
	if value >= 0.6:
		return PREDICTS_CHURN
	if value >= 0.4:
		return NO_SIGNAL
	return INVERTED


def per_measure_auc(observations: Iterable[Observation]) -> list[MeasureAUC]:
	"""AUC of each measure's own score over the observations that have that measure, by key."""
	by_key: dict[str, tuple[list[float], list[bool]]] = {}
	for observation in observations:
		for key, value in observation.measures.items():
			if value is None:
				continue
			values, flags = by_key.setdefault(key, ([], []))
			values.append(value)
			flags.append(bool(observation.churned))
	rows = []
	for key in sorted(by_key):
		values, flags = _pairs(*by_key[key])
		value = _auc(values, flags)
		rows.append(MeasureAUC(key, value, int(values.size), direction_for(value)))
	return rows


def verdict(
	auc: float | None, customers: int, churn_events: int, min_customers: int = 100, min_events: int = 10
) -> Verdict:
	"""How far to trust the score. Too few customers or churn events: cannot tell."""
	if auc is None or customers < min_customers or churn_events < min_events:
		return Verdict(INSUFFICIENT_DATA, auc)
	if auc >= 0.8:
		return Verdict(STRONG, auc)
	if auc >= 0.7:
		return Verdict(USEFUL, auc)
	if auc >= 0.6:
		return Verdict(WEAK, auc)
	return Verdict(CHANCE, auc)


def _number(value) -> float | None:
	if value is None or isinstance(value, bool) or not isinstance(value, int | float):
		return None
	return float(value) if math.isfinite(value) else None


def weighted_score(measures: Mapping[str, float | None], weights: Mapping[str, float]) -> float | None:
	"""sum(w_i s_i) / sum(w_i) over the weighted measures that have a score, as the health engine does."""
	total = weight_with_data = 0.0
	for key, weight in weights.items():
		score = _number(measures.get(key))
		if weight > 0 and score is not None:
			total += weight * score
			weight_with_data += weight
	return total / weight_with_data if weight_with_data else None


def _weighted_scores(matrix: np.ndarray, weights: np.ndarray) -> np.ndarray:
	"""`weighted_score` for every row of a matrix with NaN for missing; NaN where nothing is weighted."""
	present = ~np.isnan(matrix) & (weights > 0)
	weight_with_data = present @ weights
	total = np.where(present, matrix, 0.0) @ np.where(weights > 0, weights, 0.0)
	with np.errstate(invalid="ignore", divide="ignore"):
		return np.where(weight_with_data > 0, total / weight_with_data, np.nan)


def _measure_matrix(X: Sequence[Mapping[str, float | None]], keys: Sequence[str]) -> np.ndarray:
	matrix = np.empty((len(X), len(keys)))
	for column, key in enumerate(keys):
		matrix[:, column] = np.array([row.get(key) for row in X], dtype=float)
	return matrix


def fit_weights(
	X: Sequence[Mapping[str, float | None]],
	y: Sequence[int | bool],
	dates: Sequence[Hashable],
	current_weights: Mapping[str, float] | None = None,
	l2: float = 1.0,
	split: float = 0.7,
	keys: Sequence[str] | None = None,
) -> FitResult:
	"""Suggest scorecard weights from observations (one dict of measure scores 0-100 per row).

	`keys` defaults to every measure seen, sorted. See `fit_weights_matrix`."""
	if keys is None:
		keys = sorted(set().union(*X)) if len(X) else []
	return fit_weights_matrix(_measure_matrix(X, keys), keys, y, dates, current_weights, l2, split)


def fit_weights_matrix(
	matrix: np.ndarray,
	keys: Sequence[str],
	y: Sequence[int | bool],
	dates: Sequence[Hashable],
	current_weights: Mapping[str, float] | None = None,
	l2: float = 1.0,
	split: float = 0.7,
) -> FitResult:
	"""`fit_weights` on a rows x measures matrix of scores 0-100, NaN where a measure has no data.

	The first `split` share of the distinct dates (sorted) trains, the later dates test. Churn is
	regressed on the scores in their own units (centred at the training means, not divided by their
	spread: a nearly constant measure would otherwise need, and get, a huge weight per point), a missing
	score taking the mean and an indicator of its own for each measure that is ever missing. A measure
	whose higher score lowers churn (negative coefficient) and which ranks churn better than chance on its
	own (its AUC's 95 % interval above one half, its scores spread by at least MIN_SPREAD) weighs its
	-coefficient; the rest weigh 0; weights are
	normalised to sum to 100. The current and the suggested score are then computed on the test dates as
	the health engine does (re-normalised over the measures present) and ranked against churn by AUC;
	weights that do not do better than the current ones are not offered (NOT_BETTER)."""
	if not (0.0 < split < 1.0):
		raise ValueError("split must lie strictly between 0 and 1")
	if l2 < 0:
		raise ValueError("l2 must not be negative")
	keys = list(keys)
	matrix = np.asarray(matrix, dtype=float)
	outcome = np.asarray(y, dtype=float)
	if matrix.shape != (outcome.size, len(keys)) or len(dates) != outcome.size:
		raise ValueError("X, y and dates must describe the same rows")

	distinct = sorted(set(dates))
	n_train_dates = min(len(distinct) - 1, max(1, math.floor(split * len(distinct) + 1e-9)))
	train_dates, test_dates = distinct[:n_train_dates], distinct[n_train_dates:]
	position = {date: index for index, date in enumerate(distinct)}
	date_index = np.fromiter((position[date] for date in dates), dtype=np.intp, count=outcome.size)
	train = date_index < n_train_dates
	test = ~train
	n_train, n_test = int(train.sum()), int(test.sum())

	def test_auc(weights: Mapping[str, float] | None) -> float | None:
		if not weights or not n_test or len(distinct) < 2:
			return None
		vector = np.array([float(weights.get(key, 0.0)) for key in keys])
		return auc(_weighted_scores(matrix[test], vector), outcome[test] > 0.5)

	def result(reason=None, weights=None, candidate=None, **fitted):
		split_made = len(distinct) > 1
		return FitResult(
			weights=weights,
			intercept=fitted.get("intercept"),
			coefficients=fitted.get("coefficients") or {},
			train_dates=train_dates if split_made else [],
			test_dates=test_dates if split_made else [],
			current_auc_test=test_auc(current_weights),
			suggested_auc_test=test_auc(weights or candidate),
			n_train=n_train if split_made else 0,
			n_test=n_test if split_made else 0,
			means=fitted.get("means") or {},
			measure_aucs=fitted.get("measure_aucs") or {},
			signal=fitted.get("signal") or {},
			candidate_weights=candidate,
			reason=reason,
		)

	if len(distinct) < 2:
		return result(TOO_FEW_DATES)
	train_outcome = outcome[train]
	if train_outcome.min() == train_outcome.max():
		return result(SINGLE_CLASS_TRAINING)

	raw = matrix[train]
	missing = np.isnan(raw)
	counts = (~missing).sum(axis=0)
	means = np.divide(
		np.where(missing, 0.0, raw).sum(axis=0), counts, out=np.zeros(len(keys)), where=counts > 0
	)
	# An indicator for each measure missing on some training rows and present on others (one missing
	# everywhere is a constant, which the intercept already is).
	flagged = np.flatnonzero(missing.any(axis=0) & (counts > 0))
	design = np.empty((n_train, 1 + len(keys) + flagged.size))
	design[:, 0] = 1.0
	np.copyto(design[:, 1 : 1 + len(keys)], np.where(missing, 0.0, raw - means))
	design[:, 1 + len(keys) :] = missing[:, flagged]
	beta = logistic_newton(design, train_outcome, l2)
	del design
	coefficients = beta[1 : 1 + len(keys)]

	churned = train_outcome > 0.5
	measure_aucs, signal = {}, {}
	for column, key in enumerate(keys):
		present = ~missing[:, column]
		values = raw[present, column]
		value = _auc(values, churned[present])
		positives = int(churned[present].sum())
		measure_aucs[key] = value
		signal[key] = bool(values.size and values.std() >= MIN_SPREAD) and beats_chance(
			value, positives, int(present.sum()) - positives
		)
	del raw, missing
	per_point = np.array(
		[max(0.0, -c) if signal[key] else 0.0 for key, c in zip(keys, coefficients, strict=True)]
	)
	fitted = dict(
		intercept=float(beta[0]),
		coefficients={key: float(c) for key, c in zip(keys, coefficients, strict=True)},
		means={key: float(m) for key, m in zip(keys, means, strict=True)},
		measure_aucs=measure_aucs,
		signal=signal,
	)
	if not per_point.sum() > 0:
		return result(NO_PROTECTIVE_MEASURE, **fitted)
	weights = {key: float(w) for key, w in zip(keys, 100.0 * per_point / per_point.sum(), strict=True)}
	current, suggested = test_auc(current_weights), test_auc(weights)
	if current is not None and (suggested is None or suggested <= current):
		return result(NOT_BETTER, candidate=weights, **fitted)
	return result(weights=weights, **fitted)
