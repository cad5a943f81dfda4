"""Whitelisted endpoints for the score validation: suggested scorecard weights, and applying them.

Suggesting reads only; applying saves the scorecard as a new version (the old one is kept in Health
Scorecard Version) and never happens by itself: a CS Manager calls it."""

import frappe
from frappe import _
from frappe.utils import add_months, getdate, today

from cs_success.base.permissions import require_any_role
from cs_success.base.roles import MANAGER_ROLES
from cs_success.engine import validation as v
from cs_success.health.config import measure_label
from cs_success.health.score_validation import DEFAULT_HORIZON, HORIZONS, fit_suggested_weights

REASONS = {
	v.TOO_FEW_DATES: lambda: _(
		"At least two observation dates are needed: earlier ones to fit, later ones to test."
	),
	v.SINGLE_CLASS_TRAINING: lambda: _(
		"Nobody churned (or everybody did) on the earlier dates: nothing to learn from."
	),
	v.NO_PROTECTIVE_MEASURE: lambda: _(
		"No measure both tells churners apart better than chance on its own and goes with less churn as its score rises: no weights to suggest."
	),
	v.NOT_BETTER: lambda: _(
		"The weights the fit found rank churn no better than the current ones on the later dates: keep the current weights."
	),
}


def _check(scorecard: str, horizon: int) -> None:
	require_any_role(MANAGER_ROLES, _("Only a CS Manager may fit or apply scorecard weights."))
	if horizon not in HORIZONS:
		frappe.throw(_("The horizon must be one of {0} days.").format(", ".join(map(str, HORIZONS))))
	if not frappe.db.exists("Health Scorecard", scorecard):
		frappe.throw(_("Health Scorecard {0} does not exist.").format(scorecard), frappe.DoesNotExistError)


def _range(from_date: str | None, to_date: str | None):
	end = getdate(to_date or today())
	return getdate(from_date or add_months(end, -12)), end


def _round(value, digits=3):
	return None if value is None else round(value, digits)


@frappe.whitelist(methods=["POST"])
def suggest_weights(
	scorecard: str, horizon: int = DEFAULT_HORIZON, from_date: str | None = None, to_date: str | None = None
) -> dict:
	"""Fit weights on the earlier observation dates, and compare the current and the suggested weights
	by AUC on the later ones. Changes nothing."""
	_check(scorecard, horizon)
	start, end = _range(from_date, to_date)
	result, observations, current, observed = fit_suggested_weights(scorecard, horizon, start, end)
	found = result.weights or result.candidate_weights
	return {
		"scorecard": scorecard,
		"version": frappe.db.get_value("Health Scorecard", scorecard, "version"),
		"horizon": horizon,
		"observations": observations,
		"train_dates": [str(day) for day in result.train_dates],
		"test_dates": [str(day) for day in result.test_dates],
		"n_train": result.n_train,
		"n_test": result.n_test,
		"current_auc": _round(result.current_auc_test),
		"suggested_auc": _round(result.suggested_auc_test),
		"reason": result.reason,
		"reason_text": REASONS[result.reason]() if result.reason else None,
		"weights": [
			{
				"measure": key,
				"label": _(measure_label(key)),
				"current": current[key],
				# None: no data for this measure in the history; applying keeps its weight. When the fit's
				# weights are no better than the current ones they are shown, not offered.
				"suggested": _round(found[key], 1) if found and key in observed else None,
				# The measure's own AUC on the earlier dates, and whether it tells churners apart on its own
				# (only then may it get weight).
				"auc": _round(result.measure_aucs.get(key)),
				"signal": bool(result.signal.get(key)),
			}
			for key in sorted(current)
		],
		"offered": bool(result.weights),
	}


@frappe.whitelist(methods=["POST"])
def apply_suggested_weights(
	scorecard: str,
	expected_version: int,
	horizon: int = DEFAULT_HORIZON,
	from_date: str | None = None,
	to_date: str | None = None,
) -> dict:
	"""Save the suggested weights as a new version of the scorecard. The fit is run again here, on the
	same data, rather than taking weights from the browser; `expected_version` refuses to overwrite a
	scorecard someone changed since the suggestion was shown."""
	_check(scorecard, horizon)
	doc = frappe.get_doc("Health Scorecard", scorecard)
	doc.check_permission("write")
	if (doc.version or 1) != expected_version:
		frappe.throw(
			_(
				"The scorecard changed since these weights were suggested (now version {0}): suggest again."
			).format(doc.version)
		)
	start, end = _range(from_date, to_date)
	result, _data, _current, observed = fit_suggested_weights(scorecard, horizon, start, end)
	if not result.weights:
		frappe.throw(REASONS[result.reason]() if result.reason else _("No weights to suggest."))
	for row in doc.measures:
		if row.enabled and row.measure in observed:
			row.weight = round(result.weights[row.measure], 1)
	doc.flags.version_source = "Suggested Weights"
	doc.flags.version_details = {
		"current_auc": result.current_auc_test,
		"suggested_auc": result.suggested_auc_test,
		"horizon_days": horizon,
		"note": _("Fitted on {0} observations ({1} to {2}), tested on {3} ({4} to {5}).").format(
			result.n_train,
			result.train_dates[0],
			result.train_dates[-1],
			result.n_test,
			result.test_dates[0],
			result.test_dates[-1],
		),
	}
	doc.save()
	return {
		"scorecard": doc.name,
		"version": doc.version,
		"weights": {r.measure: r.weight for r in doc.measures},
	}


@frappe.whitelist()
def scorecard_summary(scorecard: str, horizon: int = DEFAULT_HORIZON) -> dict:
	"""The Score Validation report's verdict for one scorecard over the last 12 months, for its form:
	the verdict line, AUC, lift, sample sizes, and which measures predict churn here and which do not."""
	from cs_success.cs_success.report.score_validation.score_validation import (
		DIRECTIONS,
		validation_figures,
		verdict_indicator,
		verdict_text,
	)
	from cs_success.health.score_validation import observation_dates

	horizon = int(horizon)
	if horizon not in HORIZONS:
		frappe.throw(_("The horizon must be one of {0} days.").format(", ".join(map(str, HORIZONS))))
	frappe.has_permission("Health Scorecard", "read", scorecard, throw=True)
	frappe.has_permission("Customer Health", "read", throw=True)
	start, end = _range(None, None)
	figures = validation_figures(observation_dates(start, end, horizon, today()), horizon, None, scorecard)
	return {
		"verdict": verdict_text(figures),
		"indicator": (verdict_indicator(figures.verdict.code) or "Grey").lower(),
		"auc": _round(figures.auc),
		"lift": _round(figures.lift, 2),
		"customers": figures.customers,
		"churn_events": figures.churn_events,
		"measures": [
			{
				"label": _(measure_label(row.key)),
				"auc": _round(row.auc),
				"observations": row.n,
				"direction": DIRECTIONS[row.direction]() if row.direction else None,
			}
			for row in figures.measures
		],
	}
