# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

"""Does a play work? Per play: runs started and closed, how long closing took, the outcomes people
recorded, and 30 and 90 days after each start the customer's health change and churn beside those of
customers in the same band that the play did not reach. The reads are cs_success/playbooks/effectiveness.py,
the arithmetic cs_success/engine/play_effectiveness.py."""

from datetime import date

import frappe
from frappe import _
from frappe.utils import add_months, getdate, today

from cs_success.analytics import check_report_range, column, interactive_report, summary
from cs_success.engine.play_effectiveness import LOOKBACK_DAYS, MATCH_DAYS, WINDOWS
from cs_success.ledger_reports import rate_summary
from cs_success.playbooks.effectiveness import effectiveness

# The window the churn difference, the chart and the summary speak of.
HEADLINE_WINDOW = max(WINDOWS)


@interactive_report("Play Effectiveness")
@frappe.read_only()
def execute(filters=None):
	return report_as_of(filters, getdate(today()))


def report_as_of(filters, on: date, stored: bool = True):
	"""The report as of the day `on`: only windows that ended before it count. `stored=False` computes the
	comparisons from every customer's snapshots instead of the stored pool (the reference for tests and the
	benchmark: the figures are the same)."""
	filters = frappe._dict(filters or {})
	to_date = getdate(filters.get("to_date") or on)
	from_date = getdate(filters.get("from_date") or add_months(to_date, -12))
	check_report_range(from_date, to_date)
	plays, overall = effectiveness(from_date, to_date, on, filters.get("play") or None, stored=stored)
	return get_columns(), get_rows(plays), get_message(), get_chart(plays), get_summary(overall)


def get_columns() -> list[dict]:
	columns = [
		column("play", _("Play"), "Link", 200, "Play"),
		column("trigger", _("Trigger"), "Data", 150),
		column("runs_started", _("Runs Started"), "Int", 110),
		column("runs_closed", _("Runs Closed"), "Int", 100),
		column("completion_rate", _("Completion %"), "Percent", 110),
		column("median_days_to_close", _("Median Days to Close"), "Float", 150, precision=1),
		column("saved", _("Saved"), "Int", 80),
		column("churned", _("Churned"), "Int", 80),
		column("no_effect", _("No Effect"), "Int", 90),
	]
	for days in WINDOWS:
		columns += [
			column(f"n_{days}", _("Runs at {0} Days (n)").format(days), "Int", 140),
			column(
				f"health_change_{days}",
				_("Health Change at {0} Days").format(days),
				"Float",
				170,
				precision=1,
			),
			column(
				f"comparison_health_change_{days}",
				_("Comparison Health Change at {0} Days").format(days),
				"Float",
				230,
				precision=1,
			),
			column(f"churn_rate_{days}", _("Churn % at {0} Days").format(days), "Percent", 140),
			column(
				f"comparison_churn_rate_{days}",
				_("Comparison Churn % at {0} Days").format(days),
				"Percent",
				200,
			),
		]
	columns.append(
		column(
			f"churn_difference_{HEADLINE_WINDOW}",
			_("Churn Difference at {0} Days (Points)").format(HEADLINE_WINDOW),
			"Float",
			220,
			precision=1,
		)
	)
	return columns


def _round(value, digits: int = 2):
	return None if value is None else round(value, digits)


def get_rows(plays) -> list[dict]:
	triggers = dict(
		frappe.get_all(
			"Play",
			filters={"name": ("in", [p.play for p in plays] or [""])},
			fields=["name", "trigger"],
			as_list=True,
		)
	)
	rows = []
	for figures in plays:
		trigger = triggers.get(figures.play)
		row = {
			"play": figures.play,
			"trigger": _(trigger) if trigger else None,
			"runs_started": figures.started,
			"runs_closed": figures.closed,
			"completion_rate": _round(figures.completion_rate),
			"median_days_to_close": _round(figures.median_days_to_close, 1),
			"saved": figures.outcomes["Saved"],
			"churned": figures.outcomes["Churned"],
			"no_effect": figures.outcomes["No Effect"],
		}
		for days, window in figures.windows.items():
			row.update(
				{
					f"n_{days}": window.n,
					f"health_change_{days}": _round(window.health_change, 1),
					f"comparison_health_change_{days}": _round(window.comparison_health_change, 1),
					f"churn_rate_{days}": _round(window.churn_rate),
					f"comparison_churn_rate_{days}": _round(window.comparison_churn_rate),
				}
			)
		row[f"churn_difference_{HEADLINE_WINDOW}"] = _round(
			figures.windows[HEADLINE_WINDOW].churn_difference, 1
		)
		rows.append(row)
	return rows


def get_message() -> str:
	return _(
		"Comparison: for each run, the customers in the same health band on its start day (Daily snapshot, "
		"at most {0} days old) whom the play did not enrol within {1} days either side, each run weighing the "
		"same. Health change: the score on day 30 or 90 (latest Daily snapshot after the start, at most {0} "
		"days old) minus the score at the start; churn: a Churned event in the revenue ledger within those "
		"days. Only runs whose window has ended count (n)."
	).format(LOOKBACK_DAYS, MATCH_DAYS)


def get_chart(plays) -> dict | None:
	"""Churn at the headline window, each play beside its comparison; plays without both are left out
	(a bar of 0 would read as no churn)."""
	shown = [
		(figures.play, figures.windows[HEADLINE_WINDOW])
		for figures in plays
		if figures.windows[HEADLINE_WINDOW].churn_rate is not None
		and figures.windows[HEADLINE_WINDOW].comparison_churn_rate is not None
	]
	if not shown:
		return None
	return {
		"data": {
			"labels": [play for play, _window in shown],
			"datasets": [
				{"name": _("Play Runs"), "values": [round(window.churn_rate, 2) for _play, window in shown]},
				{
					"name": _("Comparison"),
					"values": [round(window.comparison_churn_rate, 2) for _play, window in shown],
				},
			],
		},
		"type": "bar",
		"title": _("Churn % at {0} Days").format(HEADLINE_WINDOW),
	}


def churn_indicator(window) -> str | None:
	"""Green when fewer of the play's customers churned than of their comparison, red when more."""
	gap = window.churn_difference
	if gap is None or gap == 0:
		return None
	return "Green" if gap < 0 else "Red"


def get_summary(overall) -> list[dict]:
	window = overall.windows[HEADLINE_WINDOW]
	return [
		summary(overall.started, _("Runs Started"), "Int"),
		rate_summary(overall.completion_rate, _("Completion Rate")),
		rate_summary(
			window.churn_rate, _("Churn % at {0} Days").format(HEADLINE_WINDOW), churn_indicator(window)
		),
		rate_summary(
			window.comparison_churn_rate, _("Comparison Churn % at {0} Days").format(HEADLINE_WINDOW)
		),
	]
