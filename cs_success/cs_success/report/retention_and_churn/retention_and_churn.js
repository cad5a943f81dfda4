// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.query_reports["Retention and Churn"] = {
	filters: [
		...cs_success.report_filters.date_range(12),
		...cs_success.report_filters.segment(),
		...cs_success.report_filters.active_customer(),
		{ fieldname: "periodicity", label: __("Periodicity"), fieldtype: "Select", options: "Monthly\nQuarterly\nYearly", default: "Quarterly" },
	],
};
