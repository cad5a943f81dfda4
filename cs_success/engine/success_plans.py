"""Success plan arithmetic and touchpoint-wheel stages, without Frappe."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

DONE = "Done"
ACHIEVED = "Achieved"
NOT_STARTED = "Not Started"
CLOSED_OBJECTIVE = ("Achieved", "Missed")

BEFORE_SERVICE = "Before service"
DURING_SERVICE = "During service"
AFTER_SERVICE = "After service"

# Where each kind of touchpoint sits on the touchpoint wheel by default.
STAGE_BY_TYPE = {
	"Onboarding": BEFORE_SERVICE,
	"Email": DURING_SERVICE,
	"Call": DURING_SERVICE,
	"Meeting": DURING_SERVICE,
	"Ticket": DURING_SERVICE,
	"Survey": DURING_SERVICE,
	"Training": DURING_SERVICE,
	"Note": DURING_SERVICE,
	"QBR": AFTER_SERVICE,
	"Renewal": AFTER_SERVICE,
}


def default_stage(touchpoint_type: str | None) -> str:
	return STAGE_BY_TYPE.get(touchpoint_type or "", DURING_SERVICE)


def objective_progress(
	baseline: float, target: float, current: float | None, achieved: bool = False
) -> float:
	"""Share of the way from baseline to target, 0-100, in either direction (a target below the
	baseline, such as churn or ticket volume, counts progress as the value falls). An objective
	marked achieved is 100; one without a measurable target (target = baseline) counts only then.
	No current value yet (None) is 0, in either direction: read as 0, a falling objective would
	count as already past its target."""
	if achieved:
		return 100.0
	if current is None or target == baseline:
		return 0.0
	share = (current - baseline) / (target - baseline)
	return max(0.0, min(100.0, 100.0 * share))


def measured_value(current: float | None, status: str | None) -> float | None:
	"""The objective's current value, or None while it has none. Frappe v15 stores an empty Float as
	0 (the column is NOT NULL DEFAULT 0), so a saved objective's 0 is "not measured yet" while its
	status is still Not Started; once it is On Track, At Risk or closed, a 0 is a measurement (e.g.
	churned customers down to 0). Unsaved rows and API input can carry None itself."""
	if current is None or (current == 0 and (status or NOT_STARTED) == NOT_STARTED):
		return None
	return current


@dataclass(frozen=True)
class PlanItem:
	"""A milestone or task: done or not, and when it is due."""

	done: bool
	due_date: date | None


def is_overdue(item: PlanItem, today: date) -> bool:
	return not item.done and item.due_date is not None and item.due_date < today


def completion(items: Iterable[PlanItem]) -> float | None:
	items = list(items)
	if not items:
		return None
	return 100.0 * sum(1 for item in items if item.done) / len(items)


def plan_progress(
	objective_progresses: Iterable[float], milestones: Iterable[PlanItem], tasks: Iterable[PlanItem]
) -> float:
	"""The mean of the parts the plan has: objectives' mean progress, milestones done, tasks done."""
	objective_progresses = list(objective_progresses)
	parts = [
		sum(objective_progresses) / len(objective_progresses) if objective_progresses else None,
		completion(milestones),
		completion(tasks),
	]
	present = [part for part in parts if part is not None]
	return sum(present) / len(present) if present else 0.0


def due_date_from(start: date, due_after_days: int | None) -> date | None:
	return start + timedelta(days=due_after_days) if due_after_days is not None else None
