"""Churn risk models: fitted on the site's own history, stored as versions, one current per horizon.

The history is the score validation's (health/score_validation.py): the Daily snapshots of customers active
in the revenue ledger on month starts whose horizon has passed, with the churn that followed. Features are
the measures' raw values on the snapshot plus tenure (days since the customer's first Acquired event); the
arithmetic is cs_success/engine/churn_risk.py. A fit is a Churn Risk Model document with its coefficients,
window, test AUC, lift and calibration; the newest fit of a horizon becomes current, usable or not (an
unusable one withholds every probability). Refitted monthly and on demand by a CS Manager (risk/refit.py);
customers are scored again after each fit (risk/scoring.py)."""

from __future__ import annotations

import json
from datetime import date

import numpy as np

import frappe
from frappe import _
from frappe.utils import add_days, add_months, cint, getdate, now_datetime, today

from cs_success.engine.churn_risk import (
	NO_BETTER_THAN_CHANCE,
	TOO_LITTLE_DATA,
	USABLE,
	CalibrationBin,
	Feature,
	RiskModel,
	backtest,
	fit_risk_model,
)
from cs_success.health.score_validation import measure_raw_values, observation_dates
from cs_success.health.snapshots import count_observation_rows, observation_condition, observation_rows
from cs_success.ledger.queries import acquired_on, mrr_company, mrr_on_days

HORIZONS = (30, 90)
# A feature of its own beside the measures: days since the customer's first Acquired event.
TENURE = "tenure_days"
# How far back the history reaches.
HISTORY_MONTHS = 24
VERDICTS = {
	USABLE: "Usable",
	NO_BETTER_THAN_CHANCE: "No Better Than Chance",
	TOO_LITTLE_DATA: "Too Little Data",
}
USABLE_VERDICT = VERDICTS[USABLE]


def tenure_days(acquired: date | None, day: date) -> float | None:
	"""Days from the customer's first Acquired event to `day`; None when it had not been acquired by then."""
	return float((day - acquired).days) if acquired and acquired <= day else None


def report_horizon(filters) -> int:
	"""The horizon a report's filters ask for (default 90 days), one of HORIZONS."""
	horizon = cint(filters.get("horizon") or 90)
	if horizon not in HORIZONS:
		frappe.throw(_("The horizon must be one of {0} days.").format(", ".join(map(str, HORIZONS))))
	return horizon


def observations(horizon: int, on: date | None = None, label=None, extra_features: dict | None = None):
	"""(matrix, keys, churned, dates, customers) of the history for a horizon, as of `on` (today). Streamed
	into a preallocated matrix (a dict per observation would hold gigabytes at 100,000 customers x 12
	dates); measures no observation has are dropped.

	Another outcome than churn (growth's expansion): `label(customer, day)` says what followed each
	observation, and `extra_features` adds features of their own, key -> f(day) -> {customer: value}."""
	on = getdate(on or today())
	dates = observation_dates(add_months(on, -HISTORY_MONTHS), on, horizon, on)
	if not dates:
		return np.empty((0, 0)), [], [], [], []
	acquired = acquired_on()
	extra_features = extra_features or {}
	extra = {key: {day: values(day) for day in dates} for key, values in extra_features.items()}
	where, params = observation_condition(dates, horizon)
	keys = [*sorted(frappe.get_all("Health Measure", pluck="name")), TENURE, *extra_features]
	column = {key: j for j, key in enumerate(keys)}
	rows = count_observation_rows(where, params)
	matrix = np.full((rows, len(keys)), np.nan)
	churned = np.zeros(rows, dtype=bool)
	days, customers = [], []
	i = 0
	for customer, day, _score, _band, stored, gone, _churned_on in observation_rows(where, params):
		if i == rows:
			break  # a snapshot written since the count
		day = getdate(day)
		for key, value in measure_raw_values(stored).items():
			if value is not None and key in column:
				matrix[i, column[key]] = value
		tenure = tenure_days(acquired.get(customer), day)
		if tenure is not None:
			matrix[i, column[TENURE]] = tenure
		for key, by_day in extra.items():
			value = by_day[day].get(customer)
			if value is not None:
				matrix[i, column[key]] = value
		churned[i] = label(customer, day) if label else bool(gone)
		days.append(day)
		customers.append(customer)
		i += 1
	seen = ~np.isnan(matrix[:i]).all(axis=0)
	return (
		matrix[:i][:, seen],
		[key for key, kept in zip(keys, seen, strict=True) if kept],
		churned[:i],
		days,
		customers,
	)


def fit(horizon: int, on: date | None = None) -> str | None:
	matrix, keys, churned, days, customers = observations(horizon, on)
	model = fit_risk_model(matrix, keys, churned, days, customers, horizon) if keys else None
	if model is None:
		return None
	company = mrr_company()
	doc = frappe.get_doc(
		{
			"doctype": "Churn Risk Model",
			**model_fields(model),
			"horizon_days": horizon,
			"brier": model.brier,
			"brier_base_rate": model.brier_base_rate,
			"company": company,
			"backtest": json.dumps(
				revenue_backtest(company, matrix, keys, churned, days, customers, horizon)
			),
		}
	)
	frappe.db.set_value("Churn Risk Model", {"horizon_days": horizon, "is_current": 1}, "is_current", 0)
	doc.insert(ignore_permissions=True)
	return doc.name


def model_fields(model: RiskModel) -> dict:
	"""What every stored fit keeps (churn risk, expansion propensity): verdict, figures on the test dates,
	window, calibration and the model itself; the newest becomes current."""
	return {
		"verdict": VERDICTS[model.verdict],
		"is_current": 1,
		"fitted_on": now_datetime(),
		"fitted_by": frappe.session.user,
		"auc": model.auc,
		"auc_low": model.auc_low,
		"auc_high": model.auc_high,
		"lift": model.lift,
		"base_rate": 100.0 * model.base_rate,
		"train_from": model.train_dates[0],
		"train_to": model.train_dates[-1],
		"test_from": model.test_dates[0],
		"test_to": model.test_dates[-1],
		"n_train": model.n_train,
		"n_test": model.n_test,
		"customers_test": model.customers_test,
		"events_test": model.events_test,
		"calibration": json.dumps([b.__dict__ for b in model.calibration]),
		"model": json.dumps(
			{
				"intercept": model.intercept,
				"features": [f.__dict__ for f in model.features],
				"coefficients": model.coefficients,
			}
		),
	}


def stored_model(stored: str, horizon: int, base_rate: float = 0.0, auc=None, calibration=None) -> RiskModel:
	"""A usable stored fit (its `model` JSON) as the engine's model, to predict with."""
	stored = json.loads(stored)
	return RiskModel(
		horizon=horizon,
		features=[Feature(**f) for f in stored["features"]],
		intercept=stored["intercept"],
		coefficients=stored["coefficients"],
		train_dates=[],
		test_dates=[],
		n_train=0,
		n_test=0,
		customers_test=0,
		events_test=0,
		base_rate=base_rate,
		verdict=USABLE,
		auc=auc,
		calibration=[CalibrationBin(**b) for b in json.loads(calibration or "[]")],
	)


def revenue_backtest(company, matrix, keys, churned, days, customers, horizon: int) -> list[dict]:
	"""The engine's back-test with each observation's MRR at `company` on its day (ledger), and beside it the
	ledger's MRR of the same customers `horizon` days later (what stayed, with expansion and contraction)."""
	if not company:
		return []
	distinct = sorted(set(days))
	later = {day: getdate(add_days(day, horizon)) for day in distinct}
	mrr = mrr_on_days(company, distinct + sorted(set(later.values())))
	amounts = [mrr[day].get(customer, 0.0) for day, customer in zip(days, customers, strict=True)]
	observed: dict = {}
	for day, customer in zip(days, customers, strict=True):
		observed.setdefault(day, []).append(customer)
	return [
		{
			"day": str(row.day),
			"observations": row.observations,
			"train_observations": row.train_observations,
			"mrr": row.mrr,
			"forecast": row.forecast,
			"retained": row.retained,
			"ledger_mrr_after": sum(mrr[later[row.day]].get(c, 0.0) for c in observed[row.day]),
		}
		for row in backtest(matrix, keys, churned, days, amounts, horizon)
	]


MODEL_FIELDS = (
	"name", "horizon_days", "verdict", "auc", "auc_low", "auc_high", "lift", "brier", "brier_base_rate",
	"base_rate", "n_train", "n_test", "customers_test", "events_test", "train_from", "train_to", "test_from",
	"test_to", "calibration", "fitted_on", "company", "backtest",
)  # fmt: skip


def current_model_row(horizon: int):
	"""The current Churn Risk Model of a horizon as a row (its figures), usable or not; None before any fit."""
	rows = frappe.get_all(
		"Churn Risk Model", filters={"horizon_days": horizon, "is_current": 1}, fields=list(MODEL_FIELDS)
	)
	return rows[0] if rows else None


def current_models() -> dict[int, RiskModel]:
	"""horizon -> the current model, only where it is usable: an unusable model shows no probability."""
	models = {}
	# Plain SQL: read after every recompute batch, even of one customer.
	for row in frappe.db.sql(
		"""SELECT horizon_days, model, auc, calibration FROM `tabChurn Risk Model`
		WHERE is_current = 1 AND verdict = %(usable)s ORDER BY modified DESC""",
		{"usable": USABLE_VERDICT},
		as_dict=True,
	):
		models[row.horizon_days] = stored_model(
			row.model, row.horizon_days, auc=row.auc, calibration=row.calibration
		)
	return models
