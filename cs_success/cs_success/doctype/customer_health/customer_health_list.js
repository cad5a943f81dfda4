// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.listview_settings["Customer Health"] = {
	add_fields: ["band", "score"],
	get_indicator(doc) {
		const colors = { Healthy: "green", "At Risk": "orange", Critical: "red", "No Data": "gray" };
		return [__(doc.band), colors[doc.band] || "gray", "band,=," + doc.band];
	},
};
