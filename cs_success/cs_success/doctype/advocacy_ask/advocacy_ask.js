// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.ui.form.on("Advocacy Ask", {
	setup(frm) {
		// The person asked is one of the customer's contacts (the server checks it again).
		frm.set_query("contact", () => ({
			query: "frappe.contacts.doctype.contact.contact.contact_query",
			filters: { link_doctype: "Customer", link_name: frm.doc.customer || "" },
		}));
	},
	customer(frm) {
		if (frm.doc.contact) frm.set_value("contact", null);
	},
});
