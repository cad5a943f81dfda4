// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.query_reports["Revenue Forecast"] = {
	formatter: cs_success.report_formatter,
	filters: [
		{
			fieldname: "view",
			label: __("View"),
			fieldtype: "Select",
			options: [
				{ value: "Forecast", label: __("Forecast") },
				{ value: "Back-Test", label: __("Back-Test") },
			],
			default: "Forecast",
			reqd: 1,
		},
		{
			fieldname: "horizon",
			label: __("Horizon (days)"),
			fieldtype: "Select",
			options: "30\n90",
			default: "90",
			reqd: 1,
		},
		...cs_success.report_filters.company(),
		...cs_success.report_filters.segment(),
	],
};
