// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.listview_settings["Customer Health"] = {
	add_fields: ["band", "score", "data_coverage", "has_churn_risk_90"],
	get_indicator(doc) {
		return [__(doc.band), cs_success.bands.color(doc.band), "band,=," + doc.band];
	},
	formatters: {
		// The coverage beside every score: a score on a fifth of the weight is not a score on all of it.
		score(value, df, doc) {
			return frappe.utils.escape_html(cs_success.bands.score_label(value, doc.band, doc.data_coverage));
		},
		// A risk no usable model knows is stored as 0 beside has_churn_risk_90 = 0: empty, never "0%".
		churn_risk_90(value, df, doc) {
			return doc.has_churn_risk_90 ? `${format_number(value, null, 1)}%` : "";
		},
	},
};
