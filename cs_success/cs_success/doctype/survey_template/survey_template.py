# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from cs_success.engine.survey_metrics import SCALES, SINGLE_CHOICE
from cs_success.surveys.responses import choices


class SurveyTemplate(Document):
	def validate(self):
		if not self.questions or self.questions[0].question_type not in SCALES:
			frappe.throw(
				_("The first question is the headline score: it must be an NPS, CSAT or CES question.")
			)
		for question in self.questions:
			scale = SCALES.get(question.question_type)
			question.scale_min = scale.minimum if scale else 0
			question.scale_max = scale.maximum if scale else 0
			question.direction = scale.direction if scale else None
			if question.question_type == SINGLE_CHOICE and len(choices(question)) < 2:
				frappe.throw(
					_("Row {0}: a single-choice question needs at least two choices.").format(question.idx)
				)
		self.survey_type = self.questions[0].question_type

	def on_trash(self):
		if self.is_standard:
			frappe.throw(_("Standard survey templates cannot be deleted; copy one to adapt it."))
