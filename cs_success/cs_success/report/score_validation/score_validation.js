// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.query_reports["Score Validation"] = {
	filters: [
		{
			fieldname: "horizon",
			label: __("Horizon (days)"),
			fieldtype: "Select",
			options: "30\n90\n180",
			default: "90",
			reqd: 1,
		},
		...cs_success.report_filters.date_range(12),
		{ fieldname: "scorecard", label: __("Scorecard"), fieldtype: "Link", options: "Health Scorecard" },
		...cs_success.report_filters.segment(),
	],
	onload(report) {
		// Suggesting weights reads only; applying them makes a new scorecard version. CS Managers only,
		// as the endpoints check again.
		if (!frappe.user.has_role("CS Manager")) return;
		report.page.add_inner_button(__("Suggest Weights"), () => cs_success_suggest_weights(report));
	},
};

async function cs_success_suggest_weights(report) {
	const filters = report.get_values();
	let scorecard = filters.scorecard;
	if (!scorecard) {
		scorecard = await frappe.db.get_value("Health Scorecard", { is_default: 1 }, "name").then(
			(r) => r.message && r.message.name
		);
	}
	if (!scorecard) {
		frappe.msgprint(__("Choose a scorecard first."));
		return;
	}
	const args = {
		scorecard,
		horizon: cint(filters.horizon),
		from_date: filters.from_date,
		to_date: filters.to_date,
	};
	const r = await frappe.call({
		method: "cs_success.api.validation.suggest_weights",
		type: "POST",
		args,
		freeze: true,
		freeze_message: __("Fitting weights..."),
	});
	const s = r.message;
	const fmt = (value, digits = 3) => (value === null || value === undefined ? "" : Number(value).toFixed(digits));
	const rows = s.weights
		.map(
			(w) =>
				`<tr><td>${frappe.utils.escape_html(w.label)}</td><td class="text-right">${fmt(w.current, 1)}</td>` +
				`<td class="text-right">${fmt(w.suggested, 1)}</td></tr>`
		)
		.join("");
	const explanation = s.reason_text
		? `<p class="text-muted">${frappe.utils.escape_html(s.reason_text)}</p>`
		: `<p>${__("AUC on the later dates ({0} observations): current weights {1}, suggested weights {2}.", [
				s.n_test,
				fmt(s.current_auc),
				fmt(s.suggested_auc),
		  ])}</p>`;
	const dialog = new frappe.ui.Dialog({
		title: __("Suggested Weights for {0} (version {1})", [scorecard, s.version]),
		fields: [
			{
				fieldtype: "HTML",
				options:
					explanation +
					`<table class="table table-bordered"><thead><tr><th>${__("Measure")}</th>` +
					`<th class="text-right">${__("Current")}</th><th class="text-right">${__("Suggested")}</th>` +
					`</tr></thead><tbody>${rows}</tbody></table>` +
					`<p class="text-muted small">${__(
						"Fitted on the earlier observation dates, tested on the later ones. A measure without data in the history gets no suggestion and keeps its weight. Applying saves a new version of the scorecard; the current one is kept."
					)}</p>`,
			},
		],
	});
	if (!s.reason) {
		dialog.set_primary_action(__("Apply as New Version"), async () => {
			const applied = await frappe.call({
				method: "cs_success.api.validation.apply_suggested_weights",
				type: "POST",
				args: { ...args, expected_version: s.version },
				freeze: true,
			});
			dialog.hide();
			frappe.show_alert({
				message: __("Scorecard {0} is now version {1}.", [scorecard, applied.message.version]),
				indicator: "green",
			});
		});
	}
	dialog.show();
}
