# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class CSDemoRecord(Document):
	"""Written only by cs_success.demo. The name is plain Data, not a Dynamic Link, so these records
	never stop anyone deleting a demo document by hand; the clear skips records whose document is gone."""


def on_doctype_update():
	frappe.db.add_index("CS Demo Record", ["reference_doctype", "reference_name"])
