"""Every read of health history (Customer Health Snapshot): recompute's trend, the score-drop trigger, play
outcomes and effectiveness, the Health Trend and Churned Customer Audit reports and the score validation read
it only through the functions here (tests/test_one_door.py keeps it so). The writers are health/recompute.py
(the daily and band-change snapshots), health/backfill.py, ledger/snapshot_outcomes.py (what followed each
snapshot) and health/records.py (a Customer's rename or merge).

The definitions, each in one place:
- *health on day D*: the customer's latest Daily snapshot on or before D and no more than
  SNAPSHOT_LOOKBACK_DAYS (31) before it; none when there is no such snapshot: `health_on_or_before`,
  `health_on_or_before_each`, `scores_on_or_before` (the engine's play_effectiveness.History.latest applies
  the same window to `daily_history`);
- *a score on D*: that snapshot's score, unless its band is No Data (a score on too little data is none);
- *an observation* for the score validation: the Daily snapshot of a customer on a month start D while the
  ledger had it active (`active_in_ledger`), with a band other than No Data: `observation_condition`."""

from collections.abc import Iterable, Iterator, Sequence
from datetime import date, timedelta
from typing import NamedTuple

import frappe
from frappe.utils import add_days, getdate

from cs_success.base.bulk import derived_rows
from cs_success.base.permissions import customer_filter, enabled_customer_condition
from cs_success.engine.health_score import BAND_ORDER, NO_DATA, SNAPSHOT_LOOKBACK_DAYS

DAILY = "Daily"
# Customer-and-day pairs per read (health_on_or_before_each).
PAIRS_PER_READ = 1000
# Date arithmetic on date objects: frappe.utils.add_days parses and formats each (0.6 s for 20,000).
LOOKBACK = timedelta(days=SNAPSHOT_LOOKBACK_DAYS)
# Bytes of one customer's folded history (daily_history): far above any span a report reads.
HISTORY_TEXT_LIMIT = 64 * 1024 * 1024
# MariaDB's TO_DAYS counts from year 0, Python's ordinals from year 1.
TO_DAYS_OFFSET = 365


class HealthOn(NamedTuple):
	"""A customer's health on a day: the snapshot's score and band, and the day it was taken."""

	score: float | None
	band: str | None
	snapshot_date: date


def health_on_or_before(day, customers: Sequence[str] | None = None) -> dict[str, HealthOn]:
	"""customer -> its health on `day` (the module's definition), for these customers (None: everyone). One
	grouped read whatever the number of customers."""
	day = getdate(day)
	condition = " AND customer IN %(customers)s" if customers is not None else ""
	rows = frappe.db.sql(
		f"""
		SELECT s.customer, s.score, s.band, s.snapshot_date
		FROM `tabCustomer Health Snapshot` s
		JOIN (
			SELECT customer, MAX(snapshot_date) AS snapshot_date FROM `tabCustomer Health Snapshot`
			WHERE kind = %(daily)s AND snapshot_date <= %(day)s AND snapshot_date >= %(oldest)s {condition}
			GROUP BY customer
		) latest ON latest.customer = s.customer AND latest.snapshot_date = s.snapshot_date
		WHERE s.kind = %(daily)s
		""",
		{
			"day": day,
			"oldest": add_days(day, -SNAPSHOT_LOOKBACK_DAYS),
			"daily": DAILY,
			"customers": tuple(customers or ("",)),
		},
	)
	return {customer: HealthOn(score, band, getdate(on)) for customer, score, band, on in rows}


def banded_score(health: HealthOn | None) -> float | None:
	"""The score of a health on a day, None when there is none or its band is No Data."""
	if health is None or health.band == NO_DATA or health.score is None:
		return None
	return health.score


def scores_on_or_before(customers: Sequence[str] | None, day) -> dict[str, float]:
	"""customer -> its score on `day` (health_on_or_before, No Data dropped)."""
	return {
		customer: score
		for customer, health in health_on_or_before(day, customers).items()
		if (score := banded_score(health)) is not None
	}


def health_on_or_before_each(pairs: Iterable[tuple[str, date]]) -> dict[tuple[str, date], HealthOn]:
	"""(customer, day) -> the customer's health on that day, for pairs with a different day each (a churn
	date, a run's check day): its latest Daily snapshot on or before the day, within the look-back. The pairs
	go in as a derived table joined to the unique (customer, day, kind) index, so each reads at most
	SNAPSHOT_LOOKBACK_DAYS + 1 index entries (an OR of ranges per pair cost MariaDB's optimizer more than the
	reads: 8.8 s for 5,000 pairs in reads of 500)."""
	pairs = sorted({(customer, getdate(day)) for customer, day in pairs})
	result = {}
	for start in range(0, len(pairs), PAIRS_PER_READ):
		chunk = pairs[start : start + PAIRS_PER_READ]
		derived = derived_rows(["customer", "oldest", "day"], len(chunk))
		values = [value for customer, day in chunk for value in (customer, day - LOOKBACK, day)]
		for customer, day, on, score, band in frappe.db.sql(
			f"""SELECT p.customer, p.day, s.snapshot_date, s.score, s.band
			FROM ({derived}) p
			JOIN `tabCustomer Health Snapshot` s ON s.customer = p.customer AND s.kind = %s
				AND s.snapshot_date BETWEEN p.oldest AND p.day""",
			[*values, DAILY],
		):
			key, on = (customer, getdate(day)), getdate(on)
			if key not in result or on > result[key].snapshot_date:
				result[key] = HealthOn(score, band, on)
	return result


def daily_history(first: date, last: date, customers: Sequence[str] | None) -> Iterator[tuple[str, list]]:
	"""(customer, [(day, score, band), ...] oldest first) of each customer with Daily snapshots from `first`
	to `last`, one customer at a time. Raw SQL: frappe.db.sql is the one read that streams from an
	unbuffered cursor (the caller opens it). One row per customer, its history folded into one text by the
	server and read from `customer_history_index` alone: a row per snapshot cost pymysql about 6
	microseconds each, 1.1 s of the Play Effectiveness report's 1.7 s at 100,000 customers
	(BENCHMARKS.md, benchmark 9); the text costs a third of that to read and split."""
	condition = " AND customer IN %(customers)s" if customers is not None else ""
	# A year of history is about 7 KB per customer; the server's default (1 MB) would do, but a cut text
	# must never pass for a shorter history, hence the limit raised and checked.
	frappe.db.sql("SET SESSION group_concat_max_len = %(limit)s", {"limit": HISTORY_TEXT_LIMIT})
	rows = frappe.db.sql(
		f"""SELECT customer, COUNT(*), GROUP_CONCAT(TO_DAYS(snapshot_date), ' ', IFNULL(score, ''), ' ',
			IFNULL(band, '') ORDER BY snapshot_date SEPARATOR '|')
		FROM `tabCustomer Health Snapshot`
		WHERE kind = %(daily)s AND snapshot_date BETWEEN %(first)s AND %(last)s {condition}
		GROUP BY customer ORDER BY customer""",
		{"first": first, "last": last, "daily": DAILY, "customers": tuple(customers or ()) or ("",)},
		as_iterator=True,
		as_list=True,
	)
	for customer, count, text in rows:
		entries = text.split("|")
		# A text the server cut is exactly as long as the limit (the text is ASCII: days, scores, bands).
		if len(text) >= HISTORY_TEXT_LIMIT or len(entries) != count:
			raise ValueError(f"the history of {customer} was cut: {len(entries)} of {count} snapshots")
		yield customer, [_history_entry(entry) for entry in entries]


def _history_entry(entry: str) -> tuple[date, float | None, str | None]:
	day, score, band = entry.split(" ", 2)
	return date.fromordinal(int(day) - TO_DAYS_OFFSET), float(score) if score else None, band or None


def daily_band_counts(from_date, to_date, customers: Sequence[str] | None) -> list:
	"""One row per day with Daily snapshots in [from_date, to_date] of enabled customers (of `customers`):
	the average score over the banded ones and the customers per band."""
	condition, params = customer_filter("customer", customers)
	# The customers we have now: a disabled customer's snapshots drop out of every day of the trend.
	condition += enabled_customer_condition("customer")
	return frappe.db.sql(
		f"""
		SELECT snapshot_date,
			AVG(IF(band IN %(banded)s, score, NULL)) AS average_score,
			SUM(band = 'Healthy') AS healthy, SUM(band = 'At Risk') AS at_risk,
			SUM(band = 'Critical') AS critical, COUNT(*) AS customers
		FROM `tabCustomer Health Snapshot`
		WHERE kind = %(daily)s AND snapshot_date BETWEEN %(from_date)s AND %(to_date)s {condition}
		GROUP BY snapshot_date ORDER BY snapshot_date
		""",
		{"from_date": from_date, "to_date": to_date, "banded": BAND_ORDER, "daily": DAILY, **params},
		as_dict=True,
	)


# Score validation -------------------------------------------------------------------------------------
# Its reads, over the validation index (snapshot_date, kind, active_in_ledger, band, ...): BENCHMARKS.md,
# benchmark 7. `where` and `params` come from observation_condition.

CHURNED_WITHIN = (
	"(s.churned_on IS NOT NULL AND s.churned_on <= DATE_ADD(s.snapshot_date, INTERVAL %(horizon)s DAY))"
)


def observation_condition(
	dates: list[date], horizon: int, segment=None, scorecard: str | None = None
) -> tuple[str, dict]:
	"""WHERE clause (over the snapshot table as `s`) and parameters of the observations on these dates: the
	Daily snapshots of customers active in the ledger that day, with a band other than No Data; of one
	scorecard, of some customers."""
	conditions = [
		"s.snapshot_date IN %(dates)s",
		"s.kind = %(daily)s",
		"s.active_in_ledger = 1",
		"s.band != %(no_data)s",
	]
	params = {"dates": tuple(dates), "no_data": NO_DATA, "daily": DAILY, "horizon": int(horizon)}
	if scorecard:
		conditions.append("s.scorecard = %(scorecard)s")
		params["scorecard"] = scorecard
	if segment is not None:
		conditions.append("s.customer IN %(segment)s")
		params["segment"] = tuple(segment) or ("",)
	return " AND ".join(conditions), params


def observation_histogram(where: str, params: dict) -> list[tuple[str, float, bool, int]]:
	"""(band, score, churned within the horizon, observations) of the observations."""
	return [
		(band, float(score or 0), bool(churned), int(count))
		for band, score, churned, count in frappe.db.sql(
			f"""SELECT s.band, s.score, {CHURNED_WITHIN} AS churned, COUNT(*)
			FROM `tabCustomer Health Snapshot` s WHERE {where}
			GROUP BY s.band, s.score, churned""",
			params,
		)
	]


def observation_distinct_counts(where: str, params: dict, every: int, sample_size: int) -> tuple:
	"""(distinct customers, distinct churn events, the names of the snapshots of one customer in `every`,
	as a comma-separated string). Customers and churn events are told apart by two CRC32s of the name (64
	bits, as Cohort Retention does): a fixed-width key keeps MariaDB's distinct count in memory, where
	100,000 names of up to 140 characters did not (1.0 s against 0.5 s at 100,000 customers x 9 dates)."""
	key = "CRC32(s.customer), CRC32(REVERSE(s.customer))"
	churned_key = f"IF({CHURNED_WITHIN}, CRC32(s.customer), NULL), CRC32(REVERSE(s.customer)), s.churned_on"
	previous = frappe.db.sql("SELECT @@SESSION.group_concat_max_len")[0][0]
	# Room for the sample's names (20 characters and a comma each).
	frappe.db.sql("SET SESSION group_concat_max_len = %s", max(int(previous), 64 * sample_size))
	try:
		return frappe.db.sql(
			f"""SELECT COUNT(DISTINCT {key}), COUNT(DISTINCT {churned_key}),
				GROUP_CONCAT(IF(CRC32(s.customer) %% %(every)s = 0, s.name, NULL))
			FROM `tabCustomer Health Snapshot` s WHERE {where}""",
			{**params, "every": every},
		)[0]
	finally:
		frappe.db.sql("SET SESSION group_concat_max_len = %s", int(previous))


def observations_by_name(names: Sequence[str], horizon: int) -> list[tuple]:
	"""(customer, day, score, band, measure scores JSON, churned within the horizon) of these snapshots."""
	return frappe.db.sql(
		f"""SELECT s.customer, s.snapshot_date, s.score, s.band, s.measure_scores, {CHURNED_WITHIN}
		FROM `tabCustomer Health Snapshot` s WHERE s.name IN %(names)s""",
		{"names": tuple(names) or ("",), "horizon": int(horizon)},
	)


def count_observation_rows(where: str, params: dict) -> int:
	return int(
		frappe.db.sql(f"SELECT COUNT(*) FROM `tabCustomer Health Snapshot` s WHERE {where}", params)[0][0]
	)


def observation_rows(where: str, params: dict):
	"""(customer, day, score, band, measure scores JSON, churned, churned_on) of every observation, streamed
	from the database rather than held twice."""
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
