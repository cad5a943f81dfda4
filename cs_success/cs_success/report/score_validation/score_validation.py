# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

"""Is the health score any good? The stored scores of past month starts against the churn that
followed within the horizon: a verdict first, then AUC, worst-decile lift, churn per band, the
At Risk or worse alarm, calibration by score decile and each measure's own AUC."""

import frappe
from frappe import _
from frappe.utils import add_months, cint, getdate, today

from cs_success.analytics import check_report_range, column, interactive_report, summary
from cs_success.base.permissions import segment_customers
from cs_success.engine import validation as v
from cs_success.engine.health_score import AT_RISK, BAND_ORDER, CRITICAL
from cs_success.health.config import measure_label
from cs_success.health.score_validation import (
	DEFAULT_HORIZON,
	HORIZONS,
	count_observations,
	load_sample,
	observation_dates,
)

ALARM_BANDS = frozenset((AT_RISK, CRITICAL))
MIN_CUSTOMERS = 100
MIN_EVENTS = 10


@interactive_report("Score Validation")
@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	horizon = cint(filters.get("horizon")) or DEFAULT_HORIZON
	if horizon not in HORIZONS:
		frappe.throw(_("The horizon must be one of {0} days.").format(", ".join(map(str, HORIZONS))))
	to_date = getdate(filters.get("to_date") or today())
	from_date = getdate(filters.get("from_date") or add_months(to_date, -12))
	check_report_range(from_date, to_date)
	dates = observation_dates(from_date, to_date, horizon, today())
	figures = validation_figures(dates, horizon, segment_customers(filters), filters.get("scorecard") or None)
	return (
		get_columns(),
		get_rows(figures),
		get_message(figures, horizon),
		get_chart(figures),
		get_summary(figures),
	)


def validation_figures(dates, horizon: int, segment=None, scorecard: str | None = None) -> frappe._dict:
	"""Every figure of the report: from the counted observations, and each measure's AUC from their
	measure scores (a sample of customers on a large site: health/score_validation.py)."""
	counts = count_observations(dates, horizon, segment, scorecard)
	return compute_figures(counts, load_sample(counts, horizon), horizon)


def compute_figures(counts, sample, horizon: int) -> frappe._dict:
	by_score, by_band = {}, {}
	for band, score, churned, count in counts.histogram:
		total, lost = by_score.get(score, (0, 0))
		by_score[score] = (total + count, lost + count * churned)
		total, lost = by_band.get(band, (0, 0))
		by_band[band] = (total + count, lost + count * churned)
	scores = sorted(by_score)
	values, flags = v.spread_counts(
		scores, [by_score[s][0] for s in scores], [by_score[s][1] for s in scores]
	)
	observations = int(values.size)
	auc = v.auc(values, flags) if observations else None
	precision, recall = v.alarm_precision_recall_counts(by_band, ALARM_BANDS)
	return frappe._dict(
		horizon=horizon,
		dates=counts.dates,
		observations=observations,
		churned_observations=int(flags.sum()),
		customers=counts.customers,
		churn_events=counts.churn_events,
		auc=auc,
		lift=v.worst_decile_lift(values, flags) if observations else None,
		verdict=v.verdict(auc, counts.customers, counts.churn_events, MIN_CUSTOMERS, MIN_EVENTS),
		bands=v.band_rows(by_band, BAND_ORDER) if observations else [],
		precision=precision,
		recall=recall,
		calibration=v.calibration(values, flags) if observations else [],
		measures=v.per_measure_auc(sample.observations),
		measures_sampled=len(sample.observations) < observations,
		measure_customers=sample.customers,
		sample_observations=len(sample.observations),
	)


def verdict_text(figures) -> str:
	verdict = figures.verdict
	if verdict.code == v.INSUFFICIENT_DATA:
		return _("Too little history to tell: {0} customers, {1} churn events (needs {2} and {3})").format(
			figures.customers, figures.churn_events, MIN_CUSTOMERS, MIN_EVENTS
		)
	auc = f"{verdict.auc:.2f}"
	texts = {
		v.STRONG: _("Predicts churn well (AUC {0} at {1} days)"),
		v.USEFUL: _("Useful: predicts churn better than chance (AUC {0} at {1} days)"),
		v.WEAK: _("Weak: predicts churn only a little better than chance (AUC {0} at {1} days)"),
		v.CHANCE: _("No better than chance: do not act on it yet (AUC {0} at {1} days)"),
	}
	return texts[verdict.code].format(auc, figures.horizon)


def verdict_label(code: str) -> str:
	"""The verdict in a few words, for the summary card (the full line heads the report)."""
	return {
		v.INSUFFICIENT_DATA: _("Too little history"),
		v.STRONG: _("Predicts churn well"),
		v.USEFUL: _("Useful"),
		v.WEAK: _("Weak"),
		v.CHANCE: _("No better than chance"),
	}[code]


def verdict_indicator(code: str) -> str | None:
	"""Green only for a score that predicts; nothing coloured when there is too little data."""
	return {v.STRONG: "Green", v.USEFUL: "Green", v.WEAK: "Orange", v.CHANCE: "Red"}.get(code)


DIRECTIONS = {
	v.PREDICTS_CHURN: lambda: _("Predicts churn (low score, more churn)"),
	v.NO_SIGNAL: lambda: _("No signal"),
	v.INVERTED: lambda: _("Inverted (low score, less churn)"),
}


def get_columns() -> list[dict]:
	return [
		column("section", _("Section"), "Data", 170),
		column("item", _("Item"), "Data", 260),
		column("customers", _("Observations"), "Int", 110),
		column("churned", _("Churned"), "Int", 90),
		column("churn_rate", _("Churn %"), "Percent", 90),
		column("auc", _("AUC"), "Float", 80, precision=3),
		column("direction", _("Direction"), "Data", 260),
	]


def _rate(value):
	return None if value is None else round(value, 2)


def get_rows(figures) -> list[dict]:
	rows = [{"section": _("Verdict"), "item": verdict_text(figures)}]
	if not figures.observations:
		return rows
	rows.append(
		{
			"section": _("Overall"),
			"item": _("All observations"),
			"customers": figures.observations,
			"churned": figures.churned_observations,
			"churn_rate": _rate(100.0 * figures.churned_observations / figures.observations),
			"auc": figures.auc,
		}
	)
	for band in figures.bands:
		rows.append(
			{
				"section": _("Churn by band"),
				"item": _(band.band),
				"customers": band.customers,
				"churned": band.churned,
				"churn_rate": _rate(band.churn_rate),
			}
		)
	for row in figures.calibration:
		rows.append(
			{
				"section": _("Score decile"),
				"item": _("{0}: scores {1} to {2}").format(row.decile, f"{row.low:g}", f"{row.high:g}"),
				"customers": row.customers,
				"churned": row.churned,
				"churn_rate": _rate(row.churn_rate),
			}
		)
	for row in figures.measures:
		rows.append(
			{
				"section": _("Measure"),
				"item": _(measure_label(row.key)),
				"customers": row.n,
				"auc": row.auc,
				"direction": DIRECTIONS[row.direction]() if row.direction else None,
			}
		)
	return rows


def get_chart(figures) -> dict | None:
	if not figures.calibration:
		return None
	return {
		"data": {
			"labels": [str(row.decile) for row in figures.calibration],
			"datasets": [
				{
					"name": _("Churn % by score decile"),
					"values": [round(row.churn_rate, 2) for row in figures.calibration],
				}
			],
		},
		"type": "bar",
		"colors": ["#e03131"],
	}


def get_summary(figures) -> list[dict]:
	"""Empty, and uncoloured, where there is nothing to compute: never 0 and never green."""
	enough = figures.verdict.code != v.INSUFFICIENT_DATA
	return [
		summary(
			verdict_label(figures.verdict.code), _("Verdict"), "Data", verdict_indicator(figures.verdict.code)
		),
		summary(
			round(figures.auc, 3) if figures.auc is not None else None,
			_("AUC at {0} days").format(figures.horizon),
			"Float",
			verdict_indicator(figures.verdict.code) if enough else None,
		),
		summary(
			round(figures.lift, 2) if figures.lift is not None else None,
			_("Worst-decile lift"),
			"Float",
			precision=2,
		),
		summary(_rate(figures.precision), _("Precision of At Risk or worse"), "Percent"),
		summary(_rate(figures.recall), _("Recall of At Risk or worse"), "Percent"),
		summary(figures.customers or None, _("Customers observed"), "Int"),
		summary(figures.churn_events or None, _("Churn events"), "Int"),
	]


def get_message(figures, horizon: int) -> str:
	dates = figures.dates
	span = (
		_("{0} observation dates, {1} to {2}").format(len(dates), dates[0], dates[-1])
		if dates
		else _("no observation date whose {0} days have passed").format(horizon)
	)
	return "<b>{}</b><br>{}{}".format(
		frappe.utils.escape_html(verdict_text(figures)),
		frappe.utils.escape_html(
			_(
				"Observations: on each month start ({0}), every customer active that day (revenue ledger) with a "
				"health snapshot of that day (recorded, or back-filled); churned: a churn event within the next {1} "
				"days. AUC: the chance that a customer who churned had a lower score than one who stayed (0.5 is "
				"chance, 0.7 useful, 0.8 strong). Lift: churn rate of the worst 10 % of scores over the overall "
				"churn rate."
			).format(span, horizon)
		),
		sample_note(figures),
	)


def sample_note(figures) -> str:
	"""On a large site each measure's AUC comes from a sample of customers: say so, with its size."""
	if not figures.measures_sampled:
		return ""
	return "<br>" + frappe.utils.escape_html(
		_(
			"Each measure's own AUC is computed on a sample of {0} customers ({1} observations of {2}), "
			"the same customers every time; every other figure counts all observations."
		).format(figures.measure_customers, figures.sample_observations, figures.observations)
	)
