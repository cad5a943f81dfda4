// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.query_reports["Survey Campaign Performance"] = {
	formatter: cs_success.report_formatter,
	filters: [
		{ fieldname: "purpose", label: __("Purpose"), fieldtype: "Select", options: "\nPeriodic\nOnboarding\nExit\nPost-Ticket" },
	],
};
