# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

from frappe.model.document import Document

from cs_success.surveys.responses import accept_response, close_the_loop


class SurveyResponse(Document):
	"""Created only through a survey link (the survey page or the web form's submit), and updated only by
	that link completing its partial response; the server re-checks everything each time."""

	def before_insert(self):
		accept_response(self)

	def validate(self):
		if not self.is_new() and self.token:  # completing a partial response (surveys/responses.py)
			accept_response(self)

	def on_update(self):
		if self.flags.answer_accepted:
			self.flags.answer_accepted = False
			close_the_loop(self)
