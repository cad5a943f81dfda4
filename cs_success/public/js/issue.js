frappe.ui.form.on("Issue", {
	refresh(frm) {
		cs_success.health_badge.refresh(frm, frm.doc.customer ? { doctype: "Customer", name: frm.doc.customer } : null);
	},
	customer(frm) {
		frm.trigger("refresh");
	},
});
