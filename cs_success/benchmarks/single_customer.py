"""Benchmark 2, one customer with a long history: the median time of one customer's recompute with 1,000
tickets and 1,000 invoices."""

from __future__ import annotations

import random

import frappe

from cs_success.benchmarks.data import bench_customer, insert_invoices, insert_issues
from cs_success.benchmarks.harness import median_of


def single_customer_recompute(history: int = 1000, runs: int = 20) -> dict:
	from cs_success.health.recompute import recompute_customers

	customer = bench_customer("BENCH-BIG")
	rng = random.Random(2)
	insert_issues([customer], history, rng, prefix="BENCH-BIGI")
	insert_invoices([customer], history, rng, prefix="BENCH-BIGS")
	frappe.db.commit()
	recompute_customers([customer])  # first run creates the record
	frappe.db.commit()
	median = median_of(lambda: recompute_customers([customer]), runs)
	frappe.db.rollback()
	figures = {"tickets": history, "invoices": history, "median_ms": median * 1000, "runs": runs}
	print("2. single customer", figures)
	return figures
