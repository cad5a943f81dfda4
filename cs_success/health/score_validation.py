"""Observations for the score validation: stored scores on past dates against the churn that followed.

An observation is the Daily snapshot of a customer on a month start D (the daily job and the back-fill
write one) when the revenue ledger had that customer active on D; its outcome is the customer's first
churn after D falling within (D, D + horizon]. Both facts are on the snapshot row (`active_in_ledger`,
`churned_on`), kept current by the ledger (ledger/snapshot_outcomes.py). Only dates whose horizon has
fully passed count. The arithmetic is in cs_success/engine/validation.py; this module reads the data.

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

from cs_success.engine.health_score import NO_DATA
from cs_success.engine.validation import Observation

HORIZONS = (30, 90, 180)
DEFAULT_HORIZON = 90
# Above this many observations, per-measure AUCs are computed on a sample of customers (all their dates):
# about 10,000 observations put each measure's AUC within about 0.01 (BENCHMARKS.md, benchmark 7).
SAMPLE_OBSERVATIONS = 10000
CHURNED_WITHIN = (
	"(s.churned_on IS NOT NULL AND s.churned_on <= DATE_ADD(s.snapshot_date, INTERVAL %(horizon)s DAY))"
)


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
	"""Measure scores from a snapshot's breakdown: {measure: [raw value, score, contribution]}."""
	if not stored:
		return {}
	try:
		breakdown = json.loads(stored)
	except ValueError:
		return {}
	if not isinstance(breakdown, dict):
		return {}
	scores = {}
	for key, values in breakdown.items():
		score = values[1] if isinstance(values, list) and len(values) > 1 else None
		scores[key] = float(score) if isinstance(score, int | float) else None
	return scores


def _observed(
	dates: list[date], horizon: int, segment=None, scorecard: str | None = None
) -> tuple[str, dict]:
	"""WHERE clause and parameters of the observations on these dates."""
	conditions = [
		"s.snapshot_date IN %(dates)s",
		"s.kind = 'Daily'",
		"s.active_in_ledger = 1",
		"s.band != %(no_data)s",
	]
	params = {"dates": tuple(dates), "no_data": NO_DATA, "horizon": int(horizon)}
	if scorecard:
		conditions.append("s.scorecard = %(scorecard)s")
		params["scorecard"] = scorecard
	if segment is not None:
		conditions.append("s.customer IN %(segment)s")
		params["segment"] = tuple(segment) or ("",)
	return " AND ".join(conditions), params


def count_observations(
	dates: list[date], horizon: int, segment=None, scorecard: str | None = None
) -> ObservationCounts:
	"""Every observation on the given dates, counted by band, score and outcome; the distinct customers and
	churn events among them; and the names of the snapshots of a sample of customers (all of them up to
	SAMPLE_OBSERVATIONS observations; above, about one customer in ceil(observations / SAMPLE_OBSERVATIONS),
	chosen by a hash of the name: the same customers every time, with all their dates). `segment`: the
	customers to consider (None: all).

	Two reads of the validation index, no row lookups: the histogram, then the distinct counts with the
	sample's names. Customers and churn events are told apart by two CRC32s of the name (64 bits, as
	Cohort Retention does): a fixed-width key keeps MariaDB's distinct count in memory, where 100,000
	names of up to 140 characters did not (1.0 s against 0.5 s at 100,000 customers x 9 dates)."""
	if not dates:
		return ObservationCounts([])
	where, params = _observed(dates, horizon, segment, scorecard)
	histogram = [
		(band, float(score or 0), bool(churned), int(count))
		for band, score, churned, count in frappe.db.sql(
			f"""SELECT s.band, s.score, {CHURNED_WITHIN} AS churned, COUNT(*)
			FROM `tabCustomer Health Snapshot` s WHERE {where}
			GROUP BY s.band, s.score, churned""",
			params,
		)
	]
	observations = sum(count for *_key, count in histogram)
	if not observations:
		return ObservationCounts(list(dates), histogram)
	every = max(1, math.ceil(observations / SAMPLE_OBSERVATIONS))
	key = "CRC32(s.customer), CRC32(REVERSE(s.customer))"
	churned_key = f"IF({CHURNED_WITHIN}, CRC32(s.customer), NULL), CRC32(REVERSE(s.customer)), s.churned_on"
	previous = frappe.db.sql("SELECT @@SESSION.group_concat_max_len")[0][0]
	# Room for the sample's names (20 characters and a comma each).
	frappe.db.sql("SET SESSION group_concat_max_len = %s", max(int(previous), 64 * SAMPLE_OBSERVATIONS))
	try:
		customers, churn_events, names = frappe.db.sql(
			f"""SELECT COUNT(DISTINCT {key}), COUNT(DISTINCT {churned_key}),
				GROUP_CONCAT(IF(CRC32(s.customer) %% %(every)s = 0, s.name, NULL))
			FROM `tabCustomer Health Snapshot` s WHERE {where}""",
			{**params, "every": every},
		)[0]
	finally:
		frappe.db.sql("SET SESSION group_concat_max_len = %s", int(previous))
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
		for customer, day, score, band, stored, churned in frappe.db.sql(
			f"""SELECT s.customer, s.snapshot_date, s.score, s.band, s.measure_scores, {CHURNED_WITHIN}
			FROM `tabCustomer Health Snapshot` s WHERE s.name IN %(names)s""",
			{"names": tuple(counts.sample_names[start : start + 5000]), "horizon": int(horizon)},
		):
			seen.add(customer)
			observations.append(
				Observation(
					customer, getdate(day), float(score or 0), band, measure_scores(stored), bool(churned)
				)
			)
	return ObservationSet(observations, counts.dates, len(seen), 0)


def _observation_rows(dates, horizon: int, segment, scorecard: str | None):
	"""(customer, day, score, band, measure_scores, churned, churned_on) of every observation, streamed
	from the database rather than held twice."""
	where, params = _observed(dates, horizon, segment, scorecard)
	# Unbuffered: the measure scores of a million observations would otherwise sit in memory at once.
	with frappe.db.unbuffered_cursor():
		yield from frappe.db.sql(
			f"""SELECT s.customer, s.snapshot_date, s.score, s.band, s.measure_scores, {CHURNED_WITHIN},
				s.churned_on
			FROM `tabCustomer Health Snapshot` s WHERE {where}""",
			params,
			as_iterator=True,
			as_list=True,
		)


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
	where, params = _observed(dates, horizon, None, scorecard)
	count = frappe.db.sql(f"SELECT COUNT(*) FROM `tabCustomer Health Snapshot` s WHERE {where}", params)[0][0]
	matrix = np.full((int(count), len(keys)), np.nan)
	churned = np.zeros(int(count), dtype=bool)
	days = []
	row = -1
	for row, (_customer, day, _score, _band, stored, did_churn, _on) in enumerate(
		_observation_rows(dates, horizon, None, scorecard)
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
