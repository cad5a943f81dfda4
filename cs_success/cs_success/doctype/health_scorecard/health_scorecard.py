# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from cs_success.engine.health_score import ScoringError
from cs_success.health.config import rule_from_row, scoring_error_message
from cs_success.health.recompute import enqueue_full_recompute


class HealthScorecard(Document):
	def validate(self):
		self.validate_measures()
		self.validate_age_bounds()
		if self.is_default and not self.enabled:
			frappe.throw(_("The default scorecard must be enabled."))

	def validate_measures(self):
		seen = set()
		for row in self.measures:
			if row.measure in seen:
				frappe.throw(
					_("Row {0}: measure {1} is listed twice.").format(
						row.idx, row.measure_label or row.measure
					)
				)
			seen.add(row.measure)
			try:
				rule_from_row(row).validate()
			except ScoringError as error:
				frappe.throw(_("Row {0}: {1}").format(row.idx, scoring_error_message(error)))
		if not any(row.enabled and (row.weight or 0) > 0 for row in self.measures):
			frappe.throw(_("A scorecard needs at least one enabled measure with a weight above 0."))

	def validate_age_bounds(self):
		if self.max_customer_age_days and (self.min_customer_age_days or 0) > self.max_customer_age_days:
			frappe.throw(_("Minimum customer age cannot exceed the maximum."))

	def on_update(self):
		if self.is_default:
			# One default: the latest one saved as default wins.
			frappe.db.set_value(
				"Health Scorecard", {"is_default": 1, "name": ("!=", self.name)}, "is_default", 0
			)
		enqueue_full_recompute()

	def on_trash(self):
		if self.is_default:
			frappe.throw(_("The default scorecard cannot be deleted; make another one the default first."))

	def after_delete(self):
		enqueue_full_recompute()
