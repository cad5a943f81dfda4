# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

"""Who has room to grow: every customer showing an expansion signal, each signal in words, the propensity
to expand within 90 days (empty without a usable model), the estimated uplift in MRR and ARR (for users
who may read invoices), the step it suggests, the owner and the open expansion opportunity. The summary
sets the pipeline beside what the ledger then recorded: CS-sourced expansion (Expansion movements within
120 days after an expansion opportunity) against all expansion, over the chosen period."""

import frappe
from frappe import _
from frappe.utils import add_days, escape_html, getdate, today

from cs_success.analytics import column, interactive_report, summary
from cs_success.base.permissions import enabled_customers_only, may_see_revenue, segment_customers
from cs_success.engine.expansion import SIGNAL_ORDER
from cs_success.growth.opportunities import (
	SIGNAL_LABELS,
	cs_sourced_expansion,
	open_pipeline_value,
	signal_texts,
)
from cs_success.growth.pipeline import sales_pipeline
from cs_success.growth.propensity import USABLE_VERDICT, current_model_row
from cs_success.growth.signals import signal_summary
from cs_success.ledger.queries import mrr_company

VERDICT_INDICATORS = {USABLE_VERDICT: "Green", "No Better Than Chance": "Red", "Too Little Data": "Grey"}
# The period the sourced figures cover unless the filters say otherwise.
DEFAULT_DAYS = 90
FIELDS = (
	"customer", "customer_name", "band", "account_manager", "expansion_signals", "has_expansion_uplift",
	"expansion_uplift_mrr", "expansion_next_plan", "expansion_item_groups", "has_expansion_propensity",
	"expansion_propensity", "expansion_opportunity",
)  # fmt: skip


@interactive_report("Expansion Opportunities")
@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	revenue = may_see_revenue()
	data = get_data(filters, revenue)
	model = current_model_row()
	chart = get_chart(data)
	for row in data:
		del row["_kinds"]
	return get_columns(revenue), data, get_message(model), chart, get_summary(filters, data, model, revenue)


def get_columns(revenue: bool) -> list[dict]:
	columns = [
		column("customer", _("Customer"), "Link", 160, "Customer"),
		column("customer_name", _("Customer Name"), "Data", 180),
		column("band", _("Band"), "Data", 110),
		column("signals", _("Signals"), "Data", 360),
		column("propensity", _("Expansion Propensity in 90 Days"), "Percent", 140, precision=1),
	]
	if revenue:
		columns += [
			column("uplift_mrr", _("Estimated Uplift (MRR)"), "Currency", 140),
			column("uplift_arr", _("Estimated Uplift (ARR)"), "Currency", 140),
		]
	return [
		*columns,
		column("next_plan", _("Next Plan"), "Link", 140, "Subscription Plan"),
		column("item_groups", _("Item Groups Peers Buy"), "Data", 180),
		column("account_manager", _("Owner"), "Link", 140, "User"),
		# An ERPNext Opportunity, or a CRM Deal where Frappe CRM is installed.
		column("opportunity", _("Open Expansion Opportunity"), "Link", 170, sales_pipeline().doctype),
	]


def get_data(filters, revenue: bool) -> list[dict]:
	"""Customers with a signal, highest propensity first (unknown last), then the largest uplift."""
	conditions = {"has_expansion_signal": 1}
	customers = segment_customers(filters)
	if customers is not None:
		conditions["customer"] = ("in", customers or [""])
	if filters.get("owner"):
		conditions["account_manager"] = filters.owner
	records = frappe.get_all(
		"Customer Health",
		filters=enabled_customers_only(conditions),
		fields=list(FIELDS),
	)
	rows = []
	for r in records:
		uplift = r.expansion_uplift_mrr if r.has_expansion_uplift else None
		signals = signal_summary(r.expansion_signals)
		row = {
			"_kinds": [signal.get("kind") for signal in signals],
			"customer": r.customer,
			"customer_name": escape_html(r.customer_name or ""),
			"band": r.band,
			# Words built from names others typed (item groups): text, escaped for the grid's HTML.
			"signals": escape_html(" ".join(signal_texts(signals))),
			"propensity": r.expansion_propensity if r.has_expansion_propensity else None,
			"next_plan": r.expansion_next_plan,
			"item_groups": escape_html(r.expansion_item_groups or ""),
			"account_manager": r.account_manager,
			"opportunity": r.expansion_opportunity,
			"_uplift": uplift,
		}
		if revenue:
			row["uplift_mrr"] = uplift
			row["uplift_arr"] = 12.0 * uplift if uplift is not None else None
		rows.append(row)
	rows.sort(key=lambda row: (-(row["propensity"] or -1), -(row["_uplift"] or 0), row["customer"]))
	for row in rows:
		del row["_uplift"]
	return rows


def get_message(model) -> str:
	if not model:
		text = _(
			"No expansion propensity model yet: it is fitted monthly, after install on a site with history, or when a CS Manager presses Refit Propensity."
		)
	elif model.verdict == USABLE_VERDICT:
		text = _(
			"Propensity: on the later dates the model ranks expansion better than chance (AUC {0}, 95% interval {1} to {2})."
		).format(f"{model.auc:.3f}", f"{model.auc_low:.3f}", f"{model.auc_high:.3f}")
	elif model.verdict == "No Better Than Chance":
		text = _(
			"The expansion propensity model is no better than chance on the later dates: no propensity is shown."
		)
	else:
		text = _(
			"Too little history to learn expansion propensity (fewer than 100 customers or 10 expansions on the later dates): no propensity is shown."
		)
	return escape_html(text)


def get_chart(rows: list[dict]) -> dict | None:
	"""Customers per signal."""
	if not rows:
		return None
	counts = {kind: 0 for kind in SIGNAL_ORDER}
	for row in rows:
		for kind in set(row["_kinds"]):
			if kind in counts:
				counts[kind] += 1
	return {
		"data": {
			"labels": [_(SIGNAL_LABELS[kind]) for kind in SIGNAL_ORDER],
			"datasets": [{"name": _("Customers"), "values": [counts[kind] for kind in SIGNAL_ORDER]}],
		},
		"type": "bar",
		"colors": ["#5e64ff"],
	}


def get_summary(filters, rows: list[dict], model, revenue: bool) -> list[dict]:
	items = [summary(len(rows), _("Customers With Room to Grow"), "Int", "Blue" if rows else None)]
	if model:
		items.append(
			summary(_(model.verdict), _("Propensity Model"), "Data", VERDICT_INDICATORS.get(model.verdict))
		)
	if not revenue:
		return items
	end = getdate(filters.get("to_date") or today())
	start = getdate(filters.get("from_date") or add_days(end, 1 - DEFAULT_DAYS))
	company = mrr_company(filters.get("company"), frappe.session.user)
	customers = segment_customers(filters)
	sourced, everything = cs_sourced_expansion(start, end, company, customers)
	items += [
		summary(open_pipeline_value(company, customers), _("Open Expansion Pipeline (Amount)"), "Currency"),
		summary(
			sourced if everything else None,
			_("CS-Sourced Expansion MRR"),
			"Currency",
			"Green" if sourced else None,
		),
		summary(everything or None, _("All Expansion MRR"), "Currency"),
	]
	return items
