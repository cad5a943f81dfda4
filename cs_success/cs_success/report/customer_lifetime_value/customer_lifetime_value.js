// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.query_reports["Customer Lifetime Value"] = {
	filters: [
		...cs_success.report_filters.company(),
		...cs_success.report_filters.date_range(12),
		...cs_success.report_filters.segment(),
		{ fieldname: "gross_margin", label: __("Gross Margin (%)"), fieldtype: "Percent" },
	],
	formatter(value, row, column, data, default_formatter) {
		if (value === undefined) value = null; // absent: empty, not 0 (see cs_success.report_formatter)
		const html = default_formatter(value, row, column, data);
		// The total row.
		return data && data.bold ? `<b>${html}</b>` : html;
	},
};
