// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.query_reports["Customer Health Overview"] = {
	formatter: cs_success.report_formatter,
	filters: [
		...cs_success.report_filters.segment(),
		{ fieldname: "group_by", label: __("Group By"), fieldtype: "Select", options: "Customer Group\nTerritory", default: "Customer Group" },
	],
};
