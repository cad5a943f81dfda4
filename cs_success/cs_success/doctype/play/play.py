# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from cs_success.engine.plays import AFTER_DAYS
from cs_success.playbooks.triggers import TRIGGERS_BY_NAME


class PlayConfigurationError(frappe.ValidationError):
	pass


class Play(Document):
	def validate(self):
		self.validate_trigger()
		self.validate_owner()
		self.validate_actions()

	def validate_trigger(self):
		trigger = TRIGGERS_BY_NAME.get(self.trigger)
		for fieldname in trigger.settings if trigger else ():
			value = self.get(fieldname)
			if not value or (not isinstance(value, str) and value <= 0):
				frappe.throw(
					_("The trigger {0} needs {1} (more than 0).").format(
						_(self.trigger), _(self.meta.get_label(fieldname))
					),
					PlayConfigurationError,
				)
		if self.re_enrolment == AFTER_DAYS and (self.re_enrol_after_days or 0) <= 0:
			frappe.throw(
				_("Say after how many days a customer may run this play again."), PlayConfigurationError
			)
		if self.min_mrr and self.max_mrr and self.min_mrr > self.max_mrr:
			frappe.throw(_("MRR at Least is more than MRR at Most."), PlayConfigurationError)

	def validate_owner(self):
		if self.owner_rule == "User" and not self.owner_user:
			frappe.throw(_("Choose the user who owns the runs."), PlayConfigurationError)
		if self.owner_rule == "Role" and not self.owner_role:
			frappe.throw(_("Choose the role whose users own the runs."), PlayConfigurationError)

	def validate_actions(self):
		from cs_success.health.alerts import check_webhook_url

		for row in self.actions:
			needs = {
				"Task": ("subject", _("what to do")),
				"Touchpoint": ("subject", _("a summary")),
				"Email": ("email_template", _("an email template")),
				"Success Plan": ("success_plan_template", _("a success plan template")),
				"Webhook": ("webhook_url", _("a URL")),
			}.get(row.action_type)
			if needs and not (row.get(needs[0]) or "").strip():
				frappe.throw(
					_("Row {0}: the action {1} needs {2}.").format(row.idx, _(row.action_type), needs[1]),
					PlayConfigurationError,
				)
			if row.action_type == "Webhook":
				check_webhook_url(row.webhook_url.strip())
			if (row.due_after_days or 0) < 0:
				frappe.throw(
					_("Row {0}: due after a negative number of days.").format(row.idx), PlayConfigurationError
				)
