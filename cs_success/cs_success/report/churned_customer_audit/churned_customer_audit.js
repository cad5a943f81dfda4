// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.query_reports["Churned Customer Audit"] = {
	filters: [
		...cs_success.report_filters.company(),
		...cs_success.report_filters.date_range(12),
		...cs_success.report_filters.segment(),
		{
			fieldname: "view",
			label: __("Show"),
			fieldtype: "Select",
			options: [
				{ value: "Customers", label: __("Churned Customers") },
				{ value: "Segments", label: __("Segment Summary") },
			],
			default: "Customers",
		},
		{
			fieldname: "group_by",
			label: __("Chart By"),
			fieldtype: "Select",
			options: [
				{ value: "Customer Group", label: __("Customer Group") },
				{ value: "Territory", label: __("Territory") },
				{ value: "Churn Reason", label: __("Churn Reason") },
				{ value: "Size Band", label: __("Size Band") },
			],
			default: "Customer Group",
		},
		{ fieldname: "medium_from", label: __("Medium From (ARR)"), fieldtype: "Currency", default: 10000 },
		{ fieldname: "large_from", label: __("Large From (ARR)"), fieldtype: "Currency", default: 100000 },
	],
	formatter(value, row, column, data, default_formatter) {
		if (value === undefined) value = null; // absent: empty, not 0 (see cs_success.report_formatter)
		// The heading row of each segment dimension: its name only, no figures of its own.
		if (data && data.bold) {
			return column.fieldname === "segment" ? `<b>${default_formatter(value, row, column, data)}</b>` : "";
		}
		return default_formatter(value, row, column, data);
	},
};
