# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

from frappe.model.document import Document

from cs_success.surveys.responses import accept_response, close_the_loop


class SurveyResponse(Document):
	"""Created only through a survey link (the web form); the server re-checks everything."""

	def before_insert(self):
		accept_response(self)

	def after_insert(self):
		close_the_loop(self)
