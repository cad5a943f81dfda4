# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import re

import frappe
from frappe import _
from frappe.model.document import Document

from cs_success.engine.measures import MEASURES_BY_KEY, USAGE

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,59}$")


class HealthMeasure(Document):
	"""Built-in measures are synced from the registry (cs_success/engine/measures.py) and cannot be
	edited here; a CS Manager adds measures for further usage metrics, scored like "Product Usage"."""

	def validate(self):
		if self.is_standard or self.measure_key in MEASURES_BY_KEY:
			if not self.flags.from_registry:
				frappe.throw(_("Built-in measures are kept by CS Success and cannot be changed."))
			return
		if not KEY_PATTERN.match(self.measure_key or ""):
			frappe.throw(
				_("The key may hold only lower case letters, digits and underscores, starting with a letter.")
			)
		if self.category != USAGE:
			frappe.throw(_("Only usage measures can be added: other measures are built in."))
		self.usage_metric = (self.usage_metric or "").strip()
		if not self.usage_metric:
			frappe.throw(_("A usage measure needs the usage metric it scores."))
		taken = frappe.db.get_value(
			"Health Measure", {"usage_metric": self.usage_metric, "name": ("!=", self.name)}, "label"
		)
		if taken:
			frappe.throw(_("The usage metric {0} is already scored by {1}.").format(self.usage_metric, taken))
		if self.default_score_100_at == self.default_score_0_at:
			frappe.throw(
				_(
					"'Default Scores 100 At' and 'Default Scores 0 At' must differ: their order gives the direction."
				)
			)

	def on_trash(self):
		if self.is_standard or self.measure_key in MEASURES_BY_KEY:
			frappe.throw(_("Built-in measures cannot be deleted."))
