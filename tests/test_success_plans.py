from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cs_success.engine.success_plans import (
	AFTER_SERVICE,
	BEFORE_SERVICE,
	DURING_SERVICE,
	PlanItem,
	completion,
	default_stage,
	due_date_from,
	is_overdue,
	measured_value,
	objective_progress,
	plan_progress,
)

TODAY = date(2026, 11, 23)


def test_objective_progress_both_directions():
	assert objective_progress(10, 20, 15) == 50
	assert objective_progress(10, 20, 25) == 100
	assert objective_progress(10, 20, 5) == 0
	assert objective_progress(40, 10, 25) == 50  # a falling target: 40 tickets down to 10
	assert objective_progress(5, 5, 5) == 0  # no measurable target: only "Achieved" counts
	assert objective_progress(5, 5, 5, achieved=True) == 100
	assert objective_progress(10, 20, 12, achieved=True) == 100
	assert objective_progress(10, 20, None) == 0


def test_a_falling_objective_without_a_current_value_is_0_not_100():
	# Tickets from 40 down to 10, nothing measured yet: 0 %. (Read as current 0 it was
	# (0 - 40) / (10 - 40) = 133 %, capped to 100 %: the bug.)
	assert objective_progress(40, 10, None) == 0
	assert objective_progress(40, 10, measured_value(None, "Not Started")) == 0
	# A saved row: Frappe stores the empty Float as 0; still Not Started, so not measured.
	assert objective_progress(40, 10, measured_value(0.0, "Not Started")) == 0
	assert objective_progress(40, 10, measured_value(0.0, None)) == 0
	# Measured: 25 is (25 - 40) / (10 - 40) = 15 / 30 = 50 %; 34 is 6 / 30 = 20 %; 10 is 100 %.
	assert objective_progress(40, 10, measured_value(25.0, "Not Started")) == 50
	assert objective_progress(40, 10, measured_value(34.0, "On Track")) == 20
	assert objective_progress(40, 10, measured_value(10.0, "On Track")) == 100
	# Once the objective is under way a 0 is a measurement: churned customers 4 -> 0, current 0:
	# (0 - 4) / (0 - 4) = 100 %; 3 -> 1 with current 0 overshoots and is capped at 100 %.
	assert objective_progress(4, 0, measured_value(0.0, "On Track")) == 100
	assert objective_progress(3, 1, measured_value(0.0, "At Risk")) == 100
	# Rising objectives are unchanged: 10 -> 20 not measured is 0 %, at 0 it is below the baseline, 0 %;
	# at 18 it is 8 / 10 = 80 %.
	assert objective_progress(10, 20, measured_value(0.0, "Not Started")) == 0
	assert objective_progress(10, 20, measured_value(0.0, "On Track")) == 0
	assert objective_progress(10, 20, measured_value(18.0, "On Track")) == 80
	# Achieved is 100 % whatever was measured.
	assert objective_progress(40, 10, measured_value(0.0, "Achieved"), achieved=True) == 100


@given(st.floats(-1e6, 1e6), st.floats(-1e6, 1e6), st.floats(-1e6, 1e6))
def test_objective_progress_is_bounded(baseline, target, current):
	assert 0 <= objective_progress(baseline, target, current) <= 100


def test_overdue_and_completion():
	late = PlanItem(False, date(2026, 11, 1))
	done_late = PlanItem(True, date(2026, 11, 1))
	future = PlanItem(False, date(2026, 12, 1))
	undated = PlanItem(False, None)
	assert [is_overdue(i, TODAY) for i in (late, done_late, future, undated)] == [True, False, False, False]
	assert completion([late, done_late, future, undated]) == 25
	assert completion([]) is None


def test_plan_progress_averages_the_parts_it_has():
	milestones = [PlanItem(True, None), PlanItem(False, None)]  # 50
	tasks = [PlanItem(True, None)] * 3 + [PlanItem(False, None)]  # 75
	assert plan_progress([100, 0], milestones, tasks) == pytest.approx((50 + 50 + 75) / 3)
	assert plan_progress([], milestones, []) == 50
	assert plan_progress([], [], []) == 0


def test_stages_and_due_dates():
	assert default_stage("Onboarding") == BEFORE_SERVICE
	assert default_stage("Ticket") == DURING_SERVICE
	assert default_stage("Renewal") == AFTER_SERVICE
	assert default_stage(None) == DURING_SERVICE
	assert due_date_from(TODAY, 30) == date(2026, 12, 23)
	assert due_date_from(TODAY, None) is None
