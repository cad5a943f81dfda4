"""The benchmark suite (on demand, never in CI's test run): `bench --site S cs-success benchmark`.

Run it on a throw-away site with ERPNext set up: it bulk-inserts synthetic customers, tickets, invoices,
payments and contracts (named BENCH-...), and removes them at the end. It refuses a site with customers
it did not create unless told `--force`, and matches its prefix case-sensitively ("Bench-Craft Ltd" is
not its own). Every figure is a median of repeated runs and, where the issue asks for it, a ratio
against a baseline measured in the same run.

A module per benchmark, numbered as in BENCHMARKS.md: hook_overhead (1), single_customer (2),
full_recompute (3), report_latency (4), survey_load (5), revenue_ledger (6), score_validation (7),
first_run (8), play_effectiveness (9); the
synthetic data and its cleanup in data.py, timing and child processes in harness.py. This module runs them
in order, collects their figures and cleans up.
"""

from __future__ import annotations

import json

import frappe

from cs_success.benchmarks.data import (
	BENCH_API_USER,
	EFFECT_PREFIX,
	PREFIX,
	bench_api_user,
	bench_customer,
	bench_item,
	cleanup,
	count_customers,
	customers_not_ours,
	grow_effectiveness_to,
	grow_ledger_to,
	grow_to,
	others_than_ledger_customers,
	remove_bench_api_user,
	restore_site_models,
	site_models,
)
from cs_success.benchmarks.first_run import first_run_benchmark
from cs_success.benchmarks.full_recompute import full_recompute
from cs_success.benchmarks.harness import machine
from cs_success.benchmarks.hook_overhead import _request_overhead, hook_overhead
from cs_success.benchmarks.play_effectiveness import effect_days, play_effectiveness
from cs_success.benchmarks.report_latency import report_latency
from cs_success.benchmarks.revenue_ledger import ledger_rebuild
from cs_success.benchmarks.score_validation import score_validation
from cs_success.benchmarks.single_customer import single_customer_recompute
from cs_success.benchmarks.survey_load import survey_load

RESULTS: dict = {}
# The benchmarks by number, as BENCHMARKS.md numbers them (`--skip` takes these).
ALL_BENCHMARKS = frozenset(range(1, 10))


class BenchmarkRefused(frappe.ValidationError):
	pass


def run_all(
	scales: list[int], skip: set[int], output: str | None = None, force: bool = False, keep: bool = False
) -> dict:
	# Before anything is written: the benchmark bulk-inserts and bulk-deletes, which a real site must
	# never see by accident.
	if not force and (others := customers_not_ours()):
		raise BenchmarkRefused(
			frappe._(
				"This site has {0} customers that the benchmark did not create. Run it on a throw-away "
				"site, or use --force to run it anyway (it then removes only records named {1}... at the end)."
			).format(others, PREFIX)
		)
	RESULTS.clear()
	RESULTS["machine"] = machine()
	models = site_models()
	if remove_bench_api_user():
		print(
			frappe._("Removed {0} and its API key, left by an earlier run that did not finish.").format(
				BENCH_API_USER
			)
		)
	try:
		if 1 not in skip:
			RESULTS["1_hook_overhead"] = hook_overhead()
			RESULTS["1_request_overhead"] = request_overhead()
		if 2 not in skip:
			RESULTS["2_single_customer"] = single_customer_recompute()
		if 3 not in skip or 4 not in skip:
			for scale in sorted(scales):
				record(scale, "data_generation_s", grow_to(scale))
				if 3 not in skip:
					record(scale, "3_full_recompute", full_recompute(scale))
				if 4 not in skip:
					record(scale, "4_report_latency", report_latency(scale))
		if not {6, 7, 8} <= skip:
			# The ledger is rebuilt for every customer on the site: benchmark 3's must go first (a ledger
			# benchmark's customers stay, and are grown from where they are).
			if others_than_ledger_customers():
				cleanup()
			# One scale at a time: the ledger customers only grow, and each benchmark measures the scale
			# the site holds (it skips one it does not).
			for scale in sorted(scales):
				record(scale, "ledger_data_generation_s", grow_ledger_to(scale))
				if 6 not in skip:
					record(scale, "6_revenue_ledger", ledger_rebuild(scale))
				if 7 not in skip:
					record(scale, "7_score_validation", score_validation(scale))
				if 8 not in skip:
					record(scale, "8_first_run", first_run_benchmark(scale))
		if 9 not in skip:
			# Its own customers and nobody else's: the report's pool counts every customer on the site.
			if count_customers(f"{PREFIX}%") > count_customers(f"{EFFECT_PREFIX}%"):
				cleanup()
			for scale in sorted(scales):
				record(
					scale, "effectiveness_data_generation_s", grow_effectiveness_to(scale, effect_days(scale))
				)
				record(scale, "9_play_effectiveness", play_effectiveness(scale))
		if 5 not in skip:
			RESULTS["5_survey_load"] = survey_load()
	finally:
		if not keep:
			restore_site_models(models)
			cleanup()  # commits
		elif remove_bench_api_user():
			# The data stays for another run; a System Manager with an API key must not.
			print(
				frappe._("--keep-data: the data stays, but {0} and its API key were removed.").format(
					BENCH_API_USER
				)
			)
	print(json.dumps(RESULTS, indent=1, default=str))
	if output:
		with open(output, "w") as fh:
			json.dump(RESULTS, fh, indent=1, default=str)
	return RESULTS


def record(scale: int, key: str, figures) -> None:
	"""Keep a per-scale figure under RESULTS[key][scale]; None (no data had to be generated) is not kept."""
	if figures is not None:
		RESULTS.setdefault(key, {})[scale] = figures


def request_overhead(runs: int = 100) -> dict:
	"""Benchmark 1 through gunicorn (hook_overhead._request_overhead), as the benchmark's API user, which
	exists only while the requests run. Here rather than in hook_overhead.py because the API user's
	lifetime is the suite's concern (run_all removes one left by a crash, at the start and at the end)."""
	customer = bench_customer("BENCH-HOOKS")
	item = bench_item()
	authorization = bench_api_user()
	try:
		return _request_overhead(runs, customer, item, authorization)
	finally:
		# Only while the requests run: a System Manager with an API key is not left on the site.
		remove_bench_api_user()
