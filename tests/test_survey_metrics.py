import pytest
from hypothesis import given
from hypothesis import strategies as st

from cs_success.engine.survey_metrics import (
	CES,
	CSAT,
	DETRACTOR,
	NPS,
	PASSIVE,
	PROMOTER,
	AnswerError,
	categorize,
	ces_easy_percent,
	ces_mean,
	csat_percent,
	needs_follow_up,
	nps,
	parse_score,
	response_rate,
	summarize,
)


def test_nps_definition():
	# 5 promoters, 3 passives, 2 detractors of 10: 50% - 20% = 30
	assert nps([10, 9, 9, 10, 9, 7, 8, 7, 6, 0]) == pytest.approx(30)
	assert nps([10, 10]) == 100
	assert nps([0, 6]) == -100
	assert nps([7, 8]) == 0
	assert nps([]) is None


@given(st.lists(st.integers(min_value=0, max_value=10), min_size=1))
def test_nps_range_and_identity(scores):
	value = nps(scores)
	assert -100 <= value <= 100
	promoters = sum(s >= 9 for s in scores) / len(scores)
	detractors = sum(s <= 6 for s in scores) / len(scores)
	assert value == pytest.approx(100 * (promoters - detractors))


def test_nps_categories_boundaries():
	assert [categorize(NPS, s) for s in (0, 6, 7, 8, 9, 10)] == [
		DETRACTOR, DETRACTOR, PASSIVE, PASSIVE, PROMOTER, PROMOTER,
	]  # fmt: skip


def test_csat_top_two_box():
	assert csat_percent([5, 4, 3, 2]) == 50
	assert csat_percent([1, 2, 3]) == 0
	assert csat_percent([]) is None


def test_ces_mean_and_easy_share():
	assert ces_mean([7, 5, 3]) == 5
	assert ces_easy_percent([7, 5, 3, 4]) == 50
	assert ces_mean([]) is None


def test_response_rate():
	assert response_rate(3, 12) == 25
	assert response_rate(0, 0) is None


@pytest.mark.parametrize(
	"question_type, value, expected",
	[(NPS, "10", 10), (NPS, 0, 0), (NPS, 7.0, 7), (CSAT, " 5 ", 5), (CES, "1", 1)],
)
def test_parse_score_accepts(question_type, value, expected):
	assert parse_score(question_type, value) == expected


@pytest.mark.parametrize(
	"question_type, value, code",
	[
		(NPS, 11, "score_out_of_range"),
		(NPS, -1, "score_out_of_range"),
		(CSAT, 0, "score_out_of_range"),
		(CES, 8, "score_out_of_range"),
		(NPS, "ten", "score_not_a_number"),
		(NPS, 7.5, "score_not_a_whole_number"),
		(NPS, "nan", "score_not_a_whole_number"),
		(NPS, None, "score_missing"),
		(NPS, "", "score_missing"),
		(NPS, True, "score_missing"),
	],
)
def test_parse_score_refuses(question_type, value, code):
	with pytest.raises(AnswerError) as err:
		parse_score(question_type, value)
	assert err.value.code == code


def test_follow_up_rules():
	assert needs_follow_up(NPS, 6) and not needs_follow_up(NPS, 7)
	assert needs_follow_up(CSAT, 2) and not needs_follow_up(CSAT, 3)
	assert needs_follow_up(CES, 3) and not needs_follow_up(CES, 4)
	assert needs_follow_up(NPS, 8, threshold=8) and not needs_follow_up(NPS, 9, threshold=8)


def test_summarize_groups_answers_by_type():
	answers = [(NPS, 10), (NPS, 9), (NPS, 3), (CSAT, 5), (CSAT, 2), (CES, 7), (CES, 3), ("Single Choice", 1)]
	summary = summarize(answers)
	assert summary["nps_responses"] == 3
	assert summary["nps"] == pytest.approx(100 * (2 - 1) / 3)
	assert (summary["csat_responses"], summary["csat_percent"]) == (2, 50.0)
	assert (summary["ces_responses"], summary["ces_mean"], summary["ces_easy_percent"]) == (2, 5.0, 50.0)


def test_summarize_without_answers_has_no_figures():
	summary = summarize([])
	assert summary["nps_responses"] == summary["csat_responses"] == summary["ces_responses"] == 0
	assert summary["nps"] is None and summary["csat_percent"] is None and summary["ces_mean"] is None
