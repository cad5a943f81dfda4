// Customer form: log a touchpoint or start a success plan without leaving the customer.
frappe.ui.form.on("Customer", {
	refresh(frm) {
		if (frm.is_new()) return;
		cs_success.health_badge.refresh(frm, { doctype: "Customer", name: frm.doc.name });
		if (frappe.model.can_create("Touchpoint")) {
			frm.add_custom_button(__("Log Touchpoint"), () => cs_success_log_touchpoint(frm), __("Customer Success"));
		}
		if (frappe.model.can_create("Success Plan")) {
			frm.add_custom_button(__("Success Plan from Template"), () => cs_success_plan_dialog(frm), __("Customer Success"));
		}
	},
});

function cs_success_log_touchpoint(frm) {
	const dialog = new frappe.ui.Dialog({
		title: __("Log Touchpoint"),
		fields: [
			{
				fieldname: "touchpoint_type", fieldtype: "Select", label: __("Type"), reqd: 1, default: "Call",
				options: ["Email", "Call", "Meeting", "Ticket", "Survey", "Onboarding", "Training", "QBR", "Renewal", "Note"],
			},
			{ fieldname: "sentiment", fieldtype: "Select", label: __("Sentiment"), default: "Neutral", options: ["Neutral", "Positive", "Negative"] },
			{ fieldname: "contact", fieldtype: "Link", label: __("Contact"), options: "Contact",
				get_query: () => ({ filters: { link_doctype: "Customer", link_name: frm.doc.name } }) },
			{ fieldname: "touchpoint_date", fieldtype: "Datetime", label: __("Date"), default: frappe.datetime.now_datetime() },
			{ fieldname: "summary", fieldtype: "Small Text", label: __("Summary"), reqd: 1 },
			{ fieldname: "notes", fieldtype: "Text Editor", label: __("Notes") },
		],
		primary_action_label: __("Save"),
		primary_action(values) {
			frappe.xcall("cs_success.api.touchpoint.log_touchpoint", { customer: frm.doc.name, ...values }).then(() => {
				dialog.hide();
				frappe.show_alert({ message: __("Touchpoint saved"), indicator: "green" });
				frm.reload_doc();
			});
		},
	});
	dialog.show();
}

function cs_success_plan_dialog(frm) {
	const dialog = new frappe.ui.Dialog({
		title: __("Success Plan from Template"),
		fields: [
			{ fieldname: "template", fieldtype: "Link", label: __("Template"), options: "Success Plan Template", reqd: 1 },
			{ fieldname: "start_date", fieldtype: "Date", label: __("Start Date"), default: frappe.datetime.get_today(), reqd: 1 },
		],
		primary_action_label: __("Create"),
		primary_action(values) {
			frappe.xcall("cs_success.api.success_plan.create_from_template", { customer: frm.doc.name, ...values })
				.then((name) => {
					dialog.hide();
					frappe.set_route("Form", "Success Plan", name);
				});
		},
	});
	dialog.show();
}
