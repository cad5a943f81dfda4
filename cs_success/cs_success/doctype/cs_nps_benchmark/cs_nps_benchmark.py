# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

from frappe.model.document import Document


class CSNPSBenchmark(Document):
	pass
