# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

from frappe.model.document import Document

from cs_success.playbooks.permissions import check_client_changes
from cs_success.playbooks.runs import CLOSED, open_key


class PlayRun(Document):
	def validate(self):
		# Desk, REST and frappe.client all save through here: what the server owns is checked against the
		# stored run (playbooks/permissions.py), before anything below derives from it.
		check_client_changes(self)
		self.set_open_key()

	def set_open_key(self):
		# One run that is not closed per customer and play, kept by the unique index on this key.
		self.open_key = None if self.status == CLOSED else open_key(self.play, self.customer)
