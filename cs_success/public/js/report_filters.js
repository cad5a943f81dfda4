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
