# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

"""Is the churn risk to be believed? The current model of a horizon on the later dates it was not fitted
on: per decile of predicted risk, the mean predicted and the observed churn; the Brier score beside that of
always forecasting the base rate; AUC with its 95 % interval and the riskiest decile's lift; and the verdict.
A model that does not beat chance says so (and customers show no probability)."""

import frappe
from frappe import _

from cs_success.analytics import column, interactive_report, summary
from cs_success.risk.model import USABLE_VERDICT, current_model_row, report_horizon

VERDICT_INDICATORS = {USABLE_VERDICT: "Green", "No Better Than Chance": "Red", "Too Little Data": "Grey"}


@interactive_report("Churn Risk")
@frappe.read_only()
def execute(filters=None):
	filters = frappe._dict(filters or {})
	horizon = report_horizon(filters)
	model = current_model_row(horizon)
	if not model:
		return (
			get_columns(),
			[],
			_(
				"No churn risk model yet: it is fitted monthly, after install on a site with history, or when a CS Manager presses Refit Now."
			),
		)
	rows = get_data(model)
	return get_columns(), rows, get_message(model), get_chart(rows), get_summary(model)


def get_columns() -> list[dict]:
	return [
		column("decile", _("Decile of Predicted Risk"), "Int", 170),
		column("observations", _("Observations"), "Int", 120),
		column("mean_predicted", _("Mean Predicted Churn %"), "Percent", 180),
		column("observed", _("Observed Churn %"), "Percent", 150),
		column("difference", _("Predicted - Observed (Points)"), "Float", 200, precision=1),
	]


def get_data(model) -> list[dict]:
	return [
		{
			"decile": index,
			"observations": row["observations"],
			"mean_predicted": 100.0 * row["mean_predicted"],
			"observed": 100.0 * row["observed"],
			"difference": 100.0 * (row["mean_predicted"] - row["observed"]),
		}
		for index, row in enumerate(frappe.parse_json(model.calibration or "[]"), 1)
	]


def get_message(model) -> str:
	window = _("Fitted on {0} observations ({1} to {2}), tested on {3} ({4} to {5}).").format(
		model.n_train, model.train_from, model.train_to, model.n_test, model.test_from, model.test_to
	)
	if model.verdict == USABLE_VERDICT:
		verdict = _(
			"Usable: on the later dates the model ranks churn better than chance (AUC {0}, 95% interval {1} to {2})."
		).format(f"{model.auc:.3f}", f"{model.auc_low:.3f}", f"{model.auc_high:.3f}")
	elif model.verdict == "No Better Than Chance":
		verdict = _("No better than chance on the later dates: no customer shows a churn probability.")
	else:
		verdict = _(
			"Too little history to tell (fewer than 100 customers or 10 churn events on the later dates): no customer shows a churn probability."
		)
	return f"{frappe.utils.escape_html(verdict)}<br>{frappe.utils.escape_html(window)}"


def get_chart(rows: list[dict]) -> dict | None:
	if not rows:
		return None
	return {
		"data": {
			"labels": [str(row["decile"]) for row in rows],
			"datasets": [
				{
					"name": _("Mean Predicted Churn %"),
					"values": [round(row["mean_predicted"], 1) for row in rows],
				},
				{"name": _("Observed Churn %"), "values": [round(row["observed"], 1) for row in rows]},
			],
		},
		"type": "bar",
		"colors": ["#5e64ff", "#fc4f51"],
	}


def get_summary(model) -> list[dict]:
	usable = model.verdict == USABLE_VERDICT
	# Nobody churned on the test dates (or nobody was tested): AUC and lift are undefined, and Frappe's NOT
	# NULL columns hold 0 for them; shown empty.
	judged = bool(model.events_test and model.n_test)
	tested = bool(model.n_test)
	return [
		summary(_(model.verdict), _("Verdict"), "Data", VERDICT_INDICATORS.get(model.verdict)),
		summary(model.auc if judged else None, _("AUC (Test Dates)"), precision=3),
		summary(model.lift if judged else None, _("Lift of the Riskiest Decile"), precision=2),
		summary(
			model.brier if tested else None,
			_("Brier Score"),
			indicator="Green" if usable and model.brier < model.brier_base_rate else None,
			precision=4,
		),
		summary(model.brier_base_rate if tested else None, _("Brier Score of the Base Rate"), precision=4),
		summary(model.customers_test, _("Customers (Test Dates)"), "Int"),
		summary(model.events_test, _("Churn Events (Test Dates)"), "Int"),
	]
