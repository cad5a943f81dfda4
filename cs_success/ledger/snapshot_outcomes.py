"""What followed each health snapshot, copied onto it from the revenue ledger: whether the customer was
active on the snapshot's day (`active_in_ledger`) and its first churn after that day (`churned_on`).

The Score Validation counts churn after scores on past days; with the outcome on the snapshot row it is
one grouped read of an index (BENCHMARKS.md, benchmark 7) instead of a lookup in the ledger per customer
and day. The ledger keeps the copies current: a rebuild that changes a customer's spans or events
refreshes that customer's snapshots, and every snapshot written gets them when it is written."""

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Sequence

import frappe

# SQL for one snapshot row, given the SQL of its customer and its day.
ACTIVE_ON = """EXISTS (SELECT 1 FROM `tabCustomer Active Span` span WHERE span.customer = {customer}
	AND span.from_date <= {day} AND (span.to_date IS NULL OR span.to_date >= {day}))"""
NEXT_CHURN = """(SELECT MIN(event.event_date) FROM `tabCustomer Lifecycle Event` event
	WHERE event.customer = {customer} AND event.event_type = 'Churned' AND event.event_date > {day})"""
CHUNK = 1000


def outcome_columns(customer: str, day: str) -> tuple[str, str]:
	"""(active_in_ledger, churned_on) as SQL expressions over the given customer and day expressions."""
	return ACTIVE_ON.format(customer=customer, day=day), NEXT_CHURN.format(customer=customer, day=day)


def refresh_snapshot_outcomes(customers: Sequence[str]) -> int:
	"""Recompute the outcome columns of every snapshot of these customers from their ledger rows, and write
	only the snapshots whose outcome moved (a rebuild from an empty ledger that produces the same spans and
	events writes none). Read in Python, per chunk: the customers' spans, churn events and snapshots (day
	and outcome only), where correlated subqueries per snapshot took 22 s for 800,000 snapshots.
	Returns how many snapshots were updated."""
	customers = sorted(set(customers))
	updated = 0
	for start in range(0, len(customers), CHUNK):
		chunk = tuple(customers[start : start + CHUNK])
		spans, churns = defaultdict(list), defaultdict(list)
		for customer, from_date, to_date in frappe.db.sql(
			"""SELECT customer, CAST(from_date AS CHAR), CAST(to_date AS CHAR) FROM `tabCustomer Active Span`
			WHERE customer IN %(chunk)s""",
			{"chunk": chunk},
		):
			spans[customer].append((from_date, to_date))
		for customer, day in frappe.db.sql(
			"""SELECT customer, CAST(event_date AS CHAR) FROM `tabCustomer Lifecycle Event`
			WHERE event_type = 'Churned' AND customer IN %(chunk)s ORDER BY event_date""",
			{"chunk": chunk},
		):
			churns[customer].append(day)
		moved = defaultdict(list)
		for name, customer, day, active, churned_on in frappe.db.sql(
			"""SELECT name, customer, CAST(snapshot_date AS CHAR), active_in_ledger, CAST(churned_on AS CHAR)
			FROM `tabCustomer Health Snapshot` WHERE customer IN %(chunk)s""",
			{"chunk": chunk},
		):
			outcome = outcome_on(day, spans.get(customer, ()), churns.get(customer, ()))
			if outcome != (int(active or 0), churned_on):
				moved[outcome].append(name)
		for (active, churned_on), names in moved.items():
			for part in range(0, len(names), CHUNK):
				frappe.db.sql(
					"""UPDATE `tabCustomer Health Snapshot` SET active_in_ledger = %(active)s,
					churned_on = %(churned_on)s WHERE name IN %(names)s""",
					{"active": active, "churned_on": churned_on, "names": tuple(names[part : part + CHUNK])},
				)
			updated += len(names)
	return updated


def outcome_on(day: str, spans, churns: list[str]) -> tuple[int, str | None]:
	"""(active on `day`, the first churn after it) from a customer's spans (from, to or None) and its churn
	dates in order, all ISO text (which orders as the dates do)."""
	active = int(any(start <= day and (end is None or end >= day) for start, end in spans))
	after = bisect_right(churns, day)
	return active, churns[after] if after < len(churns) else None
