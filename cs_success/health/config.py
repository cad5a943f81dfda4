"""Reading the configuration (settings and scorecards) into the pure engine's types."""

from __future__ import annotations

import frappe
from frappe import _

from cs_success.engine.health_score import Bands, MeasureRule, ScoringError
from cs_success.engine.measures import MEASURES_BY_KEY, default_rules
from cs_success.engine.scorecards import Scorecard

SETTINGS = "CS Settings"
# The engine's band defaults (Healthy >= 75, At Risk 50-74, Critical < 50, coverage floor 50 %); CS
# Settings' field defaults are tied to them by tests/test_registries.py.
DEFAULT_BANDS = Bands()

# Messages for the engine's error codes; the engine itself has no translations.
SCORING_ERROR_MESSAGES = {
	"unknown_method": lambda d: _("Unknown scoring method {0}.").format(d),
	"negative_weight": lambda d: _("The weight of {0} must not be negative.").format(d),
	"threshold_not_finite": lambda d: _("The thresholds of {0} must be numbers.").format(d),
	"equal_thresholds": lambda d: _(
		"For {0}, 'Scores 100 At' and 'Scores 0 At' must differ: their order gives the direction."
	).format(d),
	"bands_out_of_order": lambda d: _(
		"Band thresholds must satisfy 0 < At Risk From Score < Healthy From Score <= 100."
	),
	"coverage_floor_range": lambda d: _("The coverage floor must be between 0 and 100 percent."),
	"override_score_missing": lambda d: _("An override needs a score."),
	"override_score_range": lambda d: _("The override score must be between 0 and 100."),
	"override_reason_missing": lambda d: _("An override needs a reason."),
	"override_expiry_missing": lambda d: _("An override needs an expiry date."),
	"override_expiry_past": lambda d: _("The override expiry must be in the future."),
}


def scoring_error_message(error: ScoringError) -> str:
	message = SCORING_ERROR_MESSAGES.get(error.code)
	return message(_(measure_label(error.detail)) if error.detail else "") if message else str(error)


def measure_label(key: str) -> str:
	"""Untranslated; built-in measures from the registry, usage measures added on the site from theirs."""
	definition = MEASURES_BY_KEY.get(key)
	if definition:
		return definition.label
	return frappe.get_cached_value("Health Measure", key, "label") or key


def measure_unit(key: str) -> str | None:
	definition = MEASURES_BY_KEY.get(key)
	if definition:
		return definition.unit
	return frappe.get_cached_value("Health Measure", key, "unit")


def get_settings():
	return frappe.get_cached_doc(SETTINGS)


def get_bands() -> Bands:
	"""The bands of CS Settings; an empty threshold takes the engine's default (a coverage floor of 0 is
	a setting: no floor)."""
	settings = get_settings()
	floor = settings.get("coverage_floor")
	return Bands(
		float(settings.healthy_min_score or DEFAULT_BANDS.healthy_min),
		float(settings.at_risk_min_score or DEFAULT_BANDS.at_risk_min),
		float(DEFAULT_BANDS.coverage_floor if floor is None else floor),
	)


def rule_from_row(row) -> MeasureRule:
	return MeasureRule(
		row.measure,
		float(row.weight or 0),
		float(row.score_100_at),
		float(row.score_0_at),
		row.scoring_method,
	)


def _tree_with_descendants(doctype: str, node: str | None) -> frozenset[str] | None:
	if not node:
		return None
	return frozenset([node, *frappe.db.get_descendants(doctype, node)])


def load_scorecards() -> list[Scorecard]:
	"""Enabled scorecards; the built-in defaults when none is configured, so scoring never stops."""
	scorecards = []
	# Plain SQL: read on every recompute, even of one customer (get_all's own cost would be most of it).
	for (name,) in frappe.db.sql(
		"SELECT name FROM `tabHealth Scorecard` WHERE enabled = 1 ORDER BY priority, name"
	):
		doc = frappe.get_cached_doc("Health Scorecard", name)
		scorecards.append(
			Scorecard(
				name=doc.name,
				rules=tuple(rule_from_row(row) for row in doc.measures if row.enabled),
				priority=doc.priority or 0,
				is_default=bool(doc.is_default),
				customer_groups=_tree_with_descendants("Customer Group", doc.applies_to_customer_group),
				territories=_tree_with_descendants("Territory", doc.applies_to_territory),
				min_age_days=doc.min_customer_age_days or 0,
				max_age_days=doc.max_customer_age_days or 0,
			)
		)
	if not any(s.is_default for s in scorecards):
		scorecards.append(Scorecard(name="", rules=tuple(default_rules()), is_default=True))
	for scorecard in scorecards:
		for rule in scorecard.rules:
			rule.validate()  # once here, so each customer's computation can skip it
	return scorecards
