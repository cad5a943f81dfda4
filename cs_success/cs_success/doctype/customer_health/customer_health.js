// Copyright (c) 2026, cs_success contributors
// For license information, please see license.txt

frappe.ui.form.on("Customer Health", {
	onload(frm) {
		// A measure without data is stored as 0 beside has_data = 0: show it empty, never as 0. Labels
		// are stored in English and shown in the user's language. The grid keeps its own copies of the
		// fields, so the formatters go on those.
		const grid = frm.fields_dict.measures.grid;
		for (const fieldname of ["raw_value", "measure_score", "contribution"]) {
			const df = grid.get_docfield(fieldname);
			const standard = frappe.form.get_formatter(df.fieldtype);
			df.formatter = (value, field, options, doc) =>
				doc && !doc.has_data ? "" : standard(value, field, options, doc);
		}
		grid.get_docfield("measure_label").formatter = (value) => frappe.utils.escape_html(__(value || ""));
	},
	refresh(frm) {
		frm.disable_save();
		frm.page.set_indicator(__(frm.doc.band), cs_success.bands.color(frm.doc.band));
		if (frm.doc.band === "Insufficient Data") {
			frm.dashboard.set_headline(
				__(
					"Built on {0}% of the scorecard's weight, below the coverage floor: no band is claimed until more is known.",
					[Math.round(frm.doc.data_coverage)]
				),
				"orange"
			);
		} else if (frm.doc.band === "Churned") {
			frm.dashboard.set_headline(
				__("This customer has no recurring revenue and no active agreement (revenue ledger)."),
				"gray"
			);
		}
		if (frappe.user.has_role("CS Manager") || frappe.user.has_role("System Manager")) {
			frm.add_custom_button(__("Override Score"), () => override_dialog(frm));
			if (frm.doc.override_active) {
				frm.add_custom_button(__("Clear Override"), () => clear_override(frm));
			}
			frm.add_custom_button(__("Recompute"), () =>
				frappe
					.xcall("cs_success.api.health.recompute", { customer: frm.doc.customer })
					.then(() => frappe.show_alert(__("Recompute queued")))
			);
		}
		frm.add_custom_button(__("History"), () =>
			frappe.set_route("List", "Customer Health Change", { customer: frm.doc.customer })
		);
		show_churn_risk(frm);
		show_expansion(frm);
	},
});

// Room to grow: the signals in words (the server words them in the reader's language), as text; and the
// button that puts the expansion into the sales pipeline, or opens the one already there.
function show_expansion(frm) {
	const wrapper = frm.get_field("expansion_explained").$wrapper;
	const esc = frappe.utils.escape_html;
	const texts = (frm.doc.__onload && frm.doc.__onload.expansion_texts) || [];
	wrapper.html(
		texts.length
			? `<ul>${texts.map((text) => `<li>${esc(text)}</li>`).join("")}</ul>`
			: `<p class="text-muted">${esc(__("No sign of room to grow today."))}</p>`
	);
	if (frm.doc.expansion_opportunity) {
		frm.add_custom_button(__("Expansion Opportunity"), () =>
			frappe.set_route(
				"Form",
				(frm.doc.__onload && frm.doc.__onload.expansion_doctype) || "Opportunity",
				frm.doc.expansion_opportunity
			)
		);
	} else if (
		frm.doc.has_expansion_signal &&
		(frappe.user.has_role("CS Manager") || frappe.user.has_role("CS Agent"))
	) {
		frm.add_custom_button(__("Open Expansion Opportunity"), () =>
			frappe
				.xcall("cs_success.api.growth.create_expansion_opportunity", { customer: frm.doc.customer })
				.then((result) => {
					frappe.show_alert({
						message: __("Opportunity {0} opened", [result.opportunity]),
						indicator: "green",
					});
					frm.reload_doc();
				})
		);
	}
}

// The three measures that raise the churn risk most, in words; stored as codes and English labels, shown in
// the reader's language, as text (never as HTML).
function show_churn_risk(frm) {
	const wrapper = frm.get_field("churn_risk_explained").$wrapper;
	const esc = frappe.utils.escape_html;
	if (!frm.doc.has_churn_risk_30 && !frm.doc.has_churn_risk_90) {
		wrapper.html(
			`<p class="text-muted">${esc(
				__(
					"No churn risk is shown: no model learned from this site's history beats chance yet, or the customer has churned."
				)
			)}</p>`
		);
		return;
	}
	let drivers = [];
	try {
		drivers = JSON.parse(frm.doc.churn_risk_drivers || "[]") || [];
	} catch (e) {
		drivers = [];
	}
	const number = (value) => (value === null || value === undefined ? "" : format_number(value, null, 1));
	const line = (d) => {
		const label = __(d.label || d.measure);
		if (d.kind === "missing") return __("{0}: no data, and customers without it churn more", [label]);
		const against = __("{0} against {1} for the typical customer", [number(d.value), number(d.typical)]);
		if (d.percent === null || d.percent === undefined) return `${label}: ${against}`;
		return d.kind === "lower"
			? __("{0}: {1}% below the typical customer ({2})", [label, d.percent, against])
			: __("{0}: {1}% above the typical customer ({2})", [label, d.percent, against]);
	};
	wrapper.html(
		drivers.length
			? `<ul>${drivers.map((d) => `<li>${esc(line(d))}</li>`).join("")}</ul>`
			: `<p class="text-muted">${esc(__("Nothing raises this customer's risk above the typical customer's."))}</p>`
	);
}

function override_dialog(frm) {
	const dialog = new frappe.ui.Dialog({
		title: __("Override Health Score"),
		fields: [
			{ fieldname: "score", fieldtype: "Float", label: __("Score (0-100)"), reqd: 1 },
			{ fieldname: "expires_on", fieldtype: "Datetime", label: __("Expires On"), reqd: 1 },
			{ fieldname: "reason", fieldtype: "Small Text", label: __("Reason"), reqd: 1 },
		],
		primary_action_label: __("Override"),
		primary_action(values) {
			frappe
				.xcall("cs_success.api.health.set_override", { customer: frm.doc.customer, ...values })
				.then(() => {
					dialog.hide();
					frm.reload_doc();
				});
		},
	});
	dialog.show();
}

function clear_override(frm) {
	frappe.prompt(
		{ fieldname: "reason", fieldtype: "Small Text", label: __("Reason") },
		(values) =>
			frappe
				.xcall("cs_success.api.health.clear_override", { customer: frm.doc.customer, reason: values.reason })
				.then(() => frm.reload_doc()),
		__("Clear Override")
	);
}
