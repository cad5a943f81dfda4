// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.query_reports["Expansion Opportunities"] = {
	formatter(value, row, column, data, default_formatter) {
		// A customer with no open expansion opportunity gets a button that opens one in the sales pipeline.
		if (column.fieldname === "opportunity" && data && !value && data.customer) {
			return `<button class="btn btn-xs btn-default cs-open-expansion" data-customer="${frappe.utils.escape_html(
				data.customer
			)}">${__("Open Opportunity")}</button>`;
		}
		return cs_success.report_formatter(value, row, column, data, default_formatter);
	},
	filters: [
		...cs_success.report_filters.segment(),
		{ fieldname: "owner", label: __("Owner"), fieldtype: "Link", options: "User" },
		...cs_success.report_filters.company(),
		// The period of the CS-sourced and all expansion figures in the summary.
		...cs_success.report_filters.date_range(3),
	],
	onload(report) {
		$(report.page.wrapper)
			.off("click.cs_expansion")
			.on("click.cs_expansion", ".cs-open-expansion", function () {
				const button = $(this);
				button.prop("disabled", true);
				frappe
					.xcall("cs_success.api.growth.create_expansion_opportunity", {
						customer: button.attr("data-customer"),
					})
					.then((result) => {
						frappe.show_alert({
							message: result.created
								? __("Opportunity {0} opened", [result.opportunity])
								: __("Already open: {0}", [result.opportunity]),
							indicator: "green",
						});
						report.refresh();
					})
					.finally(() => button.prop("disabled", false));
			});
		// Refitting learns expansion from the history again; CS Managers only, as the endpoint checks.
		if (!frappe.user.has_role("CS Manager")) return;
		report.page.add_inner_button(__("Refit Propensity"), () =>
			frappe
				.xcall("cs_success.api.growth.refit_propensity")
				.then(() => frappe.show_alert({ message: __("Refit queued"), indicator: "blue" }))
		);
	},
};
