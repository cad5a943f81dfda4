// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.query_reports["At-Risk Customers"] = {
	formatter: cs_success.report_formatter,
	filters: [
		...cs_success.report_filters.segment(),
		{ fieldname: "band", label: __("Band"), fieldtype: "Select", options: "\nAt Risk\nCritical" },
		{
			fieldname: "sort_by",
			label: __("Sort By"),
			fieldtype: "Select",
			options: [
				{ value: "Score", label: __("Score") },
				{ value: "Churn Risk", label: __("Churn Risk") },
			],
			default: "Score",
		},
	],
};
