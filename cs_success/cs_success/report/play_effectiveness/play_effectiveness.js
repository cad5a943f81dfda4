// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.query_reports["Play Effectiveness"] = {
	formatter: cs_success.report_formatter,
	filters: [
		// The range is of the runs' start.
		...cs_success.report_filters.date_range(12),
		{ fieldname: "play", label: __("Play"), fieldtype: "Link", options: "Play" },
	],
};
