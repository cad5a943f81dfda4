// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.query_reports["Customer Health Overview"] = {
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
			fieldname: "group_by",
			label: __("Group By"),
			fieldtype: "Select",
			options: "Customer Group\nTerritory",
			default: "Customer Group",
		},
	],
};
