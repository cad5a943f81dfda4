"""Benchmark 2, one customer with a long history: the median time of one customer's recompute with 1,000
tickets and 1,000 invoices, as the events that call it leave things: a ticket changed (the invoices are
as they were, so their values kept for the day are used), an invoice changed (ERPNext settling it, so all
1,000 are read again), and nothing changed."""

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
	ticket = frappe.db.get_value("Issue", {"customer": customer}, "name")
	invoice, outstanding = frappe.db.get_value(
		"Sales Invoice", {"customer": customer}, ["name", "outstanding_amount"]
	)

	def median_after(change) -> float:
		"""Median seconds of the recompute alone, each run after `change` (not timed)."""
		return median_of(lambda: recompute_customers([customer]), runs, before=change)

	figures = {
		"tickets": history,
		"invoices": history,
		"runs": runs,
		# A ticket saved: what calls most recomputes.
		"after_ticket_change_ms": 1000
		* median_after(lambda i: frappe.db.set_value("Issue", ticket, "subject", f"bench ticket {i}")),
		# ERPNext settles an invoice with frappe.db.set_value: its `modified` moves, so every invoice is read.
		"after_invoice_change_ms": 1000
		* median_after(
			lambda i: frappe.db.set_value("Sales Invoice", invoice, "outstanding_amount", outstanding)
		),
		"nothing_changed_ms": 1000 * median_after(lambda i: None),
	}
	figures["median_ms"] = figures["after_ticket_change_ms"]
	frappe.db.rollback()
	print("2. single customer", figures)
	return figures
