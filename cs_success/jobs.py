"""The one pipeline from documents to plays: deferred tasks, then the revenue ledger, then health, then
whoever listens for customers scored (hooks.py `cs_success_customers_scored`: the plays).

Every run goes through here, so the order is written once:
- `drain`: after commit, the customers and tasks our hooks noted (base/queue.py);
- `refresh` / `refresh_all`: a batch, or everyone, each customer isolated when a batch fails;
- `daily`: the scheduler's daily run (renewals settled, plan flags, everyone scored, expansion signals,
  time-based plays);
- `first_run`: install on a site with history and `bench --site S cs-success refresh`: the whole ledger,
  everyone scored, and months of back-filled history, so the first screen shows true figures.

Jobs act as Administrator on purpose (base/isolation.py): whoever's commit enqueued them, a guest's
survey answer as much as an agent's ticket, what they make must not be owned by them or fail for want
of their permissions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import frappe
from frappe.utils import getdate, now_datetime

from cs_success.base.bulk import large_temp_tables
from cs_success.base.isolation import run_as_administrator, transaction_lost
from cs_success.base.queue import DRAIN_BATCH, PENDING_KEY, SCHEDULED_KEY, pop_pending, run_tasks
from cs_success.health import band_outcomes, recompute
from cs_success.health.measure_data import get_customers
from cs_success.ledger import build as ledger

ALL_SAVEPOINT = "cs_success_recompute_all"
BATCH_SAVEPOINT = "cs_success_recompute_batch"
CUSTOMER_SAVEPOINT = "cs_success_recompute_one"
# When a batch fails: batch size for everyone's fallback, and how many customers failing in a row, with
# none scored, mean the fault is not in one customer's data.
ISOLATED_BATCH = 500
SYSTEMIC_AFTER = 10


@run_as_administrator
def drain() -> None:
	"""Deferred tasks, then the pending customers: their ledger, their health, the plays it starts."""
	# Tasks first: a touchpoint they record is then in the recompute that follows.
	run_tasks()
	frappe.cache.delete(frappe.cache.make_key(SCHEDULED_KEY))
	run_tasks()  # any pushed between the last pop and clearing the marker
	while names := pop_pending(DRAIN_BATCH):
		try:
			# A customer that fails on its own is logged and dropped in there (its next event or the
			# daily run tries again), so one bad record cannot hold back its batch for ever.
			refresh(names, with_ledger=True)
		except Exception:
			# Only a lost transaction (deadlock, dropped connection) or a fault in every customer gets
			# here: put the batch back for the next drain rather than lose it, and stop this one.
			frappe.db.rollback()
			frappe.cache.sadd(PENDING_KEY, *names)
			frappe.log_error(title="cs_success: health recompute failed")
			return
		_commit()


def refresh(names: Sequence[str], with_ledger: bool = False, **kwargs) -> int:
	"""Refresh a batch (its ledger first when documents changed, then its health); if that fails with an ordinary error, again one customer at a time, each in
	its own savepoint. A customer that still fails is logged (reference Customer) and skipped, the
	rest are saved. Returns how many were scored.

	Raises, with the batch rolled back, when the error is not one customer's: a lost transaction
	(deadlock, dropped connection), or the first SYSTEMIC_AFTER customers all failing (a broken
	scorecard or a bug would otherwise log every customer one by one)."""

	def refresh_batch(batch) -> int:
		# Documents changed: the ledger first, since health reads standing and MRR from it.
		if with_ledger:
			ledger.rebuild_customers(batch)
		return recompute.recompute_customers(batch, **kwargs)

	frappe.db.savepoint(BATCH_SAVEPOINT)
	try:
		return refresh_batch(names)
	except Exception as error:
		if transaction_lost(error):
			raise
		frappe.db.rollback(save_point=BATCH_SAVEPOINT)

	scored, failed = 0, []
	for name in sorted(set(names)):
		frappe.db.savepoint(CUSTOMER_SAVEPOINT)
		try:
			scored += refresh_batch([name])
		except Exception as error:
			if transaction_lost(error):
				raise
			frappe.db.rollback(save_point=CUSTOMER_SAVEPOINT)
			failed.append((name, frappe.get_traceback(with_context=True)))
			if not scored and len(failed) >= SYSTEMIC_AFTER:
				frappe.db.rollback(save_point=BATCH_SAVEPOINT)
				raise
	for name, traceback in failed:
		frappe.log_error(
			title=f"cs_success: health recompute failed for {name}",
			message=traceback,
			reference_doctype="Customer",
			reference_name=name,
		)
	return scored


@run_as_administrator
def refresh_all(**kwargs) -> int:
	"""Everyone scored: values drift with time (days to renewal, overdue status set by raw updates).

	One set-based pass for everyone; if that fails with an ordinary error, batches with each customer
	isolated (refresh), so one customer's bad data cannot leave everyone unscored."""
	with large_temp_tables():
		frappe.db.savepoint(ALL_SAVEPOINT)
		try:
			return recompute.recompute_customers(None, publish=False, **kwargs)
		except Exception as error:
			if transaction_lost(error):
				raise
			frappe.db.rollback(save_point=ALL_SAVEPOINT)
	names = [row.name for row in get_customers(None, getdate(now_datetime()))]
	scored = 0
	for start in range(0, len(names), ISOLATED_BATCH):
		scored += refresh(names[start : start + ISOLATED_BATCH], publish=False, **kwargs)
		if not frappe.flags.in_test:
			frappe.db.commit()  # keep what is done, as the drain does after each batch
	return scored


# A site with history: the first run builds the ledger, scores everyone and back-fills this many months.
FIRST_RUN_BACKFILL_MONTHS = 12
# Up to this many customers install runs it inline (seconds); above, in a background job with progress.
INLINE_FIRST_RUN_LIMIT = 2000
FIRST_RUN_PROGRESS_KEY = "cs_success:first_run"


def start_first_run(backfill_months: int = FIRST_RUN_BACKFILL_MONTHS, since: date | None = None) -> bool:
	"""Install's step on a site with history: the first run inline for a small site, else queued on the
	long queue (after the install commits) with its progress shown in the workspace. True when queued."""
	customers = frappe.db.count("Customer", {"disabled": 0})
	if customers <= INLINE_FIRST_RUN_LIMIT:
		first_run(backfill_months, since)
		return False
	_set_progress("queued", 0, customers)
	frappe.enqueue(
		"cs_success.jobs.first_run",
		queue="long",
		timeout=4 * 3600,
		job_id="cs_success:first_run",
		deduplicate=True,
		enqueue_after_commit=True,
		now=frappe.flags.in_test,
		backfill_months=backfill_months,
		since=since,
	)
	return True


@run_as_administrator
def first_run(backfill_months: int = FIRST_RUN_BACKFILL_MONTHS, since: date | str | None = None) -> dict:
	"""Everything a site with history needs before its first screen is true: the whole revenue ledger from
	the documents, everyone scored, and back-filled monthly history (the past `backfill_months` month
	starts, or every one from `since`), so reports, bands and the score validation show real figures.

	No alerts and no plays: nothing *entered* a band, it is the first look (the daily run takes over).
	Progress is kept for the workspace (`first_run_progress`). Returns what it did."""
	since = getdate(since) if since else None
	customers = frappe.db.count("Customer", {"disabled": 0})
	done = {}
	with large_temp_tables():
		try:
			_set_progress("ledger", 0, customers)
			done["ledger_customers"] = ledger.rebuild_all()
			# A new ledger may move any churn event: every stored band outcome goes (the daily run refills them).
			band_outcomes.forget()
			_commit()
			_set_progress("scores", 0, customers)
			done["scored"] = refresh_all(raise_alerts=False)
			_commit()
			_set_progress("history", 0, customers)
			from cs_success.health.backfill import backfill

			written = backfill(
				backfill_months,
				since=since,
				progress=lambda step, steps: _set_progress(
					"history", round(customers * step / steps), customers
				),
			)
			done["history_months"] = len(written)
			done["snapshots"] = sum(written.values())
			_commit()
			# The history is there: learn churn risk from it (each model says whether it beats chance).
			from cs_success.risk.refit import refit_all

			done["risk_models"] = refit_all()
			_commit()
			# And expansion: the propensity learned, everyone's signals evaluated.
			from cs_success.growth.refit import refit_propensity

			done["expansion_model"] = refit_propensity()
			_commit()
		except Exception:
			_set_progress("failed", 0, customers)
			raise
	_set_progress("done", customers, customers)
	return done


def first_run_progress() -> dict | None:
	"""Where the first run is: {"stage": queued | ledger | scores | history | done | failed, "done", "total"};
	None when none ran on this site since the cache was last cleared."""
	return frappe.cache.get_value(FIRST_RUN_PROGRESS_KEY)


def _set_progress(stage: str, done: int, total: int) -> None:
	# In the cache, not the database: the job's transaction is open, and the workspace polls it.
	frappe.cache.set_value(
		FIRST_RUN_PROGRESS_KEY, {"stage": stage, "done": done, "total": total}, expires_in_sec=7 * 86400
	)


BAND_OUTCOMES_JOB = "cs_success:band_outcomes"


@run_as_administrator
def daily() -> None:
	"""The scheduler's daily run, in the pipeline's order: the ledger settles renewals that came due, plans
	flag overdue tasks, everyone is scored (values drift with time), then the time-based plays, then the
	band outcomes of the start days whose windows passed, and the plays' reached sums and the runs' facts
	of the days that became final (health/band_outcomes.py)."""
	from cs_success.growth.signals import evaluate_all
	from cs_success.ledger.build import settle_pending_renewals
	from cs_success.playbooks.evaluation import run_daily
	from cs_success.success_plans.planning import refresh_overdue_flags

	# Site-wide reads of a large site group more rows than fit MariaDB's default in-memory temporary table.
	with large_temp_tables():
		settle_pending_renewals()
		refresh_overdue_flags()
		_commit()
		refresh_all()
		_commit()
		# Room to grow, read by the plays' Expansion Signal trigger.
		evaluate_all()
		_commit()
		run_daily()
	# Last: what followed each start day whose window passed, for Play Effectiveness, once the day's renewals
	# have settled (a churn they record counts in it). A job of its own: after install or a back-fill it
	# computes a year of start days from every customer's snapshots (minutes at 100,000 customers,
	# BENCHMARKS.md benchmark 9), which must not eat into this run's time limit.
	frappe.enqueue(
		"cs_success.health.band_outcomes.fill_due",
		queue="long",
		timeout=4 * 3600,
		job_id=BAND_OUTCOMES_JOB,
		deduplicate=not frappe.flags.in_test,
		enqueue_after_commit=True,
		now=frappe.flags.in_test,
	)
	_commit()


def _commit() -> None:
	if not frappe.flags.in_test:
		frappe.db.commit()
