# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import getdate, today

from cs_success.surveys.delivery import clear_campaign_cache


class SurveyCampaign(Document):
	def validate(self):
		if (self.link_lifetime_days or 0) < 1:
			frappe.throw(_("Link lifetime must be at least one day."))
		for field in ("recontact_window_days", "reminder_after_days", "max_reminders"):
			if (self.get(field) or 0) < 0:
				frappe.throw(_("{0} cannot be negative.").format(_(self.meta.get_label(field))))
		if self.audience == "Event" and self.purpose == "Periodic":
			frappe.throw(_("Event audiences are for onboarding, exit and post-ticket campaigns."))
		if self.status == "Active" and self.audience != "Event" and not self.next_run_on:
			self.next_run_on = max(getdate(self.start_date or today()), getdate(today()))

	def on_update(self):
		clear_campaign_cache()

	def on_trash(self):
		clear_campaign_cache()
