"""Benchmark 9, the Play Effectiveness report over daily health history (data.grow_effectiveness_to: `scale`
customers with a Daily snapshot each day of the span, 5 % of them with a run of one of three plays; the span
is a year, EFFECT_DAYS at the scales where a year of everyone's snapshots is too heavy to generate): filling
the stored band outcomes, the plays' reached sums and the runs' facts from nothing (what the first daily
run after install does), the daily run's step (the start days whose windows passed), at 10,000 recomputing
the last 120 start days (would a daily refresh of them be cheap?), then the report over the last 12 months
from the stored rows, and at 10,000 the full computation it replaces, on the same data, with their figures
compared."""

from __future__ import annotations

import os
from datetime import timedelta

import frappe
from frappe.utils import add_months, getdate, today

from cs_success.benchmarks.data import EFFECT_PREFIX, count_customers
from cs_success.benchmarks.harness import median_of, peak_rss_mb, timed_commit

# Start days a daily refresh would recompute: those whose 90-day window passed within the last month and
# those whose 30-day window has passed but not the 90-day one.
REFRESH_DAYS = 120
# Days of daily history generated per scale (data.grow_effectiveness_to), a year unless said here: a year at
# 100,000 customers is 36 million snapshot rows (11 GB, over an hour to generate on the 2-core machine), so
# 100,000 gets 120 days (12 million). Its runs start within those days: a third of the report's measured
# start days are final (90 days passed), the rest are computed on the fly, as the last 90 days of a year are.
EFFECT_DAYS = {100_000: 120}
# The full computation is timed at these scales only (it streams every snapshot of the year: minutes at
# 100,000).
FULL_COMPUTATION_UP_TO = 10_000


def effect_days(scale: int) -> int:
	return EFFECT_DAYS.get(scale, 365)


def play_effectiveness(scale: int, runs: int = 3, full_runs: int = 1) -> dict:
	"""`runs` timed reports from the stored rows, `full_runs` of the full computation (up to
	FULL_COMPUTATION_UP_TO customers)."""
	from cs_success.cs_success.report.play_effectiveness.play_effectiveness import report_as_of
	from cs_success.engine.play_effectiveness import day_final, plan, reach_key
	from cs_success.health import band_outcomes
	from cs_success.playbooks.effectiveness import load_runs

	ours = count_customers(f"{EFFECT_PREFIX}%")
	if ours != scale:
		figures = {"skipped": f"the site has {ours} of the benchmark's customers"}
		print(f"9. play effectiveness at {scale}: skipped", figures)
		return figures

	on = getdate(today())
	filters = {"from_date": add_months(on, -12), "to_date": on}
	load_before = os.getloadavg()
	band_outcomes.forget()
	frappe.db.commit()
	fill_s = timed_commit(lambda: band_outcomes.fill_due(on))
	stored_rows = frappe.db.count("Health Band Outcome")
	reached_rows = frappe.db.count("Play Band Outcome")
	run_facts = frappe.db.count("Play Run", {"effect_day": ("is", "set")})
	# The daily run's step: the start days whose 30 and 90 days passed yesterday (the latter's plays' reached
	# sums and runs' facts too), as it finds them.
	band_outcomes.forget_days([on - timedelta(days=31), on - timedelta(days=91)])
	frappe.db.commit()
	daily_days = {}
	daily_s = timed_commit(lambda: daily_days.update(days=band_outcomes.fill_due(on)))
	refresh_s = None
	if scale <= FULL_COMPUTATION_UP_TO:
		refresh = [on - timedelta(days=offset) for offset in range(31, 31 + REFRESH_DAYS)]
		refresh_s = timed_commit(lambda: band_outcomes.fill(refresh, on))

	from_date, to_date = getdate(filters["from_date"]), getdate(filters["to_date"])
	nearby = load_runs(from_date - timedelta(days=90), to_date + timedelta(days=90), None, None, True)
	nearby_starts = [(run.play, run.customer, run.start_day) for run in nearby]
	in_range = [run for run in nearby if from_date <= run.start_day <= to_date]
	planned = plan(in_range, nearby_starts, on)
	pool_s = median_of(lambda: band_outcomes.pool(planned.days, on), runs)
	keys = {pair: reach_key(customers) for pair, customers in planned.excluded.items()}
	reached = band_outcomes.stored_reached(keys, on)
	needed = plan(in_range, nearby_starts, on, reached=reached).needed

	stored = report_as_of(filters, on)
	report_s = median_of(lambda: report_as_of(filters, on), runs)
	full = full_s = None
	if scale <= FULL_COMPUTATION_UP_TO and full_runs:
		full = report_as_of(filters, on, stored=False)
		full_s = median_of(lambda: report_as_of(filters, on, stored=False), full_runs)
	figures = {
		"customers": scale,
		"history_days": effect_days(scale),
		"site_customers": frappe.db.count("Customer"),
		"snapshots": frappe.db.count("Customer Health Snapshot", {"kind": "Daily"}),
		"runs_in_range": len(in_range),
		"runs_measured": len(planned.measured),
		"runs_of_final_days": sum(day_final(run.start_day, on) for run in planned.measured),
		"start_days": len(planned.days),
		"play_days": len(planned.excluded),
		"play_days_stored": len(reached),
		"customers_read_one_by_one": len(needed),
		"customer_days_one_by_one": sum(len(days) for days in needed.values()),
		"fill_from_nothing_s": fill_s,
		"stored_rows": stored_rows,
		"reached_rows": reached_rows,
		"runs_with_facts": run_facts,
		"daily_step_days": daily_days.get("days"),
		"daily_step_s": daily_s,
		f"refresh_last_{REFRESH_DAYS}_days_s": refresh_s,
		"stored_pool_read_s": pool_s,
		"report_stored_median_s": report_s,
		"report_full_computation_s": full_s,
		"speed_up": full_s / report_s if full_s and report_s else None,
		"identical_figures": None if full is None else stored == full,
		"runs": runs,
		"full_runs": full_runs if full is not None else 0,
		"peak_rss_mb": peak_rss_mb(),
		"load_average_before": load_before,
		"load_average_after": os.getloadavg(),
	}
	print(f"9. play effectiveness at {scale}", figures)
	return figures
