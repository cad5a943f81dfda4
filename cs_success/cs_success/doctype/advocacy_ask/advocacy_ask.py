# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

"""An ask of a customer's contact for a review, a referral, a case study or a reference call. The rules
(promoters in good health only, never while at risk, not too often) are cs_success/growth/advocacy.py's;
the controller applies them to every new ask, whether saved from Desk, REST, an import or a play."""

import frappe
from frappe import _
from frappe.model.document import Document

from cs_success.growth import advocacy


class AdvocacyAsk(Document):
	def validate(self):
		self.keep_server_fields()
		self.check_contact()
		if self.is_new() and self.status == advocacy.ASKED and not self.survey_response:
			advocacy.check_eligible(self.customer, self.contact, self.asked_on)

	def keep_server_fields(self):
		"""Who asked, the referred customer, the play run and the survey answer are the server's: a
		client's save cannot set or change them. A new ask takes the session's user, and the run or answer
		only from the server code that made it (`advocacy.SERVER_FIELDS_FLAG`)."""
		if self.is_new():
			given = self.flags.get(advocacy.SERVER_FIELDS_FLAG) or {}
			self.asked_by = frappe.session.user
			for fieldname in advocacy.SERVER_FIELDS:
				self.set(fieldname, given.get(fieldname))
			return
		before = frappe.db.get_value(
			self.doctype, self.name, ["asked_by", *advocacy.SERVER_FIELDS], as_dict=True
		)
		for fieldname, value in (before or {}).items():
			self.set(fieldname, value)

	def check_contact(self):
		if not self.contact:
			return
		linked = frappe.db.exists(
			"Dynamic Link",
			{
				"parenttype": "Contact",
				"parent": self.contact,
				"link_doctype": "Customer",
				"link_name": self.customer,
			},
		)
		if not linked:
			frappe.throw(
				_("Contact {0} is not a contact of customer {1}.").format(self.contact, self.customer),
				advocacy.AdvocacyAskError,
			)


def on_doctype_update():
	frappe.db.add_index("Advocacy Ask", ["contact", "asked_on"])
	frappe.db.add_index("Advocacy Ask", ["customer", "asked_on"])
