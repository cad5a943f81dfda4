# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class HealthScorecardVersion(Document):
	pass


def on_doctype_update():
	frappe.db.add_unique("Health Scorecard Version", ["scorecard", "version"], "unique_scorecard_version")
