// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.query_reports["Touchpoint Coverage"] = {
	formatter: cs_success.report_formatter,
	filters: [
		...cs_success.report_filters.segment(),
		{ fieldname: "days", label: __("No Touchpoint In (Days)"), fieldtype: "Int", default: 30, reqd: 1 },
	],
};
