# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import json

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint, flt

from cs_success.engine.health_score import ScoringError
from cs_success.health.config import rule_from_row, scoring_error_message
from cs_success.health.recompute import enqueue_full_recompute


class HealthScorecard(Document):
	def validate(self):
		self.validate_measures()
		self.validate_age_bounds()
		if self.is_default and not self.enabled:
			frappe.throw(_("The default scorecard must be enabled."))
		self.track_version()

	def track_version(self):
		"""A change to the measures, weights or thresholds is a new version; scores say which made them."""
		previous = self.get_doc_before_save()
		# Flags live as long as the document object: reset them, a second save must not re-record.
		self.flags.version_changed = False
		self.flags.previous_version = None
		if previous is None:
			# Versions outlive a deleted scorecard: one made again under its name carries on counting.
			kept = frappe.db.get_value("Health Scorecard Version", {"scorecard": self.name}, "MAX(version)")
			self.version = (kept or 0) + 1
			self.flags.version_changed = True
			return
		self.version = previous.version or 1
		if version_rows(previous) != version_rows(self):
			self.version += 1
			self.flags.version_changed = True
			self.flags.previous_version = previous

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
		if self.flags.version_changed:
			self.record_version()
		enqueue_full_recompute()

	def record_version(self):
		"""Keep this version (and the one it replaces, when that predates version records)."""
		previous = self.flags.previous_version
		if previous is not None and not frappe.db.exists(
			"Health Scorecard Version", {"scorecard": self.name, "version": previous.version or 1}
		):
			insert_version(previous, "Manual")
		insert_version(self, self.flags.version_source or "Manual", **(self.flags.version_details or {}))
		self.flags.version_source = self.flags.version_details = None

	def on_trash(self):
		if self.is_default:
			frappe.throw(_("The default scorecard cannot be deleted; make another one the default first."))

	def after_delete(self):
		enqueue_full_recompute()


def version_rows(doc) -> list[dict]:
	"""What a version is made of: the measure rows, in order."""
	return [
		{
			"measure": row.measure,
			"enabled": cint(row.enabled),
			"weight": flt(row.weight),
			"scoring_method": row.scoring_method,
			"score_100_at": flt(row.score_100_at),
			"score_0_at": flt(row.score_0_at),
		}
		for row in doc.measures
	]


def insert_version(doc, source: str, **details) -> None:
	frappe.get_doc(
		{
			"doctype": "Health Scorecard Version",
			"scorecard": doc.name,
			"version": doc.version or 1,
			"source": source,
			"measures": json.dumps(version_rows(doc), default=str),
			**details,
		}
	).insert(ignore_permissions=True)
