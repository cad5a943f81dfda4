"""NPS benchmarks the manager sets per customer group (CS Settings): a group's benchmark applies to the groups
under it unless they have their own. Compared with the NPS of the answers, weighted by the answers' groups
(engine/survey_metrics.py nps_benchmark)."""

from __future__ import annotations

from collections.abc import Sequence

import frappe

from cs_success.engine.survey_metrics import nps_benchmark


def benchmarks_by_group() -> dict[str, float]:
	"""Every customer group -> its benchmark: its own, else its nearest ancestor's; groups without either
	are absent."""
	own = {
		row.customer_group: float(row.benchmark_nps)
		for row in frappe.get_cached_doc("CS Settings").get("nps_benchmarks") or []
	}
	if not own:
		return {}
	groups = frappe.get_all("Customer Group", fields=["name", "lft", "rgt"], order_by="lft asc")
	result = {}
	for group in groups:
		# The nearest ancestor with a benchmark: the one with the greatest lft among those enclosing it.
		enclosing = [g for g in groups if g.lft <= group.lft and g.rgt >= group.rgt and g.name in own]
		if enclosing:
			result[group.name] = own[max(enclosing, key=lambda g: g.lft).name]
	return result


def benchmark_of_answers(customers: Sequence[str]) -> float | None:
	"""The benchmark for NPS answers given by these customers (one entry per answer)."""
	return benchmarks_of_answer_sets({None: customers})[None]


def benchmarks_of_answer_sets(answer_sets: dict) -> dict:
	"""key -> the benchmark of its NPS answers (customers, one entry per answer), in one read."""
	by_group = benchmarks_by_group()
	everyone = {c for customers in answer_sets.values() for c in customers}
	if not by_group or not everyone:
		return dict.fromkeys(answer_sets)
	group_of = dict(
		frappe.db.sql(
			"SELECT name, customer_group FROM `tabCustomer` WHERE name IN %(names)s",
			{"names": tuple(everyone)},
		)
	)
	return {
		key: nps_benchmark([group_of.get(c) for c in customers], by_group)
		for key, customers in answer_sets.items()
	}
