// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.query_reports["Touchpoint Coverage"] = {
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
			fieldname: "days",
			label: __("No Touchpoint In (Days)"),
			fieldtype: "Int",
			default: 30,
			reqd: 1,
		},
	],
};
