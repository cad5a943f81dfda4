"""Manual overrides: a score, a reason and an expiry, set only by CS Managers and audited.

A recompute keeps the computed score beside an active override and never wipes it; the override
lapses at its expiry (checked on every recompute and hourly).
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import get_datetime, now_datetime

from cs_success.base.roles import MANAGER_ROLES
from cs_success.base.text import as_text
from cs_success.engine.health_score import ScoringError, validate_override
from cs_success.health.config import scoring_error_message
from cs_success.health.recompute import cleared_override, recompute_customers


def check_can_override() -> None:
	if not set(MANAGER_ROLES) & set(frappe.get_roles()):
		frappe.throw(_("Only a CS Manager can override a health score."), frappe.PermissionError)


def _health(customer: str):
	if not frappe.db.exists("Customer", customer):
		frappe.throw(_("Customer {0} does not exist.").format(customer), frappe.DoesNotExistError)
	if not frappe.db.exists("Customer Health", customer):
		recompute_customers([customer])
	if not frappe.db.exists("Customer Health", customer):
		frappe.throw(_("Customer {0} has no health record (is it disabled?).").format(customer))
	return frappe.get_doc("Customer Health", customer)


def set_override(customer: str, score, reason: str, expires_on) -> None:
	check_can_override()
	now = now_datetime()
	expiry = get_datetime(expires_on) if expires_on else None
	reason = clean_text(reason)
	try:
		validate_override(score, reason, expiry, now)
	except ScoringError as error:
		frappe.throw(scoring_error_message(error), title=_("Invalid Override"))
	health = _health(customer)
	before = (health.score, health.band)
	health.db_set(
		{
			"override_active": 1,
			"override_score": float(score),
			"override_reason": reason,
			"override_expires_on": expiry,
			"override_set_by": frappe.session.user,
			"override_set_on": now,
		}
	)
	# Alerts are for drift the team did not see coming, not for a manager's own decision.
	recompute_customers([customer], raise_alerts=False, log_changes=False)
	summary = _("Override to {0} until {1}: {2}").format(float(score), expiry, reason)
	_audit(customer, "Override Set", before, summary)


def clear_override(customer: str, reason: str | None = None) -> None:
	check_can_override()
	health = _health(customer)
	if not health.override_active:
		return
	before = (health.score, health.band)
	health.db_set(cleared_override())
	recompute_customers([customer], raise_alerts=False, log_changes=False)
	_audit(
		customer,
		"Override Cleared",
		before,
		_("Override cleared: {0}").format(reason or _("no reason given")),
	)


def clean_text(text: str | None) -> str:
	"""The reason as a save would store it: db_set skips the before_validate hook that makes free text
	inert (cs_success/base/text.py), and Desk renders these fields as HTML."""
	return as_text((text or "").strip())


def _audit(customer: str, event: str, before: tuple, summary: str) -> None:
	# The summary quotes the manager's reason and goes into db_set and a comment: cleaned once here.
	summary = clean_text(summary)
	after = frappe.db.get_value("Customer Health", customer, ["score", "band"])
	frappe.get_doc(
		{
			"doctype": "Customer Health Change",
			"customer": customer,
			"changed_on": now_datetime(),
			"changed_by": frappe.session.user,
			"event": event,
			"previous_score": before[0],
			"previous_band": before[1],
			"new_score": after[0],
			"new_band": after[1],
			"summary": summary,
		}
	).insert(ignore_permissions=True)
	health = frappe.get_doc("Customer Health", customer)
	health.db_set("last_change_summary", summary, update_modified=False)
	health.add_comment("Info", summary)


def lapse_expired_overrides() -> None:
	"""Hourly: overrides must not outlive their expiry even when nothing else triggers a recompute."""
	expired = frappe.get_all(
		"Customer Health",
		filters={"override_active": 1, "override_expires_on": ("<=", now_datetime())},
		pluck="name",
	)
	if expired:
		recompute_customers(expired)
