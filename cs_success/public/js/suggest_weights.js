// Suggested scorecard weights: from the Score Validation report and from the scorecard form. Suggesting
// reads only; applying makes a new scorecard version. CS Managers only, as the endpoints check again.
frappe.provide("cs_success");

cs_success.suggest_weights = async function ({ on_applied, ...args }) {
	const scorecard = args.scorecard;
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
				`<td class="text-right">${fmt(w.suggested, 1)}</td><td class="text-right">${fmt(w.auc)}` +
				(w.auc !== null && !w.signal ? ` <span class="text-muted">(${__("no signal")})</span>` : "") +
				`</td></tr>`
		)
		.join("");
	const aucs =
		s.suggested_auc !== null
			? `<p>${__("AUC on the later dates ({0} observations): current weights {1}, suggested weights {2}.", [
					s.n_test,
					fmt(s.current_auc),
					fmt(s.suggested_auc),
			  ])}</p>`
			: "";
	const explanation =
		(s.reason_text ? `<p class="text-muted">${frappe.utils.escape_html(s.reason_text)}</p>` : "") + aucs;
	const dialog = new frappe.ui.Dialog({
		title: __("Suggested Weights for {0} (version {1})", [scorecard, s.version]),
		fields: [
			{
				fieldtype: "HTML",
				options:
					explanation +
					`<table class="table table-bordered"><thead><tr><th>${__("Measure")}</th>` +
					`<th class="text-right">${__("Current")}</th><th class="text-right">${__("Suggested")}</th>` +
					`<th class="text-right">${__("Own AUC")}</th>` +
					`</tr></thead><tbody>${rows}</tbody></table>` +
					`<p class="text-muted small">${__(
						"Fitted on the earlier observation dates, tested on the later ones. Own AUC: how well the measure alone tells churners apart on the earlier dates (0.5 is chance); a measure with no signal of its own gets no weight. A measure without data in the history gets no suggestion and keeps its weight. Applying saves a new version of the scorecard; the current one is kept."
					)}</p>`,
			},
		],
	});
	if (s.offered) {
		dialog.set_primary_action(__("Apply as New Version"), async () => {
			const applied = await frappe.call({
				method: "cs_success.api.validation.apply_suggested_weights",
				type: "POST",
				args: { ...args, expected_version: s.version },
				freeze: true,
			});
			dialog.hide();
			if (on_applied) on_applied(applied.message);
			frappe.show_alert({
				message: __("Scorecard {0} is now version {1}.", [scorecard, applied.message.version]),
				indicator: "green",
			});
		});
	}
	dialog.show();
};
