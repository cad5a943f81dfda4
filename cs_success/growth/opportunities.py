"""Expansion opportunities in the sales pipeline (growth/pipeline.py: an ERPNext Opportunity, or a CRM Deal
where Frappe CRM is installed) for a customer with room to grow, at most one open per customer.

The opportunity carries what customer success knows: the amount (the estimated MRR uplift x 12, an annual
figure), the probability (the customer's expansion propensity; without a usable model, the site's base
rate of expansion, never ERPNext's default of 100), the expected closing (the horizon of that probability,
or the renewal if it comes first), the next plan's item, the source "Customer Success" and the signals as a
note, in words, escaped. Its outcome is followed in the ledger: Expansion movements within
SOURCED_WITHIN_DAYS after it are CS-sourced expansion (ledger/queries.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence

import frappe
from frappe import _
from frappe.utils import add_days, escape_html, flt, getdate, today

from cs_success.engine.expansion import GROWING, PROMOTER, RENEWAL_ROOM, SEAT_PRESSURE, WHITE_SPACE
from cs_success.engine.ledger import EXPANSION
from cs_success.growth.pipeline import Expansion, sales_pipeline
from cs_success.growth.plans import current_seats, plan_ladder
from cs_success.growth.propensity import base_rate
from cs_success.ledger.queries import days_to_next_renewal, movements_between, mrr_company

# How far ahead the propensity looks, and so the expected closing.
HORIZON_DAYS = 90
# Expansion movements this long after an opportunity are credited to it.
SOURCED_WITHIN_DAYS = 120


def open_expansion_opportunities(names: Sequence[str] | None = None) -> dict[str, str]:
	"""customer -> its open expansion opportunity (or CRM Deal)."""
	if names is not None and not names:
		return {}
	return sales_pipeline().open_for(names)


# Each signal's name, as a chart or a play's reason shows it (translated where shown).
SIGNAL_LABELS = {
	SEAT_PRESSURE: "Seats Nearly Full",
	GROWING: "Usage Growing",
	PROMOTER: "Promoter",
	WHITE_SPACE: "White Space",
	RENEWAL_ROOM: "Renewal With Room",
}


def signal_texts(signals: list[dict]) -> list[str]:
	"""Each stored signal in words, translated."""
	texts = []
	for signal in signals:
		kind = signal.get("kind")
		if kind == SEAT_PRESSURE:
			texts.append(
				_("{0} of {1} seats in use ({2}%).").format(
					_number(signal.get("used")),
					_number(signal.get("seats")),
					round(100 * flt(signal.get("share"))),
				)
			)
		elif kind == GROWING:
			texts.append(
				_("Healthy, and usage up {0}% over {1} days.").format(
					round(100 * flt(signal.get("share"))), signal.get("days")
				)
			)
		elif kind == PROMOTER:
			texts.append(
				_("The decision-maker answered {0} {1}.").format(
					signal.get("question_type"), signal.get("score")
				)
			)
		elif kind == WHITE_SPACE:
			texts.append(
				_("Similar customers buy {0}, this one does not ({1} peers).").format(
					", ".join(signal.get("item_groups") or []), signal.get("peers")
				)
			)
		elif kind == RENEWAL_ROOM:
			texts.append(_("Renewal due in {0} days.").format(signal.get("days")))
	return texts


def _number(value) -> str:
	value = flt(value)
	return str(int(value)) if value == int(value) else f"{value:g}"


def create_expansion_opportunity(customer: str, owner: str | None = None) -> tuple[str, bool]:
	"""The customer's expansion opportunity: its open one if it has one, else a new one from what its
	Customer Health shows. (name, made now). Permissions are the caller's to check."""
	existing = open_expansion_opportunities([customer]).get(customer)
	if existing:
		return existing, False
	health = frappe.db.get_value(
		"Customer Health",
		customer,
		[
			"expansion_signals",
			"has_expansion_uplift",
			"expansion_uplift_mrr",
			"expansion_next_plan",
			"expansion_item_groups",
			"has_expansion_propensity",
			"expansion_propensity",
		],
		as_dict=True,
	)
	if not health or not health.expansion_signals:
		frappe.throw(_("{0} shows no sign of room to grow today.").format(customer))
	company = mrr_company() or frappe.db.get_value("Company", {}, "name", order_by="creation asc")
	currency = frappe.get_cached_value("Company", company, "default_currency")
	probability = flt(health.expansion_propensity) if health.has_expansion_propensity else 100.0 * base_rate()
	closing = add_days(getdate(today()), HORIZON_DAYS)
	renewal = days_to_next_renewal(today(), [customer]).get(customer)
	if renewal is not None and renewal < HORIZON_DAYS:
		closing = add_days(getdate(today()), max(int(renewal), 1))
	signals = json.loads(health.expansion_signals)
	step, seats = None, None
	if health.expansion_next_plan:
		plans = plan_ladder()
		step = plans.get(health.expansion_next_plan)
		seats = current_seats([customer], getdate(today()), plans).get(customer)
	lines = signal_texts(signals)
	if health.expansion_item_groups:
		lines.append(_("Item groups to offer: {0}.").format(health.expansion_item_groups))
	name = sales_pipeline().create(
		Expansion(
			customer=customer,
			company=company,
			currency=currency,
			amount=12.0 * flt(health.expansion_uplift_mrr) if health.has_expansion_uplift else 0.0,
			probability=round(min(max(probability, 0.0), 100.0), 1),
			closing=closing,
			owner=owner or frappe.session.user,
			item=step.item if step and step.item else None,
			# A year of the next plan for the seats the customer has: the deal sales would quote.
			item_qty=seats.seats if seats else 1,
			item_rate=12.0 * step.monthly_unit_price if step else 0.0,
			# The note is HTML in both pipelines: the signals are text, escaped.
			note="<br>".join(escape_html(line) for line in lines),
		),
		made_for=owner,
	)
	frappe.db.set_value("Customer Health", customer, "expansion_opportunity", name, update_modified=False)
	return name, True


def play_action(run, play, row, customer_name):
	"""The play action "Expansion Opportunity" (hooks.py `cs_success_play_actions`): the customer's
	expansion opportunity, owned by the run's owner; none when it shows no signal any more."""
	if not frappe.db.get_value("Customer Health", run.customer, "has_expansion_signal"):
		return None
	create_expansion_opportunity(run.customer, owner=run.run_owner or None)
	return None


def open_pipeline_value(company: str | None, customers: Sequence[str] | None = None) -> float | None:
	"""The amount of the open expansion opportunities in company currency (of a company, of some
	customers); None when there are none."""
	return sales_pipeline().open_value(company, customers)


def cs_sourced_expansion(
	start, end, company: str | None, customers: Sequence[str] | None = None
) -> tuple[float, float]:
	"""(CS-sourced, all) Expansion MRR dated in [start, end]: a movement is CS-sourced when an expansion
	opportunity for its customer (any status but Lost) was opened in the SOURCED_WITHIN_DAYS before it."""
	movements = movements_between(EXPANSION, start, end, company, customers)
	if not movements:
		return 0.0, 0.0
	opened = sales_pipeline().opened_on({customer for customer, _d, _a in movements})
	sourced = sum(
		amount
		for customer, day, amount in movements
		if any(0 <= (day - when).days <= SOURCED_WITHIN_DAYS for when in opened.get(customer, ()))
	)
	return sourced, sum(amount for _c, _d, amount in movements)
