// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.query_reports["At-Risk Customers"] = {
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
			fieldname: "band",
			label: __("Band"),
			fieldtype: "Select",
			options: "\nAt Risk\nCritical",
		},
	],
};
