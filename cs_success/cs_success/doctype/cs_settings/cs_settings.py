# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint, flt

from cs_success.engine.health_score import Bands, ScoringError
from cs_success.health.alerts import (
	MAX_ATTEMPTS,
	MAX_TIMEOUT_SECONDS,
	MIN_ATTEMPTS,
	MIN_TIMEOUT_SECONDS,
	WebhookURLError,
	check_webhook_url,
)
from cs_success.health.config import scoring_error_message
from cs_success.health.recompute import enqueue_full_recompute


class CSSettings(Document):
	def validate(self):
		self.validate_bands()
		self.validate_webhook_limits()
		self.validate_webhook_url()
		self.validate_nps_benchmarks()

	def validate_nps_benchmarks(self):
		seen = set()
		for row in self.get("nps_benchmarks") or []:
			if not -100 <= cint(row.benchmark_nps) <= 100:
				frappe.throw(_("Row {0}: an NPS benchmark is between -100 and 100.").format(row.idx))
			if row.customer_group in seen:
				frappe.throw(
					_("Row {0}: customer group {1} has a benchmark already.").format(
						row.idx, row.customer_group
					)
				)
			seen.add(row.customer_group)

	def validate_bands(self):
		try:
			Bands(self.healthy_min_score, self.at_risk_min_score, flt(self.coverage_floor)).validate()
		except ScoringError as error:
			frappe.throw(scoring_error_message(error))

	def validate_webhook_limits(self):
		if not MIN_TIMEOUT_SECONDS <= cint(self.webhook_timeout_seconds) <= MAX_TIMEOUT_SECONDS:
			frappe.throw(
				_("The webhook timeout must be between {0} and {1} seconds.").format(
					MIN_TIMEOUT_SECONDS, MAX_TIMEOUT_SECONDS
				)
			)
		if not MIN_ATTEMPTS <= cint(self.webhook_max_attempts) <= MAX_ATTEMPTS:
			frappe.throw(
				_("Webhook attempts must be between {0} and {1}.").format(MIN_ATTEMPTS, MAX_ATTEMPTS)
			)

	def validate_webhook_url(self):
		# Checked when it changes (a DNS lookup); delivery checks it again on every attempt. A Password
		# field comes back as asterisks when it was not retyped.
		url = self.alert_webhook_url
		if not url or self.is_dummy_password(url) or not self.has_value_changed("alert_webhook_url"):
			return
		try:
			check_webhook_url(self.alert_webhook_url)
		except WebhookURLError as error:
			frappe.throw(str(error), WebhookURLError, title=_("Webhook URL Not Allowed"))

	def on_update(self):
		before = self.get_doc_before_save()
		if before and (
			before.healthy_min_score != self.healthy_min_score
			or before.at_risk_min_score != self.at_risk_min_score
			or flt(before.coverage_floor) != flt(self.coverage_floor)
		):
			enqueue_full_recompute()
		if before and self.ledger_settings_changed(before):
			from cs_success.ledger.build import enqueue_full_rebuild

			enqueue_full_rebuild()

	def ledger_settings_changed(self, before) -> bool:
		groups = sorted(row.item_group for row in self.one_off_item_groups)
		return (
			cint(before.ledger_grace_days) != cint(self.ledger_grace_days)
			or cint(before.renewal_grace_days) != cint(self.renewal_grace_days)
			or sorted(row.item_group for row in before.one_off_item_groups) != groups
		)
