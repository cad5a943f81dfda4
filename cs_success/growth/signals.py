"""Expansion signals of every customer, set-based, with the daily run (jobs.daily) and the first run: what
each customer shows (engine/expansion.py), the step up it suggests and its MRR, its propensity
(growth/propensity.py) and its open expansion opportunity, on the Customer Health record.

The reads are one query each for everyone (or a list of customers): running subscriptions' plan lines, the
plan ladder, the usage metrics, the decision-makers' recent answers, a year of invoiced item groups per
customer group and territory, the renewals due. Only rows that changed are written."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import date

import frappe
from frappe.utils import add_days, flt, getdate, today

from cs_success.base.bulk import update_rows
from cs_success.engine.expansion import (
	SIGNAL_ORDER,
	CustomerFacts,
	Settings,
	assess,
	seat_share,
)
from cs_success.engine.health_score import CHURNED, HEALTHY
from cs_success.engine.survey_metrics import CSAT, NPS, SCALES
from cs_success.growth.opportunities import open_expansion_opportunities
from cs_success.growth.plans import current_seats, plan_ladder
from cs_success.growth.propensity import propensities
from cs_success.growth.usage import latest_usage
from cs_success.ledger.queries import days_to_next_renewal
from cs_success.ledger.sources import item_group_spend

CHUNK = 5000
FIELDS = (
	"has_expansion_signal", "expansion_signals", "has_expansion_uplift", "expansion_uplift_mrr",
	"expansion_next_plan", "expansion_item_groups", "has_expansion_propensity", "expansion_propensity",
	"expansion_opportunity",
)  # fmt: skip
# A promoter's answer counts this long.
PROMOTER_DAYS = 90
WHITE_SPACE_DAYS = 365
# The lowest top answer per question type: NPS 9-10 (a promoter), CSAT the top of its scale.
TOP_SCORES = {NPS: 9, CSAT: SCALES[CSAT].maximum}


def settings() -> Settings:
	doc = frappe.get_cached_doc("CS Settings")
	return Settings(
		seat_share=flt(doc.get("seat_pressure_share") or 90) / 100.0,
		growth_share=flt(doc.get("usage_growth_share") or 10) / 100.0,
		min_peers=int(doc.get("white_space_min_peers") or 5),
		peer_share=flt(doc.get("white_space_peer_share") or 30) / 100.0,
		renewal_days=int(doc.get("expansion_renewal_days") or 90),
	)


def evaluate_all(day: date | None = None) -> int:
	"""Everyone's signals (the daily run). Returns how many customers show at least one. What is the same for
	every customer (the plan ladder, the year's item groups per segment) is read once, not per chunk."""
	day = getdate(day or today())
	names = frappe.get_all("Customer Health", pluck="name")
	shared = (plan_ladder(), peer_segments(day))
	shown = 0
	for start in range(0, len(names), CHUNK):
		shown += evaluate(names[start : start + CHUNK], day, shared)
	return shown


def evaluate(names: Sequence[str], day: date | None = None, shared: tuple | None = None) -> int:
	"""These customers' signals written on their Customer Health. Returns how many show at least one.
	`shared`: (plan ladder, peer segments) when the caller read them already."""
	day = getdate(day or today())
	names = list(names)
	if not names:
		return 0
	plans, (segments, bought) = shared or (plan_ladder(), peer_segments(day))
	config = settings()
	bands = dict(
		frappe.db.sql(
			"SELECT name, band FROM `tabCustomer Health` WHERE name IN %(names)s", {"names": tuple(names)}
		)
	)
	seats = current_seats(names, day, plans)
	doc = frappe.get_cached_doc("CS Settings")
	seat_metric = (doc.get("seat_usage_metric") or "").strip()
	growth_metric = (doc.get("growth_usage_metric") or "").strip()
	seats_used = latest_usage(seat_metric, names, day) if seat_metric else {}
	usage_now = latest_usage(growth_metric, names, day) if growth_metric else {}
	usage_30 = latest_usage(growth_metric, names, add_days(day, -30)) if growth_metric else {}
	usage_90 = latest_usage(growth_metric, names, add_days(day, -90)) if growth_metric else {}
	promoters = decision_maker_answers(names, day)
	renewals = days_to_next_renewal(day, names)
	opportunities = open_expansion_opportunities(names)
	# The seat shares the propensity reads, from the seats and usage read above (not read again).
	shares = {
		name: share
		for name, used in seats_used.items()
		if (share := seat_share(used, seats[name].seats if name in seats else None)) is not None
	}
	propensity = propensities(names, day, shares)

	customer_segments = {
		name: (group or "", territory or "")
		for name, group, territory in frappe.db.sql(
			"SELECT name, customer_group, territory FROM `tabCustomer` WHERE name IN %(names)s",
			{"names": tuple(names)},
		)
	}
	new, shown = {}, 0
	for name in names:
		band = bands.get(name)
		segment = segments.get(customer_segments.get(name))
		mine = bought.get(name, {})
		result = None
		if band != CHURNED:
			peers = segment["customers"] - (1 if mine else 0) if segment else 0
			facts = CustomerFacts(
				band=band,
				seats=seats.get(name),
				seats_used=seats_used.get(name),
				usage_now=usage_now.get(name),
				usage_30_days_ago=usage_30.get(name),
				usage_90_days_ago=usage_90.get(name),
				promoter_score=promoters.get(name),
				item_groups=frozenset(mine.get("groups", ())),
				days_to_renewal=renewals.get(name),
			)
			# The customer counts among the buyers only of groups it has, which white space never offers.
			result = assess(
				facts,
				config,
				plans,
				segment["buyers"] if segment else {},
				peers,
				segment["spend"] if segment else {},
				HEALTHY,
				TOP_SCORES,
			)
		has_signal = bool(result and result.signals)
		shown += has_signal
		uplift = result.uplift_mrr if has_signal else None
		chance = propensity.get(name)
		new[name] = (
			int(has_signal),
			json.dumps([{"kind": s.kind, **s.values} for s in result.signals]) if has_signal else None,
			int(uplift is not None),
			round(uplift, 2) if uplift is not None else 0.0,
			result.next_plan if has_signal else None,
			", ".join(result.item_groups) if has_signal and result.item_groups else None,
			int(chance is not None),
			round(100.0 * chance, 1) if chance is not None else 0.0,
			opportunities.get(name),
		)
	stored = stored_rows(list(new))
	update_rows("Customer Health", list(FIELDS), {n: v for n, v in new.items() if stored.get(n) != v})
	return shown


def stored_rows(names: list[str]) -> dict[str, tuple]:
	"""name -> the expansion fields as stored, comparable with what `evaluate` computes."""
	stored = {}
	for start in range(0, len(names), CHUNK):
		for name, *values in frappe.db.sql(
			f"SELECT name, {', '.join(f'`{f}`' for f in FIELDS)} FROM `tabCustomer Health` WHERE name IN %(names)s",
			{"names": tuple(names[start : start + CHUNK])},
		):
			stored[name] = tuple(
				round(float(v), 2 if f == "expansion_uplift_mrr" else 1)
				if f in ("expansion_uplift_mrr", "expansion_propensity")
				else (int(v) if f.startswith("has_") else v)
				for f, v in zip(FIELDS, values, strict=True)
			)
	return stored


def decision_maker_answers(names: Sequence[str], day: date) -> dict[str, tuple[str, int]]:
	"""customer -> (question type, score) of the latest NPS or CSAT answer in the last PROMOTER_DAYS from
	its decision-maker: the customer's primary contact, or a contact marked primary."""
	rows = frappe.db.sql(
		"""
		SELECT r.customer, r.headline_type, r.headline_score
		FROM `tabSurvey Response` r
		JOIN `tabCustomer` c ON c.name = r.customer
		JOIN `tabContact` contact ON contact.name = r.contact
		WHERE r.customer IN %(names)s AND r.headline_type IN %(types)s
			AND r.submitted_on >= %(first)s AND r.submitted_on < %(after)s
			AND (contact.is_primary_contact = 1 OR c.customer_primary_contact = r.contact)
		ORDER BY r.submitted_on
		""",
		{
			"names": tuple(names),
			"types": tuple(TOP_SCORES),
			"first": add_days(day, 1 - PROMOTER_DAYS),
			"after": add_days(day, 1),
		},
	)
	return {customer: (kind, int(score)) for customer, kind, score in rows if score is not None}


def peer_segments(day: date) -> tuple[dict, dict]:
	"""The year's invoiced item groups, as (segments, bought): segments[(customer group, territory)] =
	{"customers": n buying anything, "buyers": {item group: n}, "spend": {item group: [monthly spend]}};
	bought[customer] = {"segment": key, "groups": set}."""
	excluded = [
		row.item_group for row in frappe.get_cached_doc("CS Settings").get("one_off_item_groups") or []
	]
	segments = defaultdict(
		lambda: {"customers": set(), "buyers": defaultdict(int), "spend": defaultdict(list)}
	)
	bought = {}
	for customer, group, territory, item_group, amount in item_group_spend(
		add_days(day, 1 - WHITE_SPACE_DAYS), day, excluded
	):
		if flt(amount) <= 0:
			continue  # returned in full: not bought
		key = (group, territory)
		segment = segments[key]
		segment["customers"].add(customer)
		segment["buyers"][item_group] += 1
		segment["spend"][item_group].append(flt(amount) / 12.0)  # a year of invoices: a twelfth a month
		bought.setdefault(customer, {"segment": key, "groups": set()})["groups"].add(item_group)
	return (
		{
			key: {"customers": len(s["customers"]), "buyers": dict(s["buyers"]), "spend": dict(s["spend"])}
			for key, s in segments.items()
		},
		bought,
	)


def signal_summary(signals_json: str | None) -> list[dict]:
	"""The stored signals, in SIGNAL_ORDER."""
	signals = json.loads(signals_json) if signals_json else []
	return sorted(
		signals, key=lambda s: SIGNAL_ORDER.index(s["kind"]) if s.get("kind") in SIGNAL_ORDER else 99
	)
