// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.query_reports["Success Plan Progress"] = {
	formatter: cs_success.report_formatter,
	filters: [
		...cs_success.report_filters.segment(),
		{ fieldname: "status", label: __("Status"), fieldtype: "Select", options: "\nDraft\nActive\nOn Hold\nCompleted\nCancelled", default: "Active" },
	],
};
