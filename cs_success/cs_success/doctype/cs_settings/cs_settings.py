# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from cs_success.engine.health_score import Bands, ScoringError
from cs_success.health.config import scoring_error_message
from cs_success.health.recompute import enqueue_full_recompute


class CSSettings(Document):
	def validate(self):
		try:
			Bands(self.healthy_min_score, self.at_risk_min_score).validate()
		except ScoringError as error:
			frappe.throw(scoring_error_message(error))
		if (self.webhook_timeout_seconds or 0) < 1 or (self.webhook_max_attempts or 0) < 1:
			frappe.throw(_("Webhook timeout and attempts must be at least 1."))

	def on_update(self):
		before = self.get_doc_before_save()
		if before and (
			before.healthy_min_score != self.healthy_min_score
			or before.at_risk_min_score != self.at_risk_min_score
		):
			enqueue_full_recompute()
