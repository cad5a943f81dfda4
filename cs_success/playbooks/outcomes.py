"""After a run: what happened to the customer 90 days after it started (health then, churn and renewal in
the revenue ledger), checked automatically; and the daily digest of runs held back by an owner's cap."""

from __future__ import annotations

from datetime import date

import frappe
from frappe import _
from frappe.utils import add_days, escape_html, get_url_to_form, getdate

CHECK_AFTER_DAYS = 90
SNAPSHOT_WINDOW_DAYS = 31


def check_due(on: date) -> int:
	"""Runs that started CHECK_AFTER_DAYS or more days ago and are not checked yet: the customer's score
	and band on the day (latest Daily snapshot within SNAPSHOT_WINDOW_DAYS before it), whether it churned
	and whether an agreement of it renewed within the window. One read per source for all of them."""
	runs = frappe.db.sql(
		"""SELECT name, customer, DATE(enrolled_on) FROM `tabPlay Run`
		WHERE checked_on IS NULL AND enrolled_on < %(cutoff)s""",
		{"cutoff": add_days(on, -CHECK_AFTER_DAYS + 1)},
	)
	if not runs:
		return 0
	customers = tuple({customer for _name, customer, _start in runs})
	oldest = min(getdate(start) for _name, _customer, start in runs)
	snapshots, churns, renewals = {}, {}, {}
	for customer, day, score, band in frappe.db.sql(
		"""SELECT customer, snapshot_date, score, band FROM `tabCustomer Health Snapshot`
		WHERE kind = 'Daily' AND customer IN %(customers)s AND snapshot_date >= %(oldest)s""",
		{"customers": customers, "oldest": oldest},
	):
		snapshots.setdefault(customer, []).append((getdate(day), score, band))
	for customer, day, kind in frappe.db.sql(
		"""SELECT customer, event_date, 'churn' FROM `tabCustomer Lifecycle Event`
		WHERE event_type = 'Churned' AND customer IN %(customers)s AND event_date > %(oldest)s
		UNION ALL
		SELECT customer, due_date, 'renewal' FROM `tabAgreement Renewal`
		WHERE outcome = 'Renewed' AND customer IN %(customers)s AND due_date > %(oldest)s""",
		{"customers": customers, "oldest": oldest},
	):
		(churns if kind == "churn" else renewals).setdefault(customer, []).append(getdate(day))
	for name, customer, start in runs:
		start = getdate(start)
		end = getdate(add_days(start, CHECK_AFTER_DAYS))
		then = [s for s in snapshots.get(customer, ()) if 0 <= (end - s[0]).days <= SNAPSHOT_WINDOW_DAYS]
		latest = max(then, default=None)
		frappe.db.set_value(
			"Play Run",
			name,
			{
				"checked_on": on,
				"score_after_90": latest[1] if latest else None,
				"band_after_90": latest[2] if latest else None,
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
