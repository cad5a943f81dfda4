"""Standard survey templates shipped with the app (installed as Survey Template records)."""

from __future__ import annotations

from dataclasses import dataclass

from cs_success.engine.survey_metrics import CES, CSAT, FREE_TEXT, NPS, SCALES, SINGLE_CHOICE


@dataclass(frozen=True)
class QuestionDefinition:
	question: str
	question_type: str
	options: tuple[str, ...] = ()
	is_required: bool = True

	@property
	def scale(self):
		return SCALES.get(self.question_type)


@dataclass(frozen=True)
class TemplateDefinition:
	name: str
	introduction: str
	questions: tuple[QuestionDefinition, ...]


# Answers to "Why are you leaving?", and the standard Churn Reasons a churn event can name.
EXIT_REASONS = (
	"Price",
	"Missing features",
	"Service quality",
	"Moving to a competitor",
	"No longer needed",
	"Other",
)

REASON_FOR_SCORE = QuestionDefinition("What is the main reason for your score?", FREE_TEXT, is_required=False)

STANDARD_TEMPLATES: tuple[TemplateDefinition, ...] = (
	TemplateDefinition(
		"Net Promoter Score",
		"Two quick questions about how you feel about working with us.",
		(
			QuestionDefinition("How likely are you to recommend us to a friend or colleague?", NPS),
			REASON_FOR_SCORE,
		),
	),
	TemplateDefinition(
		"Post-Ticket Satisfaction",
		"Your support request was resolved. How did we do?",
		(
			QuestionDefinition("How satisfied are you with the support you received?", CSAT),
			QuestionDefinition("What could we have done better?", FREE_TEXT, is_required=False),
		),
	),
	TemplateDefinition(
		"Customer Effort",
		"Tell us how easy it was to get what you needed.",
		(
			QuestionDefinition("How easy was it to get your issue resolved?", CES),
			REASON_FOR_SCORE,
		),
	),
	TemplateDefinition(
		"Onboarding Check-in",
		"You have been with us for a few weeks. Is the start clear?",
		(
			QuestionDefinition("How satisfied are you with your start with us so far?", CSAT),
			QuestionDefinition(
				"Where would you like more help?",
				SINGLE_CHOICE,
				("Setup", "Training", "Data migration", "Billing", "Nothing, all clear"),
			),
			QuestionDefinition("Anything else we should know?", FREE_TEXT, is_required=False),
		),
	),
	TemplateDefinition(
		"Exit Survey",
		"We are sorry to see you go. Your answers help us improve.",
		(
			QuestionDefinition("How likely are you to recommend us to a friend or colleague?", NPS),
			QuestionDefinition(
				"Why are you leaving?",
				SINGLE_CHOICE,
				EXIT_REASONS,
			),
			QuestionDefinition("Which product or company are you moving to?", FREE_TEXT, is_required=False),
		),
	),
)
