"""NPS, CSAT and CES arithmetic and categories, without Frappe.

- NPS: 0-10. Promoters 9-10, passives 7-8, detractors 0-6. NPS = %promoters - %detractors (-100..100).
- CSAT: 1-5. CSAT% = share of 4 and 5 answers (top-2-box).
- CES: 1-7, 7 = very easy. Reported as the mean and the share of 5-7.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

NPS = "NPS"
CSAT = "CSAT"
CES = "CES"
SINGLE_CHOICE = "Single Choice"
FREE_TEXT = "Free Text"
QUESTION_TYPES = (NPS, CSAT, CES, SINGLE_CHOICE, FREE_TEXT)

PROMOTER = "Promoter"
PASSIVE = "Passive"
DETRACTOR = "Detractor"
SATISFIED = "Satisfied"
NEUTRAL = "Neutral"
DISSATISFIED = "Dissatisfied"
EASY = "Easy"
DIFFICULT = "Difficult"

HIGHER_IS_BETTER = "Higher is better"


@dataclass(frozen=True)
class Scale:
	minimum: int
	maximum: int
	direction: str = HIGHER_IS_BETTER


SCALES = {NPS: Scale(0, 10), CSAT: Scale(1, 5), CES: Scale(1, 7)}


class AnswerError(ValueError):
	"""An answer that cannot be accepted; `code` names the problem for translation."""

	def __init__(self, code: str, question: str = ""):
		super().__init__(f"{code}: {question}")
		self.code = code
		self.question = question


def parse_score(question_type: str, value) -> int:
	"""A whole number within the question's scale, or AnswerError. Accepts '7' and 7.0, not 7.5."""
	scale = SCALES[question_type]
	if isinstance(value, bool) or value is None or value == "":
		raise AnswerError("score_missing")
	try:
		number = float(str(value).strip())
	except ValueError:
		raise AnswerError("score_not_a_number") from None
	if not math.isfinite(number) or number != int(number):
		raise AnswerError("score_not_a_whole_number")
	if not scale.minimum <= number <= scale.maximum:
		raise AnswerError("score_out_of_range")
	return int(number)


def categorize(question_type: str, score: int) -> str | None:
	if question_type == NPS:
		return PROMOTER if score >= 9 else PASSIVE if score >= 7 else DETRACTOR
	if question_type == CSAT:
		return SATISFIED if score >= 4 else NEUTRAL if score == 3 else DISSATISFIED
	if question_type == CES:
		return EASY if score >= 5 else NEUTRAL if score == 4 else DIFFICULT
	return None


def nps(scores: Iterable[int]) -> float | None:
	scores = list(scores)
	if not scores:
		return None
	promoters = sum(1 for s in scores if s >= 9)
	detractors = sum(1 for s in scores if s <= 6)
	return 100.0 * (promoters - detractors) / len(scores)


def csat_percent(scores: Iterable[int]) -> float | None:
	scores = list(scores)
	if not scores:
		return None
	return 100.0 * sum(1 for s in scores if s >= 4) / len(scores)


def ces_mean(scores: Iterable[int]) -> float | None:
	scores = list(scores)
	return sum(scores) / len(scores) if scores else None


def ces_easy_percent(scores: Iterable[int]) -> float | None:
	scores = list(scores)
	if not scores:
		return None
	return 100.0 * sum(1 for s in scores if s >= 5) / len(scores)


def summarize(answers: Iterable[tuple[str, int]]) -> dict[str, int | float | None]:
	"""(headline type, score) pairs -> answer counts, NPS, CSAT %, CES mean and CES 5-7 %: the figures
	a campaign and the survey reports show. Types other than NPS, CSAT and CES are ignored."""
	scores: dict[str, list[int]] = {NPS: [], CSAT: [], CES: []}
	for question_type, score in answers:
		if question_type in scores and score is not None:
			scores[question_type].append(score)
	return {
		"nps_responses": len(scores[NPS]),
		"nps": nps(scores[NPS]),
		"csat_responses": len(scores[CSAT]),
		"csat_percent": csat_percent(scores[CSAT]),
		"ces_responses": len(scores[CES]),
		"ces_mean": ces_mean(scores[CES]),
		"ces_easy_percent": ces_easy_percent(scores[CES]),
	}


def response_rate(responses: int, invitations_sent: int) -> float | None:
	return 100.0 * responses / invitations_sent if invitations_sent else None


def needs_follow_up(question_type: str, score: int, threshold: int | None = None) -> bool:
	"""Close the loop: NPS detractors, CSAT 1-2, CES 1-3, or at/below a configured threshold."""
	if threshold is not None:
		return score <= threshold
	if question_type == NPS:
		return score <= 6
	if question_type == CSAT:
		return score <= 2
	if question_type == CES:
		return score <= 3
	return False


def nps_benchmark(
	answer_groups: Iterable[str | None], benchmark_of_group: Mapping[str, float]
) -> float | None:
	"""The benchmark a set of NPS answers is compared with: each answer counts its customer group's
	benchmark, so a mix of groups gets their mix. Answers of groups without one are left out; None when
	no answer has one."""
	values = [benchmark_of_group[g] for g in answer_groups if g is not None and g in benchmark_of_group]
	return sum(values) / len(values) if values else None
