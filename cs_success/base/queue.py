"""Coalesced, deduplicated work after commit: customers to refresh and the small tasks hooks defer.

Hooks add customers to a per-transaction set, and tasks (a touchpoint for a ticket...) to a
per-transaction list. After commit both go to Redis in one round trip, a set of pending customers and
a list of tasks, and one drain job (cs_success/jobs.py) is scheduled unless one already is. The drain clears its
"scheduled" marker BEFORE its last pops, so work that arrives while a drain runs either gets popped
by that drain or schedules a new one: nothing is lost, a burst of events for one customer costs one
recompute, and a saved ticket costs no job of its own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

import frappe

from cs_success.base.isolation import run_isolated

PENDING_KEY = "cs_success:health:pending"
TASKS_KEY = "cs_success:tasks"
SCHEDULED_KEY = "cs_success:health:drain_scheduled"
# A scheduled marker outlives a lost job by at most this long; the hourly drain picks up its work.
SCHEDULED_TTL_SECONDS = 600
DRAIN_BATCH = 500
TASK_BATCH = 100


def queue_recompute(customers: Iterable[str | None]) -> None:
	names = {name for name in customers if name}
	if not names:
		return
	if frappe.flags.cs_health_pending is None:
		_start_transaction()
		frappe.flags.cs_health_pending = set()
	frappe.flags.cs_health_pending.update(names)


def queue_task(method: str, **kwargs) -> None:
	"""Run `method(**kwargs)` in the drain job after this transaction commits (dropped on rollback).
	Only cs_success functions, with JSON-serialisable arguments."""
	if not method.startswith("cs_success."):
		raise ValueError(method)
	if frappe.flags.cs_deferred_tasks is None:
		_start_transaction()
		frappe.flags.cs_deferred_tasks = []
	frappe.flags.cs_deferred_tasks.append(json.dumps({"method": method, "kwargs": kwargs}, default=str))


def _start_transaction() -> None:
	"""First customer or task of this transaction: one flush after commit serves both."""
	if frappe.flags.cs_health_pending is None and frappe.flags.cs_deferred_tasks is None:
		frappe.db.after_commit.add(flush)
		frappe.db.after_rollback.add(_forget)


def _forget() -> None:
	frappe.flags.cs_health_pending = None
	frappe.flags.cs_deferred_tasks = None


def flush() -> None:
	"""Hand this transaction's customers and tasks to the drain job. Runs after commit; never raises."""
	names, tasks = frappe.flags.cs_health_pending, frappe.flags.cs_deferred_tasks
	_forget()
	if not names and not tasks:
		return
	try:
		pipeline = frappe.cache.pipeline()
		if names:
			pipeline.sadd(frappe.cache.make_key(PENDING_KEY), *names)
		if tasks:
			pipeline.rpush(frappe.cache.make_key(TASKS_KEY), *tasks)
		pipeline.set(frappe.cache.make_key(SCHEDULED_KEY), 1, nx=True, ex=SCHEDULED_TTL_SECONDS)
		if pipeline.execute()[-1]:
			frappe.enqueue("cs_success.jobs.drain", queue="short", now=frappe.flags.in_test)
	except Exception:
		frappe.log_error(title="cs_success: could not queue health recompute")


def pop_pending(count: int) -> list[str]:
	popped = frappe.cache.execute_command("SPOP", frappe.cache.make_key(PENDING_KEY), count) or []
	return [name.decode() if isinstance(name, bytes) else name for name in popped]


def pop_tasks(count: int) -> list[dict]:
	popped = frappe.cache.execute_command("LPOP", frappe.cache.make_key(TASKS_KEY), count) or []
	return [json.loads(task) for task in popped]


def run_tasks() -> None:
	"""Each task in its own savepoint: one that fails is logged and undone, the others stand."""
	while tasks := pop_tasks(TASK_BATCH):
		for task in tasks:
			run_isolated(
				"cs_success_task",
				lambda task=task: frappe.get_attr(task["method"])(**task["kwargs"]),
				title=f"cs_success: deferred task {task['method']} failed",
			)
		if not frappe.flags.in_test:
			frappe.db.commit()


def enqueue_once_after_commit(method: str, job_id: str) -> None:
	"""Site-wide work (a refit, everyone recomputed) on the long queue: one job however many ask, after the
	commit. Tests run it at once; a job left queued in Redis (no worker on a test bench) must not stop them."""
	frappe.enqueue(
		method,
		queue="long",
		job_id=job_id,
		deduplicate=not frappe.flags.in_test,
		enqueue_after_commit=True,
		now=frappe.flags.in_test,
	)
