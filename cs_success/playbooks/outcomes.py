"""After a run: what happened to the customer 90 days after it started (health then, churn and renewal in
the revenue ledger), checked automatically; and the daily digest of runs held back by an owner's cap."""

from __future__ import annotations

from datetime import date

import frappe
from frappe import _
from frappe.utils import add_days, escape_html, get_url_to_form, getdate

from cs_success.engine.ledger import CHURNED
from cs_success.health.snapshots import health_on_or_before_each
from cs_success.ledger.queries import FAR_FUTURE, RENEWED, events_between, renewals_due

CHECK_AFTER_DAYS = 90


def check_due(on: date) -> int:
	"""Runs that started CHECK_AFTER_DAYS or more days ago and are not checked yet: the customer's score
	and band on the day (its health then: health/snapshots.py), whether it churned and whether an agreement
	of it renewed within the window (revenue ledger). One read per source for all of them."""
	runs = frappe.db.sql(
		"""SELECT name, customer, DATE(enrolled_on) FROM `tabPlay Run`
		WHERE checked_on IS NULL AND enrolled_on < %(cutoff)s""",
		{"cutoff": add_days(on, -CHECK_AFTER_DAYS + 1)},
	)
	if not runs:
		return 0
	customers = sorted({customer for _name, customer, _start in runs})
	oldest = min(getdate(start) for _name, _customer, start in runs)
	checked = {
		(customer, getdate(add_days(getdate(start), CHECK_AFTER_DAYS))) for _name, customer, start in runs
	}
	health = health_on_or_before_each(checked)
	after_oldest = getdate(add_days(oldest, 1))
	churns = events_between(after_oldest, FAR_FUTURE, CHURNED, customers)
	renewals = {}
	for term in renewals_due(after_oldest, FAR_FUTURE, outcome=RENEWED, customers=customers):
		renewals.setdefault(term.customer, []).append(getdate(term.due_date))
	for name, customer, start in runs:
		start = getdate(start)
		end = getdate(add_days(start, CHECK_AFTER_DAYS))
		latest = health.get((customer, end))
		frappe.db.set_value(
			"Play Run",
			name,
			{
				"checked_on": on,
				"score_after_90": latest.score if latest else None,
				"band_after_90": latest.band if latest else None,
				"churned_within_90": int(any(start < day <= end for day in churns.get(customer, ()))),
				"renewed_within_90": int(any(start < day <= end for day in renewals.get(customer, ()))),
			},
			update_modified=False,
		)
	return len(runs)


def send_digests(on: date) -> int:
	"""One notification per owner listing the runs held back by the daily cap since the last digest."""
	held = frappe.get_all(
		"Play Run",
		filters={"status": "Held", "digested_on": ("is", "not set"), "run_owner": ("is", "set")},
		fields=["name", "run_owner", "play", "customer", "reason"],
		order_by="enrolled_on asc",
	)
	by_owner = {}
	for run in held:
		by_owner.setdefault(run.run_owner, []).append(run)
	for owner, owned in by_owner.items():
		items = "".join(
			f'<li><a href="{escape_html(get_url_to_form("Play Run", run.name))}">{escape_html(run.play)}: '
			f"{escape_html(run.customer)}</a> {escape_html(run.reason or '')}</li>"
			for run in owned
		)
		frappe.get_doc(
			{
				"doctype": "Notification Log",
				"for_user": owner,
				"type": "Alert",
				"document_type": "Play Run",
				"subject": _("{0} more play runs wait for you (over your daily limit)").format(len(owned)),
				"email_content": f"<ul>{items}</ul>",
			}
		).insert(ignore_permissions=True)
		for run in owned:
			frappe.db.set_value("Play Run", run.name, "digested_on", on, update_modified=False)
	return len(by_owner)
