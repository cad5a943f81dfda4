"""Observations for the score validation: stored scores on past dates against the churn that followed.

An observation is the Daily snapshot of a customer on a month start D (the daily job and the back-fill
write one) when the revenue ledger had that customer active on D; its outcome is the customer's first
churn after D falling within (D, D + horizon]. Both facts are on the snapshot row (`active_in_ledger`,
`churned_on`), kept current by the ledger (ledger/snapshot_outcomes.py). Only dates whose horizon has
fully passed count. The arithmetic is in cs_success/engine/validation.py, the reads in health/snapshots.py
(observation_condition is the definition of an observation); this module puts them together.

Counts, not rows: the report's figures come from one grouped read of the validation index (band,
score, churned -> observations), so 100,000 customers x 12 dates send about a thousand rows to Python,
not 1.2 million (BENCHMARKS.md, benchmark 7). Only each measure's own AUC needs the measure scores, and
those are read for a sample of customers when there are more than SAMPLE_OBSERVATIONS observations.
"""

import json
import math
from dataclasses import dataclass, field
from datetime import date

import frappe
from frappe.utils import add_days, add_months, get_first_day, getdate

from cs_success.engine.validation import Observation
from cs_success.health.snapshots import (
	count_observation_rows,
	observation_condition,
	observation_distinct_counts,
	observation_histogram,
	observation_rows,
	observations_by_name,
)

HORIZONS = (30, 90, 180)
DEFAULT_HORIZON = 90
# Above this many observations, per-measure AUCs are computed on a sample of customers (all their dates):
# about 10,000 observations put each measure's AUC within about 0.01 (BENCHMARKS.md, benchmark 7).
SAMPLE_OBSERVATIONS = 10000


@dataclass
class ObservationSet:
	observations: list[Observation]
	dates: list[date]
	customers: int  # distinct customers observed
	churn_events: int  # distinct churn events that are the outcome of at least one observation


@dataclass
class ObservationCounts:
	"""The observations as a histogram: (band, score, churned) -> how many."""

	dates: list[date]
	histogram: list[tuple[str, float, bool, int]] = field(default_factory=list)
	customers: int = 0
	churn_events: int = 0
	sample_names: list[str] = field(default_factory=list)  # snapshots whose measure scores are read

	@property
	def observations(self) -> int:
		return sum(count for *_key, count in self.histogram)

	@property
	def churned_observations(self) -> int:
		return sum(count for _band, _score, churned, count in self.histogram if churned)


def observation_dates(from_date, to_date, horizon: int, today: date | None = None) -> list[date]:
	"""Month starts within [from_date, to_date] whose horizon (D, D + horizon] has fully passed."""
	from_date, to_date = getdate(from_date), getdate(to_date)
	today = getdate(today)
	day = get_first_day(from_date)
	if day < from_date:
		day = getdate(add_months(day, 1))
	dates = []
	while day <= to_date:
		if getdate(add_days(day, horizon)) < today:
			dates.append(day)
		day = getdate(add_months(day, 1))
	return dates


def measure_scores(stored: str | None) -> dict[str, float | None]:
	"""Measure scores from a snapshot's (or a Customer Health's) breakdown."""
	return _breakdown_column(stored, 1)


def measure_raw_values(stored: str | None) -> dict[str, float | None]:
	"""The measures' raw values from the same breakdown (what churn risk learns from)."""
	return _breakdown_column(stored, 0)


def _breakdown_column(stored: str | None, column: int) -> dict[str, float | None]:
	"""One column of a breakdown {measure: [raw value, score, contribution]}; None where it has none."""
	if not stored:
		return {}
	try:
		breakdown = json.loads(stored)
	except ValueError:
		return {}
	if not isinstance(breakdown, dict):
		return {}
	values = {}
	for key, row in breakdown.items():
		value = row[column] if isinstance(row, list) and len(row) > column else None
		values[key] = float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
	return values


def count_observations(
	dates: list[date], horizon: int, segment=None, scorecard: str | None = None
) -> ObservationCounts:
	"""Every observation on the given dates, counted by band, score and outcome; the distinct customers and
	churn events among them; and the names of the snapshots of a sample of customers (all of them up to
	SAMPLE_OBSERVATIONS observations; above, about one customer in ceil(observations / SAMPLE_OBSERVATIONS),
	chosen by a hash of the name: the same customers every time, with all their dates). `segment`: the
	customers to consider (None: all).

	Two reads of the validation index, no row lookups (health/snapshots.py): the histogram, then the
	distinct counts with the sample's names."""
	if not dates:
		return ObservationCounts([])
	where, params = observation_condition(dates, horizon, segment, scorecard)
	histogram = observation_histogram(where, params)
	observations = sum(count for *_key, count in histogram)
	if not observations:
		return ObservationCounts(list(dates), histogram)
	every = max(1, math.ceil(observations / SAMPLE_OBSERVATIONS))
	customers, churn_events, names = observation_distinct_counts(where, params, every, SAMPLE_OBSERVATIONS)
	return ObservationCounts(
		list(dates),
		histogram,
		int(customers or 0),
		int(churn_events or 0),
		(names or "").split(",") if names else [],
	)


def load_sample(counts: ObservationCounts, horizon: int) -> ObservationSet:
	"""The sampled observations (count_observations) with their measure scores, read by name."""
	observations, seen = [], set()
	for start in range(0, len(counts.sample_names), 5000):
		for customer, day, score, band, stored, churned in observations_by_name(
			counts.sample_names[start : start + 5000], horizon
		):
			seen.add(customer)
			observations.append(
				Observation(
					customer, getdate(day), float(score or 0), band, measure_scores(stored), bool(churned)
				)
			)
	return ObservationSet(observations, counts.dates, len(seen), 0)


def scorecard_weights(scorecard: str) -> dict[str, float]:
	"""The enabled measures of a scorecard and their weights, as the engine scores them."""
	doc = frappe.get_doc("Health Scorecard", scorecard)
	return {row.measure: float(row.weight or 0) for row in doc.measures if row.enabled}


def fit_suggested_weights(scorecard: str, horizon: int, from_date, to_date, today: date | None = None):
	"""Fit weights for a scorecard on the observations its snapshots give (earlier dates train, later
	dates test). Returns (FitResult, the number of observations, current weights, the measures that had
	data): a measure never observed gets no suggestion, since there is no evidence either way.

	Every observation, not a sample; read row by row straight into the matrix the fit takes (at 100,000
	customers x 12 dates, 1.2 million rows: BENCHMARKS.md, benchmark 7)."""
	import numpy as np

	from cs_success.engine.validation import fit_weights_matrix

	current = scorecard_weights(scorecard)
	keys = sorted(current)
	column_of = {key: column for column, key in enumerate(keys)}
	dates = observation_dates(from_date, to_date, horizon, today)
	if not dates:
		return fit_weights_matrix(np.empty((0, len(keys))), keys, [], [], current), 0, current, set()
	where, params = observation_condition(dates, horizon, None, scorecard)
	count = count_observation_rows(where, params)
	matrix = np.full((int(count), len(keys)), np.nan)
	churned = np.zeros(int(count), dtype=bool)
	days = []
	row = -1
	for row, (_customer, day, _score, _band, stored, did_churn, _on) in enumerate(
		observation_rows(where, params)
	):
		if row >= count:  # written since the count: left for the next fit (read on, not broken off)
			continue
		for key, value in measure_scores(stored).items():
			if value is not None and key in column_of:
				matrix[row, column_of[key]] = value
		churned[row] = bool(did_churn)
		days.append(day)
	rows = min(row + 1, int(count))
	matrix, churned = matrix[:rows], churned[:rows]
	result = fit_weights_matrix(matrix, keys, churned, days, current)
	observed = {key for column, key in enumerate(keys) if not np.isnan(matrix[:, column]).all()}
	return result, rows, current, observed
