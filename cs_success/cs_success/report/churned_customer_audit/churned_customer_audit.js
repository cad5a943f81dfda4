// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.query_reports["Churned Customer Audit"] = {
	filters: [
		...cs_success.report_filters.date_range(12),
		...cs_success.report_filters.segment(),
		...cs_success.report_filters.active_customer(),
		{ fieldname: "group_by", label: __("Chart By"), fieldtype: "Select", options: "Customer Group\nTerritory\nSize Band", default: "Customer Group" },
		{ fieldname: "medium_from", label: __("Medium From (Annual Revenue)"), fieldtype: "Currency", default: 10000 },
		{ fieldname: "large_from", label: __("Large From (Annual Revenue)"), fieldtype: "Currency", default: 100000 },
	],
};
