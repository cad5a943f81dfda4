# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class ExpansionPropensityModel(Document):
	pass


def on_doctype_update():
	frappe.db.add_index("Expansion Propensity Model", ["is_current"])
