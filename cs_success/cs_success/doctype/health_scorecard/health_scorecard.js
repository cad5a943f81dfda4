// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

// The scorecard form says first whether this scorecard predicts churn on the site's own history (the
// Score Validation report's verdict at 90 days over the last 12 months), and which measures do.
frappe.ui.form.on("Health Scorecard", {
	refresh(frm) {
		if (frm.is_new()) return;
		frm.add_custom_button(__("Score Validation"), () =>
			frappe.set_route("query-report", "Score Validation", { scorecard: frm.doc.name })
		);
		if (frappe.user.has_role("CS Manager")) {
			frm.add_custom_button(__("Suggest Weights"), () =>
				cs_success.suggest_weights({ scorecard: frm.doc.name, horizon: 90, on_applied: () => frm.reload_doc() })
			);
		}
		frappe
			.xcall("cs_success.api.validation.scorecard_summary", { scorecard: frm.doc.name, horizon: 90 })
			.then((summary) => show_validation(frm, summary));
	},
});

function show_validation(frm, summary) {
	const esc = frappe.utils.escape_html;
	const figures = [
		summary.auc !== null ? `${__("AUC")} ${summary.auc.toFixed(2)}` : null,
		summary.lift !== null ? `${__("Worst-decile lift")} ${summary.lift.toFixed(1)}` : null,
		__("{0} customers, {1} churn events", [summary.customers, summary.churn_events]),
	].filter(Boolean);
	const measures = summary.measures
		.map(
			(m) =>
				`<tr><td>${esc(m.label)}</td><td class="text-right">${m.auc === null ? "" : m.auc.toFixed(2)}</td>` +
				`<td>${esc(m.direction || "")}</td></tr>`
		)
		.join("");
	frm.dashboard.set_headline(
		`<div class="cs-scorecard-validation" data-indicator="${esc(summary.indicator)}">
			<b>${esc(summary.verdict)}</b> <span class="text-muted">· ${esc(figures.join(" · "))}</span>
		</div>`,
		summary.indicator === "grey" ? "blue" : summary.indicator
	);
	frm.dashboard.add_section(
		measures
			? `<table class="table table-sm cs-scorecard-measures"><thead><tr><th>${__("Measure")}</th>` +
					`<th class="text-right">${__("AUC")}</th><th>${__("Direction")}</th></tr></thead>` +
					`<tbody>${measures}</tbody></table>`
			: `<p class="text-muted">${__("No measure has history to judge yet.")}</p>`,
		__("Which measures predict churn here (90 days)")
	);
}
