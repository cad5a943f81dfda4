"""Playbooks, without Frappe: when a play may start (again) for a customer, whether a signal crossed its
threshold, and which new runs an owner's daily cap holds back. The glue (cs_success/playbooks/) reads the
signals set-based and writes the runs."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date

NEVER = "Never"
AFTER_DAYS = "After Days"
EVERY_TIME = "Every Time"
RE_ENROLMENT_POLICIES = (NEVER, AFTER_DAYS, EVERY_TIME)


def may_start(
	policy: str,
	after_days: int | None,
	has_open_run: bool,
	last_started: date | None,
	today: date,
) -> bool:
	"""Whether a play may start a run for a customer today. Never more than one open run per customer and
	play; after a closed one, per the play's policy: never again, not before `after_days` days since the
	last run started, or every time the trigger fires."""
	if has_open_run:
		return False
	if last_started is None:
		return True
	if policy == NEVER:
		return False
	if policy == AFTER_DAYS:
		return (today - last_started).days >= max(int(after_days or 0), 0)
	if policy == EVERY_TIME:
		return True
	raise ValueError(f"unknown re-enrolment policy: {policy}")


def score_dropped(score_now: float | None, score_then: float | None, points: float | None) -> bool:
	"""The score is at least `points` (more than 0) below what it was; no score either side: no signal."""
	if score_now is None or score_then is None or not points or points <= 0:
		return False
	return score_then - score_now >= points


def usage_dropped(recent: float | None, before: float | None, percent: float | None) -> bool:
	"""Usage in the recent window at least `percent` % below the window before it. No usage before (or
	none recorded at all) is no signal: a drop needs something to drop from."""
	if not before or before <= 0 or percent is None or percent <= 0:
		return False
	return (before - (recent or 0.0)) / before * 100.0 >= percent


def usage_drop_percent(recent: float | None, before: float | None) -> float | None:
	if not before or before <= 0:
		return None
	return (before - (recent or 0.0)) / before * 100.0


def within_cap(owners: Sequence[str | None], started_today: Mapping[str, int], cap: int | None) -> list[bool]:
	"""For new runs in order, whether each one starts (True) or is held for its owner's digest (False):
	an owner gets at most `cap` runs started a day, counting those started earlier today. No cap (None or
	0), or no owner: every run starts."""
	if not cap or cap <= 0:
		return [True] * len(owners)
	counts = dict(started_today)
	result = []
	for owner in owners:
		if owner is None:
			result.append(True)
			continue
		started = counts.get(owner, 0)
		result.append(started < cap)
		if started < cap:
			counts[owner] = started + 1
	return result


def least_loaded(users: Iterable[str], open_runs: Mapping[str, int]) -> str | None:
	"""The user with the fewest open runs (ties: the first by name), for a play owned by a role."""
	candidates = sorted(set(users))
	if not candidates:
		return None
	return min(candidates, key=lambda user: (open_runs.get(user, 0), user))
