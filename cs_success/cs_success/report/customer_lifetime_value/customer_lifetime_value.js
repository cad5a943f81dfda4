// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.query_reports["Customer Lifetime Value"] = {
	filters: [
		...cs_success.report_filters.date_range(12),
		...cs_success.report_filters.segment(),
		...cs_success.report_filters.active_customer(),
		{ fieldname: "gross_margin", label: __("Gross Margin (%)"), fieldtype: "Percent" },
	],
};
