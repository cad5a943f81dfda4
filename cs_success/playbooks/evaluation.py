"""When plays are evaluated (triggers.py says which trigger when): after each recompute batch (the pipeline
in jobs.py calls after_recompute for the customers just scored, through the hook key
`cs_success_customers_scored`) and once a day (run_daily, from the pipeline's daily run). A play that
fails is logged and rolled back alone; it never stops the recompute or the other plays."""

from __future__ import annotations

from datetime import date

import frappe
from frappe.utils import getdate, today

from cs_success.base.isolation import run_as_administrator, run_isolated, run_logged
from cs_success.playbooks import outcomes, runs
from cs_success.playbooks.triggers import AFTER_RECOMPUTE_FINDERS, DAILY_FINDERS, active_plays

PLAY_SAVEPOINT = "cs_success_play"
FAILED_LOG_TITLE = "cs_success: play failed"


def after_recompute(recompute_outcomes, on: date | None = None) -> None:
	"""Start the runs that this batch's new scores and answers call for."""
	if not recompute_outcomes:
		return
	on = getdate(on or today())
	for play in active_plays(tuple(AFTER_RECOMPUTE_FINDERS)):
		_evaluate(play, lambda p=play: AFTER_RECOMPUTE_FINDERS[p.trigger](p, recompute_outcomes, on), on)


@run_as_administrator  # a scheduled job, or "Execute" pressed by a System Manager: it acts as the system
def run_daily(on: date | None = None) -> None:
	"""Daily: time-based triggers for everyone, snoozes that ended, the 90-day outcome checks, the digest
	of held runs."""
	on = getdate(on or today())
	for play in active_plays(tuple(DAILY_FINDERS)):
		_evaluate(play, lambda p=play: DAILY_FINDERS[p.trigger](p, on), on)
		_commit()
	runs.wake_snoozed(on)
	outcomes.check_due(on)
	outcomes.send_digests(on)
	_commit()


def _evaluate(play, find, on: date) -> None:
	"""Find the play's candidates, then start their runs in a savepoint. Finders only read, so they need
	none: most evaluations find nobody, and after a one-customer recompute a savepoint per play is a
	round trip each (BENCHMARKS.md, benchmark 2). Either step that fails is logged under the play."""
	reference = {"title": FAILED_LOG_TITLE, "reference_doctype": "Play", "reference_name": play.name}
	candidates = run_logged(find, **reference)
	if candidates:
		run_isolated(PLAY_SAVEPOINT, lambda: runs.start_runs(play, candidates, on), **reference)


def _commit() -> None:
	if not frappe.flags.in_test:
		frappe.db.commit()
