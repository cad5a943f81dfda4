"""Coalesced, deduplicated recompute after commit.

Hooks add customers to a per-transaction set. After commit the set goes into a Redis set of pending
customers and one drain job is scheduled. The drain clears its "scheduled" marker BEFORE popping, so
a change that arrives while a drain runs either gets popped by that drain or schedules a new one:
nothing is lost, and a burst of events for one customer costs one recompute.
"""

from __future__ import annotations

from collections.abc import Iterable

import frappe

PENDING_KEY = "cs_success:health:pending"
SCHEDULED_KEY = "cs_success:health:drain_scheduled"
# A scheduled marker outlives a lost job by at most this long; the daily recompute covers the rest.
SCHEDULED_TTL_SECONDS = 600
DRAIN_BATCH = 500


def queue_recompute(customers: Iterable[str | None]) -> None:
	names = {name for name in customers if name}
	if not names:
		return
	pending = frappe.flags.cs_health_pending
	if pending is None:
		pending = frappe.flags.cs_health_pending = set()
		frappe.db.after_commit.add(flush)
		frappe.db.after_rollback.add(_forget)
	pending.update(names)


def _forget() -> None:
	frappe.flags.cs_health_pending = None


def flush() -> None:
	"""Hand this transaction's customers to the drain job. Runs after commit; never raises."""
	names = frappe.flags.cs_health_pending
	frappe.flags.cs_health_pending = None
	if not names:
		return
	try:
		frappe.cache.sadd(PENDING_KEY, *names)
		if frappe.cache.set(frappe.cache.make_key(SCHEDULED_KEY), 1, nx=True, ex=SCHEDULED_TTL_SECONDS):
			frappe.enqueue("cs_success.health.queue.drain", queue="short", now=frappe.flags.in_test)
	except Exception:
		frappe.log_error(title="cs_success: could not queue health recompute")


def pop_pending(count: int) -> list[str]:
	popped = frappe.cache.execute_command("SPOP", frappe.cache.make_key(PENDING_KEY), count) or []
	return [name.decode() if isinstance(name, bytes) else name for name in popped]


def drain() -> None:
	from cs_success.health.recompute import recompute_customers

	frappe.cache.delete(frappe.cache.make_key(SCHEDULED_KEY))
	while names := pop_pending(DRAIN_BATCH):
		try:
			recompute_customers(names)
		except Exception:
			# Put the batch back for the next drain rather than lose it, and stop this one.
			frappe.db.rollback()
			frappe.cache.sadd(PENDING_KEY, *names)
			frappe.log_error(title="cs_success: health recompute failed")
			return
		if not frappe.flags.in_test:
			frappe.db.commit()
