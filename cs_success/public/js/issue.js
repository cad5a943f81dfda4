frappe.ui.form.on("Issue", {
	refresh(frm) {
		// Asked by ticket, so anyone who may read the ticket sees its customer's badge.
		cs_success.health_badge.refresh(frm, frm.is_new() ? null : { doctype: "Issue", name: frm.doc.name });
	},
});
