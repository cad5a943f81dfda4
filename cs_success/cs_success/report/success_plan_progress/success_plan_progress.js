// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.query_reports["Success Plan Progress"] = {
	filters: [
		{
			fieldname: "customer_group",
			label: __("Customer Group"),
			fieldtype: "Link",
			options: "Customer Group",
		},
		{
			fieldname: "territory",
			label: __("Territory"),
			fieldtype: "Link",
			options: "Territory",
		},
		{
			fieldname: "status",
			label: __("Status"),
			fieldtype: "Select",
			options: "\nDraft\nActive\nOn Hold\nCompleted\nCancelled",
			default: "Active",
		},
	],
};
