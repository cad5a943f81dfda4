"""Which customers each play's trigger finds, set-based: a query or two per play for a whole batch of
customers, never one per document or per customer, and never in the request that saved a document.

Two moments (BENCHMARKS.md keeps the hook overhead where it was: nothing here runs in a hook):
- after a recompute (the pipeline in jobs.py tells playbooks/evaluation.py after_recompute), for the
  customers just scored: a band entered, a score that dropped, an unhappy survey answer;
- once a day (playbooks/evaluation.py run_daily), for everyone: a renewal coming due, no touchpoint for a while, usage
  down, an overdue success-plan objective, a new customer, a customer who churned, a churn risk at or above
  a share.
Each trigger returns Candidates; playbooks/runs.py decides which of them start a run. TRIGGERS, at the
end, is the registry: a trigger's name, when it is evaluated, its finder and the play fields it needs;
the Play doctype's options follow it (cs_success/tests/test_registries.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import frappe
from frappe import _
from frappe.utils import add_days, getdate, now_datetime

from cs_success.engine.ledger import ACQUIRED, CHURNED
from cs_success.engine.plays import score_dropped, usage_drop_percent, usage_dropped
from cs_success.engine.survey_metrics import needs_follow_up
from cs_success.health.snapshots import scores_on_or_before
from cs_success.ledger import queries as ledger
from cs_success.playbooks.runs import Candidate
from cs_success.touchpoints.record import last_team_contact

BAND_ENTERED = "Health Band Entered"
SCORE_DROPPED = "Score Dropped"
UNHAPPY_ANSWER = "Unhappy Survey Answer"
RENEWAL_DUE = "Renewal Due"
NO_TOUCHPOINT = "No Touchpoint"
USAGE_DOWN = "Usage Down"
OBJECTIVE_OVERDUE = "Objective Overdue"
NEW_CUSTOMER = "New Customer"
CUSTOMER_CHURNED = "Customer Churned"
CHURN_RISK_ABOVE = "Churn Risk Above"
EXPANSION_SIGNAL = "Expansion Signal"
PROMOTER = "Promoter"
# When a trigger is evaluated: after each recompute batch, for the customers just scored (its finder
# takes the play, the batch's outcomes and the day), or once a day for everyone (the play and the day).
AFTER_RECOMPUTE = "After Recompute"
DAILY = "Daily"
RENEWAL_FIELDS = ("name", "customer", "agreement", "due_date")
# Answers older than this are not followed up when a play is created or a drain was missed for long.
ANSWER_WINDOW_DAYS = 7
USAGE_WINDOW_DAYS = 30
# A churn or a new customer older than this does not start a play created later.
EVENT_WINDOW_DAYS = 30


def active_plays(triggers) -> list:
	# Plain SQL: asked after every recompute batch, even of one customer.
	names = frappe.db.sql_list(
		"SELECT name FROM `tabPlay` WHERE `trigger` IN %(triggers)s AND is_paused = 0 ORDER BY name",
		{"triggers": tuple(triggers) or ("",)},
	)
	return [frappe.get_cached_doc("Play", name) for name in names]


# After a recompute ------------------------------------------------------------------------------------


def band_entered(play, outcomes, today: date) -> list[Candidate]:
	"""Customers whose band changed into the play's band in this recompute (not a first scoring), with
	their weakest measures; the band alert raised for it (if alerts are on) is the run's source."""
	from cs_success.health.config import measure_label

	entered = [
		o
		for o in outcomes
		if o.previous is not None and o.band_changed and o.band == play.band and o.previous.band != play.band
	]
	if not entered:
		return []
	alerts = dict(
		frappe.get_all(
			"Customer Health Alert",
			filters={
				"customer": ("in", [o.customer.name for o in entered]),
				"band": play.band,
				"status": "Open",
			},
			fields=["customer", "name"],
			as_list=True,
		)
	)
	candidates = []
	for o in entered:
		weakest = ", ".join(
			_("{0} ({1:.0f}/100)").format(_(measure_label(m.key)), m.score)
			for m in o.result.worst_measures(3)
		)
		alert = alerts.get(o.customer.name)
		candidates.append(
			Candidate(
				o.customer.name,
				_("{0} entered {1} (health score {2}). Weakest measures: {3}").format(
					o.customer.customer_name,
					_(o.band),
					f"{o.score:.0f}" if o.score is not None else "-",
					weakest or _("none"),
				),
				"Customer Health Alert" if alert else None,
				alert,
			)
		)
	return candidates


def score_drop(play, outcomes, today: date) -> list[Candidate]:
	"""Customers whose score is at least `points` below their score `days` ago (their health then:
	health/snapshots.py)."""
	moved = [o for o in outcomes if o.score is not None]
	if not moved:
		return []
	then = scores_on_or_before([o.customer.name for o in moved], add_days(today, -int(play.days)))
	return [
		Candidate(
			o.customer.name,
			_("Health score {0}, down from {1} {2} days ago.").format(
				f"{o.score:.0f}", f"{then[o.customer.name]:.0f}", int(play.days)
			),
		)
		for o in moved
		if score_dropped(o.score, then.get(o.customer.name), play.points)
	]


def unhappy_answers(play, outcomes, today: date) -> list[Candidate]:
	"""The customers' survey answers of the last days that need a follow-up (an NPS detractor, CSAT 1-2,
	CES 1-3, or at most the campaign's threshold), each answer once."""
	customers = [o.customer.name for o in outcomes]
	if not customers:
		return []
	# Answers with a headline score: only the headline type tells, as the score is an Int column (NOT NULL,
	# default 0) and an NPS 0 is the unhappiest answer there is. Plain SQL, not frappe.get_all: this runs
	# after every recompute batch, even of one customer, and get_all's own cost would be most of it.
	answers = frappe.db.sql(
		f"""SELECT name, customer, campaign, headline_type, headline_score, category
		FROM `tabSurvey Response`
		WHERE customer IN %(customers)s AND creation >= %(since)s
			AND {"headline_type = %(type)s" if play.question_type else "IFNULL(headline_type, '') != ''"}
		ORDER BY creation""",
		{
			"customers": tuple(customers),
			"since": add_days(now_datetime(), -ANSWER_WINDOW_DAYS),
			"type": play.question_type,
		},
		as_dict=True,
	)
	if not answers:
		return []
	campaigns = tuple({a.campaign for a in answers if a.campaign})
	thresholds = dict(
		frappe.db.sql(
			"SELECT name, follow_up_threshold FROM `tabSurvey Campaign` WHERE name IN %(campaigns)s",
			{"campaigns": campaigns},
		)
		if campaigns
		else ()
	)
	return [
		Candidate(
			a.customer,
			_("Answered {0} {1} ({2}).").format(a.headline_type, a.headline_score, _(a.category or "")),
			"Survey Response",
			a.name,
		)
		for a in answers
		if needs_follow_up(a.headline_type, int(a.headline_score), thresholds.get(a.campaign) or None)
	]


# Daily ------------------------------------------------------------------------------------------------


def renewals_due(play, today: date) -> list[Candidate]:
	"""Agreement terms (revenue ledger) due within `days` whose renewal is still pending; each term once."""
	return [
		Candidate(
			row.customer,
			_("{0} is due for renewal on {1}.").format(row.agreement, frappe.format(row.due_date, "Date")),
			"Agreement Renewal",
			row.name,
		)
		for row in ledger.renewals_due(
			today, add_days(today, int(play.days)), outcome=ledger.PENDING, fields=RENEWAL_FIELDS
		)
	]


def no_touchpoint(play, today: date) -> list[Candidate]:
	"""Customers active today (revenue ledger) with no touchpoint by the team for `days` days (the health
	measure's definition of contact). Two grouped reads: who is active, and every customer's last contact."""
	today = getdate(today)
	active = ledger.active_on_days([today])[today]
	if not active:
		return []
	last_touch = last_team_contact()  # the team's contact: tickets and survey answers are not it
	since = getdate(add_days(today, -int(play.days)))
	quiet = [
		(customer, last_touch.get(customer))
		for customer in sorted(active)
		if not last_touch.get(customer) or getdate(last_touch[customer]) < since
	]
	return [
		Candidate(
			customer,
			_("No touchpoint since {0}.").format(frappe.format(getdate(last), "Date"))
			if last
			else _("No touchpoint recorded."),
		)
		for customer, last in quiet
	]


def usage_down(play, today: date) -> list[Candidate]:
	"""Usage (the play's metric, or all) over the last 30 days at least `percent` below the 30 before."""
	params = {
		"recent": add_days(today, -USAGE_WINDOW_DAYS),
		"before": add_days(today, -2 * USAGE_WINDOW_DAYS),
		"end": add_days(today, 1),
		"metric": play.usage_metric,
	}
	metric = " AND metric = %(metric)s" if play.usage_metric else ""
	rows = frappe.db.sql(
		f"""SELECT customer,
			SUM(IF(recorded_on >= %(recent)s, value, 0)), SUM(IF(recorded_on < %(recent)s, value, 0))
		FROM `tabCustomer Usage Record`
		WHERE recorded_on >= %(before)s AND recorded_on < %(end)s {metric}
		GROUP BY customer""",
		params,
	)
	return [
		Candidate(
			customer,
			_("Usage down {0} % on the 30 days before ({1} against {2}).").format(
				f"{usage_drop_percent(recent, before):.0f}", f"{recent:g}", f"{before:g}"
			),
		)
		for customer, recent, before in rows
		if usage_dropped(recent, before, play.percent)
	]


def churn_risk_above(play, today: date) -> list[Candidate]:
	"""Customers whose churn risk in 90 days (risk/scoring.py, from the current usable model) is at or above
	the play's `percent`. A customer without a known risk is never found: unknown is not low, nor high."""
	rows = frappe.db.sql(
		"""SELECT name, churn_risk_90 FROM `tabCustomer Health`
		WHERE has_churn_risk_90 = 1 AND churn_risk_90 >= %(percent)s""",
		{"percent": float(play.percent or 0)},
	)
	return [
		Candidate(
			customer,
			_("Churn risk in 90 days {0}% (the play starts at {1}%).").format(
				f"{risk:.1f}", f"{play.percent:g}"
			),
		)
		for customer, risk in rows
	]


def expansion_signals(play, today: date) -> list[Candidate]:
	"""Customers showing room to grow (growth/signals.py, written by the daily run before the plays), with
	no open expansion opportunity yet; with the play's `min_mrr`, only an estimated uplift at least that."""
	rows = frappe.db.sql(
		"""SELECT name, expansion_signals, has_expansion_uplift, expansion_uplift_mrr FROM `tabCustomer Health`
		WHERE has_expansion_signal = 1 AND IFNULL(expansion_opportunity, '') = ''""",
	)
	floor = float(play.min_mrr or 0)
	found = []
	for customer, signals, has_uplift, uplift in rows:
		if floor and not (has_uplift and uplift >= floor):
			continue
		kinds = [signal.get("kind") for signal in frappe.parse_json(signals or "[]")]
		found.append(
			Candidate(
				customer,
				_("Room to grow: {0}.").format(
					", ".join(_(EXPANSION_SIGNAL_LABELS[k]) for k in kinds if k in EXPANSION_SIGNAL_LABELS)
				),
			)
		)
	return found


def promoters(play, today: date) -> list[Candidate]:
	"""Promoters in good health who may be asked for advocacy today. The rules (never at risk, not too
	often) are growth's, a layer above: its finder is registered under the hook `cs_success_play_finders`."""
	return registered_finder(PROMOTER)(play, today)


def registered_finder(trigger: str):
	paths = frappe.get_hooks("cs_success_play_finders").get(trigger)
	if not paths:
		raise KeyError(trigger)
	return frappe.get_attr(paths[-1])


# The expansion signals' codes (engine/expansion.py) as a play's reason names them.
EXPANSION_SIGNAL_LABELS = {
	"seat_pressure": "seats nearly full",
	"growing": "usage growing",
	"promoter": "a promoter",
	"white_space": "item groups peers buy",
	"renewal_room": "renewal coming",
}


def objectives_overdue(play, today: date) -> list[Candidate]:
	"""Objectives of active success plans past their due date and not achieved; each objective once."""
	rows = frappe.db.sql(
		"""SELECT plan.customer, objective.name, objective.objective, objective.due_date
		FROM `tabSuccess Plan Objective` objective
		JOIN `tabSuccess Plan` plan ON plan.name = objective.parent
		WHERE objective.parenttype = 'Success Plan' AND plan.status = 'Active'
			AND objective.due_date < %(today)s AND objective.status NOT IN ('Achieved', 'Missed')
		ORDER BY objective.due_date""",
		{"today": today},
	)
	return [
		Candidate(
			customer,
			_("Objective {0} was due on {1}.").format(objective, frappe.format(getdate(due), "Date")),
			"Success Plan Objective",
			name,
		)
		for customer, name, objective, due in rows
	]


def _lifecycle_events(event_type: str, window_days: int, reason: str, today: date) -> list[Candidate]:
	"""Ledger events of a type within the last `window_days` days; each event once."""
	return [
		Candidate(
			row.customer,
			reason.format(frappe.format(row.event_date, "Date")),
			"Customer Lifecycle Event",
			row.name,
		)
		for row in ledger.lifecycle_events(
			event_type, add_days(today, -window_days), today, fields=("name", "customer", "event_date")
		)
	]


def new_customers(play, today: date) -> list[Candidate]:
	"""Onboarding: customers acquired (revenue ledger) within `days` days."""
	return _lifecycle_events(ACQUIRED, int(play.days), _("Became a customer on {0}."), today)


def churned_customers(play, today: date) -> list[Candidate]:
	"""Win-back: customers who churned (revenue ledger) within the last EVENT_WINDOW_DAYS days."""
	return _lifecycle_events(CHURNED, EVENT_WINDOW_DAYS, _("Churned on {0}."), today)


# The registry ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Trigger:
	name: str
	evaluated: str  # AFTER_RECOMPUTE or DAILY
	finder: Callable[..., list[Candidate]]
	# Play fields the trigger needs, each set and more than 0 (checked when the play is saved).
	settings: tuple[str, ...] = ()


# In the order the Play form offers them.
TRIGGERS: tuple[Trigger, ...] = (
	Trigger(BAND_ENTERED, AFTER_RECOMPUTE, band_entered, ("band",)),
	Trigger(SCORE_DROPPED, AFTER_RECOMPUTE, score_drop, ("points", "days")),
	Trigger(UNHAPPY_ANSWER, AFTER_RECOMPUTE, unhappy_answers),
	Trigger(RENEWAL_DUE, DAILY, renewals_due, ("days",)),
	Trigger(NO_TOUCHPOINT, DAILY, no_touchpoint, ("days",)),
	Trigger(USAGE_DOWN, DAILY, usage_down, ("percent",)),
	Trigger(OBJECTIVE_OVERDUE, DAILY, objectives_overdue),
	Trigger(NEW_CUSTOMER, DAILY, new_customers, ("days",)),
	Trigger(CUSTOMER_CHURNED, DAILY, churned_customers),
	Trigger(CHURN_RISK_ABOVE, DAILY, churn_risk_above, ("percent",)),
	Trigger(EXPANSION_SIGNAL, DAILY, expansion_signals),
	Trigger(PROMOTER, DAILY, promoters),
)
TRIGGERS_BY_NAME: dict[str, Trigger] = {trigger.name: trigger for trigger in TRIGGERS}


def finders(evaluated: str) -> dict[str, Callable[..., list[Candidate]]]:
	"""Trigger name -> finder, for the triggers evaluated at that moment."""
	return {trigger.name: trigger.finder for trigger in TRIGGERS if trigger.evaluated == evaluated}


AFTER_RECOMPUTE_FINDERS = finders(AFTER_RECOMPUTE)
DAILY_FINDERS = finders(DAILY)
