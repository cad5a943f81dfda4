# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

from frappe.model.document import Document

from cs_success.playbooks.runs import CLOSED, open_key


class PlayRun(Document):
	def validate(self):
		# One run that is not closed per customer and play, kept by the unique index on this key.
		self.open_key = None if self.status == CLOSED else open_key(self.play, self.customer)
