"""Alerts when a customer ENTERS a worse band: once per customer and band, until it recovers."""

from __future__ import annotations

import time

import requests

import frappe
from frappe import _
from frappe.utils import get_url_to_form, now_datetime

from cs_success.engine.health_score import band_rank, entered_worse_band
from cs_success.health.config import measure_label

# Seconds before retry n is 2**n times this; tests set it to 0.
WEBHOOK_BACKOFF_SECONDS = 1.0


def handle_band_changes(outcomes, raise_alerts: bool = True) -> None:
	"""`outcomes` are recompute outcomes whose effective band changed."""
	if not outcomes:
		return
	_resolve_recovered(outcomes)
	if not raise_alerts or not frappe.db.get_single_value("CS Settings", "enable_alerts"):
		return
	for o in outcomes:
		if entered_worse_band(o.previous.band, o.band):
			raise_alert(o.customer, o.band, o.previous.band, o.score, o.result)


def _resolve_recovered(outcomes) -> None:
	"""Open alerts for bands worse than where the customer now is are resolved."""
	now = now_datetime()
	for o in outcomes:
		rank = band_rank(o.band)
		if rank is None:
			continue
		worse = [b for b in ("At Risk", "Critical") if band_rank(b) > rank]
		if worse:
			frappe.db.set_value(
				"Customer Health Alert",
				{"customer": o.customer.name, "status": "Open", "band": ("in", worse)},
				{"status": "Resolved", "resolved_on": now},
				update_modified=True,
			)


def raise_alert(customer, band: str, previous_band: str, score: float | None, result) -> str | None:
	if frappe.db.exists("Customer Health Alert", {"customer": customer.name, "band": band, "status": "Open"}):
		return None
	settings = frappe.get_cached_doc("CS Settings")
	assignee = customer.account_manager or settings.default_csm
	reasons = ", ".join(
		_("{0} ({1:.0f}/100)").format(_(measure_label(m.key)), m.score) for m in result.worst_measures(3)
	)
	alert = frappe.get_doc(
		{
			"doctype": "Customer Health Alert",
			"customer": customer.name,
			"band": band,
			"previous_band": previous_band,
			"score": score,
			"status": "Open",
			"raised_on": now_datetime(),
			"assigned_to": assignee,
			"webhook_status": "Pending" if settings.alert_webhook_url else "Not Configured",
		}
	).insert(ignore_permissions=True)

	description = _("{0} entered {1} (health score {2}). Weakest measures: {3}").format(
		customer.customer_name, _(band), f"{score:.0f}" if score is not None else "-", reasons or _("none")
	)
	if assignee:
		todo = frappe.get_doc(
			{
				"doctype": "ToDo",
				"allocated_to": assignee,
				"description": description,
				"reference_type": "Customer Health",
				"reference_name": customer.name,
				"priority": "High" if band == "Critical" else "Medium",
				"assigned_by": "Administrator",
			}
		).insert(ignore_permissions=True)
		alert.db_set("todo", todo.name, update_modified=False)

	if settings.alert_webhook_url:
		frappe.enqueue(
			"cs_success.health.alerts.deliver_webhook",
			queue="short",
			alert_name=alert.name,
			enqueue_after_commit=True,
			now=frappe.flags.in_test,
		)
	return alert.name


def webhook_payload(alert) -> dict:
	customer_name = frappe.db.get_value("Customer", alert.customer, "customer_name") or alert.customer
	return {
		"event": "customer_health.band_entered",
		"customer": alert.customer,
		"customer_name": customer_name,
		"band": alert.band,
		"previous_band": alert.previous_band,
		"score": alert.score,
		"raised_on": str(alert.raised_on),
		"url": get_url_to_form("Customer Health", alert.customer),
		"text": _("{0} entered {1} (health score {2})").format(
			customer_name, _(alert.band), f"{alert.score:.0f}" if alert.score is not None else "-"
		),
	}


def deliver_webhook(alert_name: str) -> None:
	"""POST the alert as JSON, with a timeout and retries; the outcome is kept on the alert."""
	settings = frappe.get_cached_doc("CS Settings")
	alert = frappe.get_doc("Customer Health Alert", alert_name)
	if not settings.alert_webhook_url:
		return
	attempts = max(1, settings.webhook_max_attempts or 1)
	timeout = max(1, settings.webhook_timeout_seconds or 5)
	payload = webhook_payload(alert)
	error = None
	for attempt in range(attempts):
		if attempt:
			time.sleep(WEBHOOK_BACKOFF_SECONDS * 2**attempt)
		try:
			response = requests.post(settings.alert_webhook_url, json=payload, timeout=timeout)
			response.raise_for_status()
		except requests.RequestException as exc:
			error = str(exc)[:1000]
			continue
		alert.db_set(
			{"webhook_status": "Delivered", "webhook_attempts": attempt + 1, "webhook_last_error": None}
		)
		return
	alert.db_set({"webhook_status": "Failed", "webhook_attempts": attempts, "webhook_last_error": error})
	frappe.log_error(
		title="cs_success: alert webhook failed",
		message=error,
		reference_doctype="Customer Health Alert",
		reference_name=alert_name,
	)
