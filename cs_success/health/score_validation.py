"""Observations for the score validation: stored scores on past dates against the churn that followed.

An observation is a customer active on a month start D (revenue ledger, Customer Active Span) with a
stored Daily snapshot on or before D (the latest within SNAPSHOT_WINDOW_DAYS); its outcome is a
Churned lifecycle event within (D, D + horizon]. Only dates whose horizon has fully passed count.
The arithmetic is in cs_success/engine/validation.py; this module reads and shapes the data.

Raw SQL: one grouped query per observation date over the (snapshot_date, kind) index, so a report
over 100,000 customers x 12 dates reads only the rows it uses (BENCHMARKS.md).
"""

import json
from dataclasses import dataclass
from datetime import date

import frappe
from frappe.utils import add_days, add_months, get_first_day, getdate

from cs_success.engine.health_score import NO_DATA
from cs_success.engine.validation import Observation
from cs_success.ledger.queries import active_on_days, events_between

HORIZONS = (30, 90, 180)
DEFAULT_HORIZON = 90
SNAPSHOT_WINDOW_DAYS = 31


@dataclass
class ObservationSet:
	observations: list[Observation]
	dates: list[date]
	customers: int  # distinct customers observed
	churn_events: int  # distinct churn events that are the outcome of at least one observation


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


def snapshots_on(day: date, customers, scorecard: str | None = None) -> list[tuple]:
	"""(customer, score, band, measure_scores) of each customer's latest Daily snapshot on or before
	`day` and within SNAPSHOT_WINDOW_DAYS of it; customers with no data that day are left out.

	Two steps, so neither scans the whole table: the snapshots taken on the day itself (the daily job
	and the back-fill write one), over the (snapshot_date, kind) index; then, for the customers that
	have none, the latest in the window before it, over the (customer, snapshot_date, kind) key."""
	if not customers:
		return []
	columns = "s.customer, s.score, s.band, s.measure_scores, s.scorecard"
	found = {
		row[0]: row
		for row in frappe.db.sql(
			f"""SELECT {columns} FROM `tabCustomer Health Snapshot` s
			WHERE s.kind = 'Daily' AND s.snapshot_date = %(day)s""",
			{"day": day},
		)
		if row[0] in customers
	}
	missing = sorted(set(customers) - set(found))
	latest_day = {}
	# Chunks under MariaDB's in_predicate_conversion_threshold (1000): a longer IN list becomes a
	# temporary table join and the key range is lost (3 s instead of 0.1 s per 5,000 customers).
	for start in range(0, len(missing), 900):
		for snapshot_date, *row in frappe.db.sql(
			f"""SELECT s.snapshot_date, {columns} FROM `tabCustomer Health Snapshot` s
			WHERE s.customer IN %(customers)s AND s.kind = 'Daily'
				AND s.snapshot_date < %(day)s AND s.snapshot_date >= %(oldest)s""",
			{
				"day": day,
				"oldest": add_days(day, -SNAPSHOT_WINDOW_DAYS),
				"customers": tuple(missing[start : start + 900]),
			},
		):
			if snapshot_date > latest_day.get(row[0], date.min):
				latest_day[row[0]] = snapshot_date
				found[row[0]] = tuple(row)
	return [row[:4] for row in found.values() if row[2] != NO_DATA and (not scorecard or row[4] == scorecard)]


def load_observations(
	dates: list[date], horizon: int, segment=None, scorecard: str | None = None
) -> ObservationSet:
	"""Every observation on the given dates. `segment`: the customers to consider (None: all)."""
	if not dates:
		return ObservationSet([], [], 0, 0)
	active = active_on_days(dates, segment)
	churns = events_between(add_days(dates[0], 1), add_days(dates[-1], horizon), "Churned", segment)
	observations, seen, matched_events = [], set(), set()
	for day in dates:
		active_today = active.get(day, set())
		end = getdate(add_days(day, horizon))
		for customer, score, band, stored in snapshots_on(day, active_today, scorecard):
			outcome = [on for on in churns.get(customer, ()) if day < on <= end]
			matched_events.update((customer, on) for on in outcome)
			seen.add(customer)
			observations.append(
				Observation(customer, day, float(score), band, measure_scores(stored), bool(outcome))
			)
	return ObservationSet(observations, list(dates), len(seen), len(matched_events))


def scorecard_weights(scorecard: str) -> dict[str, float]:
	"""The enabled measures of a scorecard and their weights, as the engine scores them."""
	doc = frappe.get_doc("Health Scorecard", scorecard)
	return {row.measure: float(row.weight or 0) for row in doc.measures if row.enabled}


def fit_suggested_weights(scorecard: str, horizon: int, from_date, to_date, today: date | None = None):
	"""Fit weights for a scorecard on the observations its snapshots give (earlier dates train, later
	dates test). Returns (FitResult, ObservationSet, current weights, the measures that had data):
	a measure never observed gets no suggestion, since there is no evidence either way."""
	import numpy as np

	from cs_success.engine.validation import fit_weights_matrix

	current = scorecard_weights(scorecard)
	keys = sorted(current)
	data = load_observations(observation_dates(from_date, to_date, horizon, today), horizon, None, scorecard)
	matrix = np.full((len(data.observations), len(keys)), np.nan)
	for row, observation in enumerate(data.observations):
		for column, key in enumerate(keys):
			value = observation.measures.get(key)
			if value is not None:
				matrix[row, column] = value
	result = fit_weights_matrix(
		matrix,
		keys,
		[o.churned for o in data.observations],
		[o.observation_date for o in data.observations],
		current,
	)
	observed = {key for column, key in enumerate(keys) if not np.isnan(matrix[:, column]).all()}
	return result, data, current, observed
