// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.query_reports["Score Validation"] = {
	formatter: cs_success.report_formatter,
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
		report.page.add_inner_button(__("Suggest Weights"), async () => {
			const filters = report.get_values();
			let scorecard = filters.scorecard;
			if (!scorecard) {
				scorecard = await frappe.db
					.get_value("Health Scorecard", { is_default: 1 }, "name")
					.then((r) => r.message && r.message.name);
			}
			if (!scorecard) {
				frappe.msgprint(__("Choose a scorecard first."));
				return;
			}
			cs_success.suggest_weights({
				scorecard,
				horizon: cint(filters.horizon),
				from_date: filters.from_date,
				to_date: filters.to_date,
			});
		});
	},
};
