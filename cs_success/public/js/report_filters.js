// Filters shared by the CS Success script reports.
frappe.provide("cs_success.report_filters");

cs_success.report_filters = {
	date_range(months_back = 12) {
		return [
			{
				fieldname: "from_date",
				label: __("From Date"),
				fieldtype: "Date",
				default: frappe.datetime.add_months(frappe.datetime.get_today(), -months_back),
				reqd: 1,
			},
			{
				fieldname: "to_date",
				label: __("To Date"),
				fieldtype: "Date",
				default: frappe.datetime.get_today(),
				reqd: 1,
			},
		];
	},
	// Money is shown per company, in its currency: figures of companies in different currencies
	// cannot be added up.
	company() {
		return [
			{
				fieldname: "company",
				label: __("Company"),
				fieldtype: "Link",
				options: "Company",
				default: frappe.defaults.get_user_default("Company"),
				reqd: 1,
			},
		];
	},
	periodicity(default_value = "Quarterly") {
		return [
			{
				fieldname: "periodicity",
				label: __("Periodicity"),
				fieldtype: "Select",
				options: "Monthly\nQuarterly\nYearly",
				default: default_value,
			},
		];
	},
	segment() {
		return [
			{ fieldname: "customer_group", label: __("Customer Group"), fieldtype: "Link", options: "Customer Group" },
			{ fieldname: "territory", label: __("Territory"), fieldtype: "Link", options: "Territory" },
		];
	},
};

// In our reports a figure that is not there (a key absent from the row) shows empty, never 0: Frappe's
// formatters show null as empty but format undefined as 0.
cs_success.report_formatter = function (value, row, column, data, default_formatter) {
	return default_formatter(value === undefined ? null : value, row, column, data);
};

// Report summaries at the decimals the server gives (cs_success.analytics.summary's `precision`): Frappe
// formats every summary with the site's float precision, so a rounded 4.04 showed as "4.040%". Items
// without a precision (other apps' reports, dashboard charts) go through Frappe's own code unchanged.
(function () {
	const build_summary_item = frappe.utils.build_summary_item;
	if (!build_summary_item || build_summary_item.cs_success_precision) return;
	const with_precision = function (summary) {
		if (
			summary &&
			summary.precision !== undefined &&
			summary.precision !== null &&
			summary.value !== null &&
			summary.value !== undefined &&
			["Percent", "Float"].includes(summary.datatype)
		) {
			const value = frappe.format(
				summary.value,
				// "0" as a string: Frappe's formatters take a numeric 0 precision for "not set".
				{
					fieldtype: summary.datatype,
					precision: summary.precision === 0 ? "0" : summary.precision,
				},
				{ only_value: true }
			);
			return build_summary_item.call(this, { ...summary, value: value, datatype: "Data" });
		}
		return build_summary_item.call(this, summary);
	};
	with_precision.cs_success_precision = true;
	frappe.utils.build_summary_item = with_precision;
})();
