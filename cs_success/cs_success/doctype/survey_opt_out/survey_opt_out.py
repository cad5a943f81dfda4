# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

from frappe.model.document import Document


class SurveyOptOut(Document):
	def validate(self):
		# One row per address, whatever its case: lookups compare lower-case.
		self.email = (self.email or "").strip().lower()
