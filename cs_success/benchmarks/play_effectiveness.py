"""Benchmark 9, the Play Effectiveness report over a year of daily health history (data.grow_effectiveness_to:
`scale` customers with a Daily snapshot each day, 5 % of them with a run of one of three plays): filling the
stored band outcomes from nothing (what the first daily run after install does), the daily run's step (the
two start days whose windows passed), recomputing the last 120 start days (would a daily refresh of them be
cheap?), then the report over the last 12 months from the stored pool against the full computation it
replaces, on the same data, with their figures compared."""

from __future__ import annotations

import os
import time
from datetime import timedelta

import frappe
from frappe.utils import add_months, getdate, today

from cs_success.benchmarks.data import EFFECT_PREFIX, count_customers
from cs_success.benchmarks.harness import median_of, peak_rss_mb

# Start days a daily refresh would recompute: those whose 90-day window passed within the last month and
# those whose 30-day window has passed but not the 90-day one.
REFRESH_DAYS = 120


def play_effectiveness(scale: int, runs: int = 3, full_runs: int | None = None) -> dict:
	"""`runs` timed reports from the stored pool, `full_runs` (default: as many) of the full computation."""
	from cs_success.cs_success.report.play_effectiveness.play_effectiveness import report_as_of
	from cs_success.engine.play_effectiveness import plan
	from cs_success.health import band_outcomes
	from cs_success.playbooks.effectiveness import load_runs

	ours = count_customers(f"{EFFECT_PREFIX}%")
	if ours != scale:
		figures = {"skipped": f"the site has {ours} of the benchmark's customers"}
		print(f"9. play effectiveness at {scale}: skipped", figures)
		return figures

	def timed(work) -> float:
		started = time.perf_counter()
		work()
		frappe.db.commit()
		return time.perf_counter() - started

	on = getdate(today())
	filters = {"from_date": add_months(on, -12), "to_date": on}
	load_before = os.getloadavg()
	band_outcomes.forget()
	frappe.db.commit()
	fill_s = timed(lambda: band_outcomes.fill_due(on))
	stored_rows = frappe.db.count("Health Band Outcome")
	# The daily run's step: the start days whose 30 and 90 days passed yesterday, as it finds them.
	band_outcomes.forget_days([on - timedelta(days=31), on - timedelta(days=91)])
	frappe.db.commit()
	daily_days = {}
	daily_s = timed(lambda: daily_days.update(days=band_outcomes.fill_due(on)))
	refresh = [on - timedelta(days=offset) for offset in range(31, 31 + REFRESH_DAYS)]
	refresh_s = timed(lambda: band_outcomes.fill(refresh, on))

	from_date, to_date = getdate(filters["from_date"]), getdate(filters["to_date"])
	nearby = load_runs(from_date - timedelta(days=90), to_date + timedelta(days=90), None, None)
	in_range = [run for run in nearby if from_date <= run.start_day <= to_date]
	planned = plan(in_range, [(run.play, run.customer, run.start_day) for run in nearby], on)
	pool_s = median_of(lambda: band_outcomes.pool(planned.days, on), runs)

	stored = report_as_of(filters, on)
	report_s = median_of(lambda: report_as_of(filters, on), runs)
	full = report_as_of(filters, on, stored=False)
	full_s = median_of(lambda: report_as_of(filters, on, stored=False), full_runs or runs)
	figures = {
		"customers": scale,
		"site_customers": frappe.db.count("Customer"),
		"snapshots": frappe.db.count("Customer Health Snapshot", {"kind": "Daily"}),
		"runs_in_range": len(in_range),
		"start_days": len(planned.days),
		"customers_read_one_by_one": len(planned.needed),
		"customer_days_one_by_one": sum(len(days) for days in planned.needed.values()),
		"fill_from_nothing_s": fill_s,
		"stored_rows": stored_rows,
		"daily_step_days": daily_days.get("days"),
		"daily_step_s": daily_s,
		f"refresh_last_{REFRESH_DAYS}_days_s": refresh_s,
		"stored_pool_read_s": pool_s,
		"report_stored_median_s": report_s,
		"report_full_computation_median_s": full_s,
		"speed_up": full_s / report_s if report_s else None,
		"identical_figures": stored == full,
		"runs": runs,
		"full_runs": full_runs or runs,
		"peak_rss_mb": peak_rss_mb(),
		"load_average_before": load_before,
		"load_average_after": os.getloadavg(),
	}
	print(f"9. play effectiveness at {scale}", figures)
	return figures
