// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.query_reports["Churn Risk"] = {
	formatter: cs_success.report_formatter,
	filters: [
		{
			fieldname: "horizon",
			label: __("Horizon (days)"),
			fieldtype: "Select",
			options: "30\n90",
			default: "90",
			reqd: 1,
		},
	],
	onload(report) {
		// Refitting learns from the history again and scores everyone; CS Managers only, as the endpoint checks.
		if (!frappe.user.has_role("CS Manager")) return;
		report.page.add_inner_button(__("Refit Now"), () =>
			frappe
				.xcall("cs_success.api.risk.refit")
				.then(() => frappe.show_alert({ message: __("Refit queued"), indicator: "blue" }))
		);
	},
};
