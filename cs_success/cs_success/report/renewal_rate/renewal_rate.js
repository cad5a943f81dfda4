// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.query_reports["Renewal Rate"] = {
	filters: [
		{
			fieldname: "from_date",
			label: __("From Date"),
			fieldtype: "Date",
			default: frappe.datetime.add_months(frappe.datetime.get_today(), -12),
			reqd: 1,
		},
		{
			fieldname: "to_date",
			label: __("To Date"),
			fieldtype: "Date",
			default: frappe.datetime.get_today(),
			reqd: 1,
		},
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
			fieldname: "renewal_window_days",
			label: __("Renewal Window (Days)"),
			fieldtype: "Int",
			default: 30,
		},
		{
			fieldname: "upcoming_days",
			label: __("Upcoming Within (Days)"),
			fieldtype: "Int",
			default: 30,
		},
	],
};
