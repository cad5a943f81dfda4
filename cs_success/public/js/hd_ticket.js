frappe.ui.form.on("HD Ticket", {
	refresh(frm) {
		cs_success.health_badge.refresh(frm, frm.is_new() ? null : { doctype: "HD Ticket", name: frm.doc.name });
	},
});
