"""Expansion propensity: the probability of an Expansion movement in the revenue ledger within 90 days,
learned from the site's own history like churn risk (risk/model.py, engine/churn_risk.py), with another label.

An observation is a Daily snapshot of a customer active in the ledger on a month start whose 90 days have
passed (the score validation's history); its features are the measures' raw values, tenure, and the share
of the paid seats in use that day (the seats metric against the plan quantity of the subscriptions running
then); its label, whether an Expansion movement followed within 90 days. Fitted on the earlier dates and
judged on the later ones; a model that does not beat chance is stored with its verdict and shows no number.
Refitted monthly with churn risk and on a CS Manager's demand."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import date

import frappe
from frappe.utils import add_days, getdate, today

from cs_success.engine.churn_risk import USABLE, RiskModel, fit_risk_model
from cs_success.engine.expansion import expanded_within, seat_share
from cs_success.engine.health_score import CHURNED
from cs_success.engine.ledger import EXPANSION
from cs_success.growth.plans import current_seats, plan_ladder
from cs_success.growth.usage import latest_usage
from cs_success.health.score_validation import measure_raw_values
from cs_success.ledger.queries import acquired_on, active_on_days, movements_between
from cs_success.risk.model import TENURE, VERDICTS, model_fields, stored_model, tenure_days
from cs_success.risk.model import observations as risk_observations

HORIZON = 90
SEAT_SHARE = "seat_share"
MODEL_DOCTYPE = "Expansion Propensity Model"
USABLE_VERDICT = VERDICTS[USABLE]
MODEL_FIELDS = (
	"name", "verdict", "auc", "auc_low", "auc_high", "lift", "base_rate", "n_train", "n_test",
	"customers_test", "events_test", "train_from", "train_to", "test_from", "test_to", "fitted_on",
	"model", "calibration",
)  # fmt: skip


def seat_metric() -> str:
	return (frappe.get_cached_doc("CS Settings").get("seat_usage_metric") or "").strip()


def seat_shares_on(day: date, names: Sequence[str] | None) -> dict[str, float]:
	"""customer -> seats in use over seats paid for on `day` (only where both are known)."""
	metric = seat_metric()
	if not metric:
		return {}
	used = latest_usage(metric, names, day)
	if not used:
		return {}
	seats = current_seats(list(used), day, plan_ladder())
	shares = {}
	for customer, value in used.items():
		share = seat_share(value, seats[customer].seats if customer in seats else None)
		if share is not None:
			shares[customer] = share
	return shares


def expansion_days(on: date) -> dict[str, list[int]]:
	"""customer -> the days (ordinals, sorted) of its Expansion movements up to `on`, at any company."""
	days = defaultdict(list)
	for customer, day, _amount in movements_between(EXPANSION, "1900-01-01", on):
		days[customer].append(day.toordinal())
	return days


def observations(on: date | None = None):
	"""(matrix, keys, expanded, dates, customers) of the history as of `on` (today): churn risk's
	observations (risk/model.py) with the seat share that day as a feature and expansion as the label."""
	on = getdate(on or today())
	expansions = expansion_days(on)
	return risk_observations(
		HORIZON,
		on,
		label=lambda customer, day: expanded_within(expansions, customer, day.toordinal(), HORIZON),
		extra_features={SEAT_SHARE: lambda day: seat_shares_on(day, None)},
	)


def fit(on: date | None = None) -> str | None:
	"""A new Expansion Propensity Model from the history, made current; None with nothing to fit on."""
	matrix, keys, expanded, days, customers = observations(on)
	model = fit_risk_model(matrix, keys, expanded, days, customers, HORIZON) if keys else None
	if model is None:
		return None
	doc = frappe.get_doc({"doctype": MODEL_DOCTYPE, **model_fields(model)})
	frappe.db.set_value(MODEL_DOCTYPE, {"is_current": 1}, "is_current", 0)
	doc.insert(ignore_permissions=True)
	return doc.name


def current_model_row():
	"""The current model's figures, usable or not; None before any fit."""
	rows = frappe.get_all(
		MODEL_DOCTYPE,
		filters={"is_current": 1},
		fields=list(MODEL_FIELDS),
	)
	return rows[0] if rows else None


def current_model() -> RiskModel | None:
	"""The current model when it is usable; None otherwise (an unusable model shows no probability)."""
	row = current_model_row()
	if not row or row.verdict != USABLE_VERDICT:
		return None
	return stored_model(row.model, HORIZON, base_rate=(row.base_rate or 0) / 100.0)


def propensities(
	names: Sequence[str], day: date | None = None, seat_shares: dict[str, float] | None = None
) -> dict[str, float]:
	"""customer -> its probability (0-1) of expanding within 90 days; empty without a usable model.
	`seat_shares`: the customers' seat shares on `day` when the caller has them (the daily evaluation)."""
	model = current_model()
	if model is None or not names:
		return {}
	day = getdate(day or today())
	acquired = acquired_on(list(names))
	shares = seat_shares if seat_shares is not None else seat_shares_on(day, list(names))
	rows = frappe.db.sql(
		"SELECT name, contributions FROM `tabCustomer Health` WHERE name IN %(names)s AND band != %(churned)s",
		{"names": tuple(names), "churned": CHURNED},
	)
	values = [
		{
			**measure_raw_values(contributions),
			TENURE: tenure_days(acquired.get(name), day),
			SEAT_SHARE: shares.get(name),
		}
		for name, contributions in rows
	]
	predicted = model.predict_many(values) if values else []
	return {name: float(p) for (name, _c), p in zip(rows, predicted, strict=True)}


def base_rate(day: date | None = None) -> float:
	"""The share of customers that expand within 90 days: the current model's training base rate, else
	the ledger's over the last 90 days (customers active 90 days ago who expanded since)."""
	row = current_model_row()
	if row and row.base_rate is not None and row.n_train:
		return float(row.base_rate) / 100.0
	day = getdate(day or today())
	start = add_days(day, -HORIZON)
	active = active_on_days([start]).get(start, set())
	if not active:
		return 0.0
	expanded = {customer for customer, _d, _a in movements_between(EXPANSION, add_days(start, 1), day)}
	return len(active & expanded) / len(active)
