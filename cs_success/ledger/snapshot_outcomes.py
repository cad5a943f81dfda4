"""What followed each health snapshot, copied onto it from the revenue ledger: whether the customer was
active on the snapshot's day (`active_in_ledger`) and its first churn after that day (`churned_on`).

The Score Validation counts churn after scores on past days; with the outcome on the snapshot row it is
one grouped read of an index (BENCHMARKS.md, benchmark 7) instead of a lookup in the ledger per customer
and day. The ledger keeps the copies current: a rebuild that changes a customer's spans or events
refreshes that customer's snapshots, and every snapshot written gets them when it is written."""

from collections.abc import Sequence

import frappe

from cs_success.ledger.queries import covers

# SQL for one snapshot row, given the SQL of its customer and its day. Active: a span covers the day (the
# definition in ledger/queries.py).
ACTIVE_ON = """EXISTS (SELECT 1 FROM `tabCustomer Active Span` span WHERE span.customer = {customer}
	AND {covered})"""
NEXT_CHURN = """(SELECT MIN(event.event_date) FROM `tabCustomer Lifecycle Event` event
	WHERE event.customer = {customer} AND event.event_type = 'Churned' AND event.event_date > {day})"""
CHUNK = 1000


def outcome_columns(customer: str, day: str) -> tuple[str, str]:
	"""(active_in_ledger, churned_on) as SQL expressions over the given customer and day expressions."""
	active = ACTIVE_ON.format(customer=customer, covered=covers(day, "span"))
	return active, NEXT_CHURN.format(customer=customer, day=day)


def refresh_snapshot_outcomes(customers: Sequence[str]) -> None:
	"""Recompute the outcome columns of every snapshot of these customers from their ledger rows."""
	customers = sorted(set(customers))
	active, churned = outcome_columns("s.customer", "s.snapshot_date")
	for start in range(0, len(customers), CHUNK):
		frappe.db.sql(
			f"""UPDATE `tabCustomer Health Snapshot` s
			SET s.active_in_ledger = {active}, s.churned_on = {churned}
			WHERE s.customer IN %(customers)s""",
			{"customers": tuple(customers[start : start + CHUNK])},
		)
