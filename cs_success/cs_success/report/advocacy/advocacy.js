// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.query_reports["Advocacy"] = {
	formatter: cs_success.report_formatter,
	filters: [
		...cs_success.report_filters.company(),
		...cs_success.report_filters.date_range(12),
		...cs_success.report_filters.segment(),
	],
};
