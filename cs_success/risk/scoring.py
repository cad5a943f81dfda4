"""Each customer's churn risk from the current models (risk/model.py): 30 and 90 days, and the three
measures that raise it most, on the Customer Health record. Told of every batch the pipeline scores
(hooks.py `cs_success_customers_scored`) and run for everyone after each fit. Without a usable model for a
horizon, or for a customer who has churned, the risk is unknown (has_churn_risk_<horizon> = 0), never 0."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from numbers import Number

import frappe
from frappe.utils import getdate, today

from cs_success.base.bulk import update_rows
from cs_success.engine.churn_risk import values_matrix
from cs_success.engine.health_score import CHURNED as CHURNED_BAND
from cs_success.health.config import measure_label
from cs_success.health.score_validation import measure_raw_values
from cs_success.ledger.queries import acquired_on
from cs_success.risk.model import HORIZONS, TENURE, current_models, tenure_days

CHUNK = 2000
FIELDS = (
	"has_churn_risk_30", "churn_risk_30", "has_churn_risk_90", "churn_risk_90", "churn_risk_drivers",
)  # fmt: skip
# A horizon without a usable model: unknown, shown empty.
UNKNOWN = {f"{field}_{horizon}": 0 for horizon in HORIZONS for field in ("has_churn_risk", "churn_risk")}
# The horizon whose drivers the customer shows.
DRIVERS_HORIZON = 90


def after_recompute(outcomes, day: date) -> None:
	"""The pipeline's listener: the batch just scored, with the raw values it has just computed (no read, no
	JSON parsed again)."""
	rows = [(o.customer.name, o.band, {key: state[0] for key, state in o.state.items()}) for o in outcomes]
	# Without a model only a risk still shown is cleared: the stored record says which (the pipeline read
	# it to score), so a batch that shows none costs no UPDATE.
	shown = [o.customer.name for o in outcomes if o.previous is not None and shows_risk(o.previous)]
	score_rows(rows, day, shown=shown)


def shows_risk(record) -> bool:
	"""A Customer Health row (health/recompute.py reads these fields with the rest) shows a risk."""
	return bool(record.has_churn_risk_30 or record.has_churn_risk_90)


def score_customers(names: Sequence[str] | None, day: date | None = None) -> int:
	"""Write the risk of these customers (None: everyone). Returns how many got a probability."""
	if names is not None and not names:
		return 0
	filters = {"name": ("in", list(names))} if names is not None else {}
	rows = frappe.get_all("Customer Health", filters=filters, fields=["name", "band", "contributions"])
	return score_rows([(r.name, r.band, measure_raw_values(r.contributions)) for r in rows], day)


def score_rows(
	rows: list[tuple[str, str, dict]], day: date | None = None, shown: Sequence[str] | None = None
) -> int:
	"""Rows of (name, band, {measure: raw value}) -> their risk written on Customer Health. `shown`: those
	of them known to show a risk now (None: not known), the only ones to clear when there is no model."""
	day = getdate(day or today())
	if not rows:
		return 0
	models = current_models()
	names = [name for name, _band, _values in rows]
	if not models:
		clear_risk(names if shown is None else shown)
		return 0
	acquired = acquired_on(names if len(names) <= CHUNK else None)
	drivers_model = models.get(DRIVERS_HORIZON) or next(iter(models.values()))
	updates, live = {}, []
	for name, band, values in rows:
		if band == CHURNED_BAND:
			updates[name] = {**UNKNOWN, "churn_risk_drivers": None}
			continue
		live.append((name, {**values, TENURE: tenure_days(acquired.get(name), day)}))
	# One matrix for the whole batch and every model (columns: the measures any model uses), each model
	# taking its own columns: per-row numpy calls, or a matrix per model, would cost more than the arithmetic.
	keys = sorted({f.key for model in models.values() for f in model.features})
	matrix = values_matrix([values for _name, values in live], keys)
	column = {key: j for j, key in enumerate(keys)}

	def columns_of(model):
		return matrix[:, [column[f.key] for f in model.features]]

	risks = {horizon: model.predict_matrix(columns_of(model)) for horizon, model in models.items()}
	drivers = drivers_model.drivers_matrix(columns_of(drivers_model))
	for i, (name, _values) in enumerate(live):
		update = dict(UNKNOWN)
		for horizon, risk in risks.items():
			update[f"has_churn_risk_{horizon}"] = 1
			update[f"churn_risk_{horizon}"] = round(100.0 * float(risk[i]), 1)
		listed = [
			{
				"measure": d.key,
				"label": "Time as a Customer" if d.key == TENURE else measure_label(d.key),
				"kind": d.kind,
				"percent": None if d.percent is None else round(d.percent),
				"value": None if d.value is None else round(d.value, 1),
				"typical": round(d.typical, 1),
			}
			for d in drivers[i]
		]
		updates[name] = {**update, "churn_risk_drivers": json.dumps(listed)}
	scored = len(live)
	new = {name: tuple(u[f] for f in FIELDS) for name, u in updates.items()}
	# Only what changed is written: a run that moves no risk writes nothing.
	stored = stored_risks(list(new))
	update_rows("Customer Health", list(FIELDS), {n: v for n, v in new.items() if stored.get(n) != v})
	return scored


def stored_risks(names: list[str]) -> dict[str, tuple]:
	"""name -> the risk fields as stored, in FIELDS order, comparable with what scoring computes."""
	stored = {}
	for start in range(0, len(names), CHUNK):
		for name, *values in frappe.db.sql(
			f"SELECT name, {', '.join(f'`{f}`' for f in FIELDS)} FROM `tabCustomer Health` WHERE name IN %(names)s",
			{"names": tuple(names[start : start + CHUNK])},
		):
			stored[name] = tuple(round(float(v), 1) if isinstance(v, Number) else v for v in values)
	return stored


def clear_risk(names: Sequence[str]) -> None:
	"""No usable model: these customers' risk is unknown. Only rows that still show one are written."""
	if not names:
		return
	for start in range(0, len(names), CHUNK):
		frappe.db.sql(
			"""UPDATE `tabCustomer Health`
			SET has_churn_risk_30 = 0, churn_risk_30 = 0, has_churn_risk_90 = 0, churn_risk_90 = 0,
				churn_risk_drivers = NULL
			WHERE name IN %(names)s AND (has_churn_risk_30 = 1 OR has_churn_risk_90 = 1)""",
			{"names": tuple(names[start : start + CHUNK])},
		)
