"""Play runs: starting them for the customers a trigger found (set-based, one read per step for the whole
batch), and what people do with them afterwards (snooze, wake, close, start a held one).

One open run per customer and play is the database's rule, not only ours: a run that is not closed holds
`open_key` = "play|customer" under a unique index, so two drains that find the same signal at once start
one run, and the second one's insert fails on the key and is skipped. Everything else about whether a run
may start (the play's re-enrolment policy, its conditions, the owner's daily cap) is cs_success/engine/
plays.py, fed here with a few queries per batch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import frappe
from frappe import _
from frappe.utils import add_days, getdate, now_datetime, today

from cs_success.engine.plays import least_loaded, may_start, within_cap
from cs_success.ledger.queries import mrr_company, mrr_on_days
from cs_success.playbooks.permissions import SERVER_UPDATE_FLAG

OPEN, HELD, SNOOZED, CLOSED = "Open", "Held", "Snoozed", "Closed"
NOT_CLOSED = (OPEN, HELD, SNOOZED)
OUTCOMES = ("Saved", "Churned", "No Effect")
RUN_SAVEPOINT = "cs_success_play_run"


class PlayRunError(frappe.ValidationError):
	pass


@dataclass(frozen=True)
class Candidate:
	"""A customer a trigger found, why, and the document that fired it (an answer, a renewal, an event)."""

	customer: str
	reason: str
	source_doctype: str | None = None
	source_name: str | None = None


def open_key(play: str, customer: str) -> str:
	return f"{play}|{customer}"


def start_runs(play, candidates: list[Candidate], on: date | None = None) -> list[str]:
	"""Start a run of `play` for each candidate that passes the play's conditions and re-enrolment policy,
	in order; runs over the owner's daily cap are Held (no tasks; in the owner's daily digest). Returns
	the names of the runs started (open or held)."""
	if play.is_paused or not candidates:
		return []
	on = getdate(on or today())
	first = {}
	for candidate in candidates:
		first.setdefault(candidate.customer, candidate)
	customers = sorted(first)
	mrr = _mrr_now(customers, on)
	eligible = set(customers_matching(play, customers, mrr))
	history = _run_history(play.name, customers)
	fired = _sources_with_runs(play.name, [c.source_name for c in first.values() if c.source_name])
	chosen = []
	for customer in customers:
		candidate = first[customer]
		if customer not in eligible or (candidate.source_name and candidate.source_name in fired):
			continue
		has_open, last_started = history.get(customer, (False, None))
		if may_start(play.re_enrolment, play.re_enrol_after_days, has_open, last_started, on):
			chosen.append(candidate)
	if not chosen:
		return []
	owners = resolve_owners(play, [c.customer for c in chosen])
	cap = int(frappe.db.get_single_value("CS Settings", "play_daily_cap") or 0)
	starts = within_cap([owners.get(c.customer) for c in chosen], _started_today(on), cap)
	health = _health_now([c.customer for c in chosen])
	started = []
	for candidate, opens in zip(chosen, starts, strict=True):
		name = _insert_run(
			play, candidate, owners.get(candidate.customer), OPEN if opens else HELD, health, mrr
		)
		if name:
			started.append(name)
			if opens:
				from cs_success.playbooks.actions import run_actions

				run_actions(name, play)
	return started


def customers_matching(play, customers: list[str], mrr: dict[str, float]) -> list[str]:
	"""The customers within the play's conditions: customer group and territory (with their children),
	scorecard (the one that scores them now), MRR (`mrr`: customer -> MRR today at the default company,
	from the revenue ledger)."""
	if not customers:
		return []
	filters = {"name": ("in", customers), "disabled": 0}
	if play.customer_group:
		filters["customer_group"] = ("descendants of (inclusive)", play.customer_group)
	if play.territory:
		filters["territory"] = ("descendants of (inclusive)", play.territory)
	matching = frappe.get_all("Customer", filters=filters, pluck="name")
	if play.scorecard and matching:
		scored = set(
			frappe.get_all(
				"Customer Health",
				filters={"name": ("in", matching), "scorecard": play.scorecard},
				pluck="name",
			)
		)
		matching = [name for name in matching if name in scored]
	if (play.min_mrr or play.max_mrr) and matching:
		matching = [
			name
			for name in matching
			if (not play.min_mrr or mrr.get(name, 0.0) >= play.min_mrr)
			and (not play.max_mrr or mrr.get(name, 0.0) <= play.max_mrr)
		]
	return matching


def resolve_owners(play, customers: list[str]) -> dict[str, str | None]:
	"""customer -> who owns its run: the account manager (else CS Settings' default CSM), the default CSM,
	a named user, or the enabled user of a role with the fewest open runs."""
	default_csm = frappe.db.get_single_value("CS Settings", "default_csm")
	if play.owner_rule == "User":
		return dict.fromkeys(customers, play.owner_user)
	if play.owner_rule == "Default CSM":
		return dict.fromkeys(customers, default_csm)
	if play.owner_rule == "Role":
		users = frappe.get_all(
			"Has Role",
			filters={
				"role": play.owner_role,
				"parenttype": "User",
				"parent": ("not in", ("Administrator", "Guest")),
			},
			pluck="parent",
		)
		users = frappe.get_all("User", filters={"name": ("in", users or [""]), "enabled": 1}, pluck="name")
		open_runs = dict(
			frappe.get_all(
				"Play Run",
				filters={"run_owner": ("in", users or [""]), "status": ("in", NOT_CLOSED)},
				fields=["run_owner", "count(name)"],
				group_by="run_owner",
				as_list=True,
			)
		)
		owners = {}
		for customer in customers:
			owner = least_loaded(users, open_runs)
			owners[customer] = owner
			if owner:
				open_runs[owner] = open_runs.get(owner, 0) + 1
		return owners
	managers = dict(
		frappe.get_all(
			"Customer", filters={"name": ("in", customers)}, fields=["name", "account_manager"], as_list=True
		)
	)
	return {customer: managers.get(customer) or default_csm for customer in customers}


def _run_history(play: str, customers: list[str]) -> dict[str, tuple[bool, date | None]]:
	"""customer -> (has a run that is not closed, when its latest run started)."""
	rows = frappe.db.sql(
		"""SELECT customer, MAX(status != 'Closed'), MAX(enrolled_on) FROM `tabPlay Run`
		WHERE play = %(play)s AND customer IN %(customers)s GROUP BY customer""",
		{"play": play, "customers": tuple(customers)},
	)
	return {
		customer: (bool(is_open), getdate(started) if started else None)
		for customer, is_open, started in rows
	}


def _sources_with_runs(play: str, sources: list[str]) -> set[str]:
	"""The documents (answers, renewals, events) that already started a run of this play: one each."""
	if not sources:
		return set()
	return set(
		frappe.get_all(
			"Play Run", filters={"play": play, "source_name": ("in", sources)}, pluck="source_name"
		)
	)


def _started_today(on: date) -> dict[str, int]:
	"""owner -> runs started for them today that made tasks (not held ones)."""
	return dict(
		frappe.db.sql(
			"""SELECT run_owner, COUNT(*) FROM `tabPlay Run`
			WHERE enrolled_on >= %(day)s AND enrolled_on < %(next)s AND status != 'Held' AND run_owner IS NOT NULL
			GROUP BY run_owner""",
			{"day": on, "next": add_days(on, 1)},
		)
	)


def _health_now(customers: list[str]) -> dict[str, tuple]:
	return {
		name: (band, score)
		for name, band, score in frappe.get_all(
			"Customer Health",
			filters={"name": ("in", customers)},
			fields=["name", "band", "score"],
			as_list=True,
		)
	}


def _mrr_now(customers: list[str], on: date) -> dict[str, float]:
	"""MRR on `on` at the company of "MRR now" for the whole site (ledger/queries.py mrr_company with no
	user: the site's default company), whoever's session evaluates the play."""
	company = mrr_company()
	if not company:
		return {}
	return mrr_on_days(company, [on], customers).get(on, {})


def _insert_run(
	play, candidate: Candidate, owner: str | None, status: str, health: dict, mrr: dict
) -> str | None:
	"""Insert one run; None when another transaction holds an open run of the same customer and play (the
	unique open key), which is then left as it is."""
	band, score = health.get(candidate.customer, (None, None))
	doc = frappe.get_doc(
		{
			"doctype": "Play Run",
			"play": play.name,
			"customer": candidate.customer,
			"reason": candidate.reason,
			"status": status,
			"run_owner": owner,
			"enrolled_on": now_datetime(),
			"band_at_start": band,
			"score_at_start": score,
			"mrr_at_start": mrr.get(candidate.customer),
			"source_doctype": candidate.source_doctype,
			"source_name": candidate.source_name,
		}
	)
	doc.flags[SERVER_UPDATE_FLAG] = True
	frappe.db.savepoint(RUN_SAVEPOINT)
	try:
		doc.insert(ignore_permissions=True)
	except (frappe.UniqueValidationError, frappe.DuplicateEntryError):
		frappe.db.rollback(save_point=RUN_SAVEPOINT)
		return None
	return doc.name


# What people do with runs -----------------------------------------------------------------------------
# Each endpoint reads the run locked (FOR UPDATE: two clicks cannot both pass a status check) and checks
# write permission on it as stored, then saves it as the server (playbooks/permissions.py).


def _locked_run(name: str):
	run = frappe.get_doc("Play Run", name, for_update=True)
	run.check_permission("write")
	return run


def _save_as_server(run) -> None:
	run.flags[SERVER_UPDATE_FLAG] = True
	run.save(ignore_permissions=True)


def snooze(names: list[str], until, reason: str) -> int:
	"""Snooze runs until a date, with a reason: they leave the cockpit's open work until then."""
	until = getdate(until)
	reason = (reason or "").strip()
	if not reason:
		frappe.throw(_("Say why the run is snoozed."), PlayRunError)
	if until <= getdate(today()):
		frappe.throw(_("Snooze until a day after today."), PlayRunError)
	count = 0
	for name in names:
		run = _locked_run(name)
		if run.status == CLOSED:
			frappe.throw(_("Run {0} is closed.").format(name), PlayRunError)
		run.update({"status": SNOOZED, "snoozed_until": until, "snooze_reason": reason})
		_save_as_server(run)
		count += 1
	return count


def close(name: str, outcome: str, note: str | None = None) -> None:
	if outcome not in OUTCOMES:
		frappe.throw(
			_("The outcome must be one of {0}.").format(", ".join(_(o) for o in OUTCOMES)), PlayRunError
		)
	run = _locked_run(name)
	if run.status == CLOSED:
		frappe.throw(_("Run {0} is closed already.").format(name), PlayRunError)
	run.update({"status": CLOSED, "outcome": outcome, "outcome_note": note, "closed_on": now_datetime()})
	_save_as_server(run)
	# Its open tasks are done with it.
	for todo in frappe.get_all(
		"ToDo", filters={"reference_type": "Play Run", "reference_name": name, "status": "Open"}, pluck="name"
	):
		frappe.db.set_value("ToDo", todo, "status", "Closed")


def start_held(name: str) -> None:
	"""A held run (over the owner's cap that day) started by a person: its tasks are made now, once."""
	run = _locked_run(name)
	if run.status != HELD:
		frappe.throw(_("Run {0} is not held.").format(name), PlayRunError)
	run.db_set("status", OPEN)
	from cs_success.playbooks.actions import run_actions

	run_actions(name, frappe.get_cached_doc("Play", run.play))


def wake_snoozed(on: date | None = None) -> int:
	"""Daily: runs whose snooze ended are open again."""
	on = getdate(on or today())
	names = frappe.get_all("Play Run", filters={"status": SNOOZED, "snoozed_until": ("<=", on)}, pluck="name")
	for name in names:
		frappe.db.set_value("Play Run", name, "status", OPEN)
	return len(names)


# --- the Customer's merge, rename and delete (cs_success/customer.py asks each domain to fold its own)


def fold_customer_runs(old_name: str, new_name: str) -> None:
	"""One open run per customer and play: where both have one, the survivor's stays and the merged one's
	closes (no effect); the merged one's other open runs move over under the survivor's key."""
	survivors = set(
		frappe.get_all("Play Run", filters={"customer": new_name, "status": ("in", NOT_CLOSED)}, pluck="play")
	)
	for run in frappe.get_all(
		"Play Run", filters={"customer": old_name, "status": ("in", NOT_CLOSED)}, fields=["name", "play"]
	):
		if run.play in survivors:
			values = {
				"status": CLOSED,
				"open_key": None,
				"outcome": "No Effect",
				"outcome_note": _("Merged into {0}, which has its own run of this play.").format(new_name),
				"closed_on": now_datetime(),
			}
		else:
			values = {"open_key": open_key(run.play, new_name)}
		frappe.db.set_value("Play Run", run.name, values, update_modified=False)


def rekey_open_runs(customer: str) -> None:
	"""After a rename: open runs are keyed by the customer's name (one per customer and play)."""
	frappe.db.sql(
		"""UPDATE `tabPlay Run` SET open_key = CONCAT(play, '|', customer)
		WHERE customer = %(customer)s AND status != 'Closed'""",
		{"customer": customer},
	)


def delete_customer_runs(customer: str, archive) -> None:
	"""Play runs, and the tasks they made, go with the customer they were about (`archive` keeps copies)."""
	if names := frappe.get_all("Play Run", filters={"customer": customer}, pluck="name"):
		archive(
			"ToDo",
			frappe.get_all(
				"ToDo",
				filters={"reference_type": "Play Run", "reference_name": ("in", names)},
				pluck="name",
			),
		)
		archive("Play Run", names)
