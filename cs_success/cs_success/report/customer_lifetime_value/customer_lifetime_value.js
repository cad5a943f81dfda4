// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.query_reports["Customer Lifetime Value"] = {
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
			fieldname: "active_definition",
			label: __("Active Means"),
			fieldtype: "Select",
			options: "\nAn Active Subscription or Contract\nAn Invoice Within the Window",
		},
		{
			fieldname: "invoice_window_days",
			label: __("Invoice Window (Days)"),
			fieldtype: "Int",
		},
		{
			fieldname: "gross_margin",
			label: __("Gross Margin (%)"),
			fieldtype: "Percent",
		},
	],
};
