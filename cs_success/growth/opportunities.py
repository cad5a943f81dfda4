"""Expansion opportunities in the ERP's sales pipeline: an ERPNext Opportunity (or, where Frappe CRM is
installed, a CRM Deal: not built yet) for a customer with room to grow, at most one open per customer.

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
from frappe.utils import add_days, escape_html, flt, getdate, now_datetime, today

from cs_success.engine.expansion import GROWING, PROMOTER, RENEWAL_ROOM, SEAT_PRESSURE, WHITE_SPACE

EXPANSION_TYPE = "Expansion"
CS_SOURCE = "Customer Success"
# An opportunity still in play; Converted, Lost and Closed ones are settled.
OPEN_STATUSES = ("Open", "Replied", "Quotation")
# How far ahead the propensity looks, and so the expected closing.
HORIZON_DAYS = 90
# Expansion movements this long after an opportunity are credited to it.
SOURCED_WITHIN_DAYS = 120


def open_expansion_opportunities(names: Sequence[str] | None = None) -> dict[str, str]:
	"""customer -> its open expansion opportunity (the newest)."""
	filters = {
		"opportunity_from": "Customer",
		"opportunity_type": EXPANSION_TYPE,
		"status": ("in", OPEN_STATUSES),
	}
	if names is not None:
		if not names:
			return {}
		filters["party_name"] = ("in", list(names))
	rows = frappe.get_all(
		"Opportunity", filters=filters, fields=["name", "party_name"], order_by="creation asc"
	)
	return {row.party_name: row.name for row in rows}


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


def _first_sales_stage() -> str:
	"""ERPNext's default stage (Prospecting) where the site has it, else its first: a site whose setup
	wizard never ran has none, and the Opportunity's default would fail as a missing link."""
	if frappe.db.exists("Sales Stage", "Prospecting"):
		return "Prospecting"
	stage = frappe.db.get_value("Sales Stage", {}, "name", order_by="creation asc")
	if not stage:
		frappe.throw(_("ERPNext has no Sales Stage yet: add one (the setup wizard adds Prospecting) first."))
	return stage


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
	from cs_success.growth.propensity import base_rate
	from cs_success.ledger.queries import days_to_next_renewal, mrr_company

	company = mrr_company() or frappe.db.get_value("Company", {}, "name", order_by="creation asc")
	currency = frappe.get_cached_value("Company", company, "default_currency")
	probability = flt(health.expansion_propensity) if health.has_expansion_propensity else 100.0 * base_rate()
	closing = add_days(getdate(today()), HORIZON_DAYS)
	renewal = days_to_next_renewal(today(), [customer]).get(customer)
	if renewal is not None and renewal < HORIZON_DAYS:
		closing = add_days(getdate(today()), max(int(renewal), 1))
	signals = json.loads(health.expansion_signals)
	items = []
	if health.expansion_next_plan:
		from cs_success.growth.plans import current_seats, plan_ladder

		plans = plan_ladder()
		step = plans.get(health.expansion_next_plan)
		seats = current_seats([customer], getdate(today()), plans).get(customer)
		if step and step.item:
			# A year of the next plan for the seats the customer has: the deal sales would quote.
			items.append(
				{
					"item_code": step.item,
					"qty": seats.seats if seats else 1,
					"rate": 12.0 * step.monthly_unit_price,
				}
			)
	amount = 12.0 * flt(health.expansion_uplift_mrr) if health.has_expansion_uplift else 0.0
	lines = signal_texts(signals)
	if health.expansion_item_groups:
		lines.append(_("Item groups to offer: {0}.").format(health.expansion_item_groups))
	doc = frappe.get_doc(
		{
			"doctype": "Opportunity",
			"sales_stage": _first_sales_stage(),
			"opportunity_from": "Customer",
			"party_name": customer,
			"opportunity_type": EXPANSION_TYPE,
			"source": CS_SOURCE if frappe.db.exists("Lead Source", CS_SOURCE) else None,
			"company": company,
			"currency": currency,
			"transaction_date": today(),
			"expected_closing": closing,
			"opportunity_amount": amount,
			"probability": round(min(max(probability, 0.0), 100.0), 1),
			"opportunity_owner": owner or frappe.session.user,
			"items": items,
			"notes": [
				{
					# The note is a Text Editor (HTML): the signals are text, escaped.
					"note": "<br>".join(escape_html(line) for line in lines),
					"added_by": owner or frappe.session.user,
					"added_on": now_datetime(),
				}
			],
		}
	)
	doc.insert()
	if owner and doc.owner != owner:
		# Made by a play's job (as Administrator) for the run's owner: theirs, as if they had made it, so
		# their if-owner rule shows it to them.
		doc.db_set("owner", owner, update_modified=False)
	frappe.db.set_value("Customer Health", customer, "expansion_opportunity", doc.name, update_modified=False)
	return doc.name, True


def play_action(run, play, row, customer_name):
	"""The play action "Expansion Opportunity" (hooks.py `cs_success_play_actions`): the customer's
	expansion opportunity, owned by the run's owner; none when it shows no signal any more."""
	if not frappe.db.get_value("Customer Health", run.customer, "has_expansion_signal"):
		return None
	create_expansion_opportunity(run.customer, owner=run.run_owner or None)
	return None


def open_pipeline_value(company: str | None, customers: Sequence[str] | None = None) -> float | None:
	"""The amount of the open expansion opportunities in company currency (of a company, of some
	customers); None when there are none. ERPNext fills the base amount in the browser only: an
	Opportunity made on the server has the amount and its conversion rate."""
	conditions = ["opportunity_type = %(type)s", "status IN %(open)s", "opportunity_from = 'Customer'"]
	params = {"type": EXPANSION_TYPE, "open": OPEN_STATUSES}
	if company:
		conditions.append("company = %(company)s")
		params["company"] = company
	if customers is not None:
		conditions.append("party_name IN %(customers)s")
		params["customers"] = tuple(customers) or ("",)
	count, amount = frappe.db.sql(
		f"""SELECT COUNT(*), SUM(IF(IFNULL(base_opportunity_amount, 0) != 0, base_opportunity_amount,
			opportunity_amount * IF(IFNULL(conversion_rate, 0) = 0, 1, conversion_rate)))
		FROM `tabOpportunity` WHERE {" AND ".join(conditions)}""",
		params,
	)[0]
	return flt(amount) if count else None


def cs_sourced_expansion(
	start, end, company: str | None, customers: Sequence[str] | None = None
) -> tuple[float, float]:
	"""(CS-sourced, all) Expansion MRR dated in [start, end]: a movement is CS-sourced when an expansion
	opportunity for its customer (any status but Lost) was opened in the SOURCED_WITHIN_DAYS before it."""
	from cs_success.engine.ledger import EXPANSION
	from cs_success.ledger.queries import movements_between

	movements = movements_between(EXPANSION, start, end, company, customers)
	if not movements:
		return 0.0, 0.0
	opened = {}
	for row in frappe.get_all(
		"Opportunity",
		filters={
			"opportunity_type": EXPANSION_TYPE,
			"opportunity_from": "Customer",
			"status": ("!=", "Lost"),
			"party_name": ("in", list({customer for customer, _d, _a in movements})),
		},
		fields=["party_name", "transaction_date"],
	):
		opened.setdefault(row.party_name, []).append(getdate(row.transaction_date))
	sourced = sum(
		amount
		for customer, day, amount in movements
		if any(0 <= (day - when).days <= SOURCED_WITHIN_DAYS for when in opened.get(customer, ()))
	)
	return sourced, sum(amount for _c, _d, amount in movements)
