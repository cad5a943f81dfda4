// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.provide("cs_success.cohort_retention");

// Heat-map colours for a retention %: red up to 40 %, through amber (70 %) to green at 100 % and above.
// Light backgrounds, so the dark text stays readable on every one of them.
cs_success.cohort_retention.heat = function (value) {
	const v = Math.max(0, Math.min(100, value));
	let hue;
	if (v <= 40) hue = 0;
	else if (v <= 70) hue = ((v - 40) / 30) * 40;
	else hue = 40 + ((v - 70) / 30) * 90;
	return `hsl(${Math.round(hue)}, 75%, 82%)`;
};

// The datatable pads a cell's content by 0.5rem; the negative margin lets the colour fill the whole cell.
cs_success.cohort_retention.cell = function (background, content) {
	return `<div style="background:${background};color:#1f272e;margin:-0.5rem;padding:0.5rem;">${content}</div>`;
};

frappe.query_reports["Cohort Retention"] = {
	filters: [
		...cs_success.report_filters.company(),
		...cs_success.report_filters.date_range(12),
		{
			fieldname: "measure",
			label: __("Measure"),
			fieldtype: "Select",
			options: [
				{ value: "Logos", label: __("Logos") },
				{ value: "Revenue", label: __("Revenue") },
			],
			default: "Logos",
		},
		{ fieldname: "months", label: __("Months"), fieldtype: "Int", default: 12, description: __("Up to 24") },
		...cs_success.report_filters.segment(),
	],
	formatter(value, row, column, data, default_formatter) {
		if (value === undefined) value = null; // absent: empty, not 0 (see cs_success.report_formatter)
		let html = default_formatter(value, row, column, data);
		// The "All Cohorts" row.
		if (data && data.bold) html = `<b>${html}</b>`;
		if (!column.fieldname || !column.fieldname.startsWith("month_") || !data) {
			return html;
		}
		const cell = cs_success.cohort_retention.cell;
		// An empty cell (a month not ended yet, or nobody to divide by) is grey, never a colour of 0 %.
		if (value === null || value === undefined || value === "") {
			return cell("var(--gray-100, #f4f5f6)", "&nbsp;");
		}
		return cell(cs_success.cohort_retention.heat(value), html);
	},
};
