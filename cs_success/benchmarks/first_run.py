"""Benchmark 8, install on a site with history (benchmark 6's customers): the first run as install starts
it (jobs.first_run: the whole ledger, everyone scored, 12 months back-filled) against the three steps it
replaces, run one after the other from the same empty state (`ledger --rebuild` on an empty ledger, the
first full recompute, `backfill --months 12`)."""

from __future__ import annotations

import os

import frappe

from cs_success.benchmarks.data import LEDGER_PREFIX, OURS, not_at_ledger_scale
from cs_success.benchmarks.harness import peak_rss_mb, timed_commit
from cs_success.benchmarks.revenue_ledger import empty_ledger

# What a first run finds on a site with history: no ledger, no scores, no snapshots of ours.
HEALTH_TABLES = (
	("Customer Health Measure", "parent"),
	("Customer Health", "name"),
	("Customer Health Snapshot", "customer"),
	("Customer Health Change", "customer"),
	("Customer Health Alert", "customer"),
)


def first_run_benchmark(scale: int, months: int = 12) -> dict:
	from cs_success.health.backfill import backfill
	from cs_success.jobs import first_run, refresh_all
	from cs_success.ledger.build import rebuild_all

	if skipped := not_at_ledger_scale(scale):
		figures = {"skipped": skipped}
		print(f"8. first run at {scale}: skipped", figures)
		return figures

	load_before = os.getloadavg()
	as_if_new()
	steps = {
		"ledger_rebuild_s": timed_commit(lambda: rebuild_all(1)),
		"first_recompute_s": timed_commit(lambda: refresh_all(raise_alerts=False)),
		"backfill_s": timed_commit(lambda: backfill(months)),
	}
	separate = sum(steps.values())
	as_if_new()
	done = {}
	whole = timed_commit(lambda: done.update(first_run(months)))
	figures = {
		"customers": scale,
		"backfill_months": months,
		**steps,
		"separate_steps_s": separate,
		"first_run_s": whole,
		"first_run_to_separate_steps": whole / separate,
		"first_run_did": done,
		"peak_rss_mb": peak_rss_mb(),
		"load_average_before": load_before,
		"load_average_after": os.getloadavg(),
	}
	print(f"8. first run at {scale}", figures)
	return figures


def as_if_new() -> None:
	"""The state install meets: the benchmark's documents, and nothing of ours about them."""
	empty_ledger()
	for table, column in HEALTH_TABLES:
		frappe.db.sql(f"DELETE FROM `tab{table}` WHERE `{column}` {OURS}", f"{LEDGER_PREFIX}%")
	frappe.db.commit()
