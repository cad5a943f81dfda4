// The customer's health at a glance, on Issue, Customer and HD Ticket forms. Loaded before each
// form's own script; refreshed live when the score changes (realtime event "cs_success_health", sent
// only to the Customer Health record's room: see join).
frappe.provide("cs_success");

cs_success.health_badge = cs_success.health_badge || {
	refresh(frm, args) {
		frm.cs_health_args = args;
		if (!args) {
			this.remove(frm);
			return;
		}
		frappe.xcall("cs_success.api.health.get_health_for_document", args).then((health) => {
			if (frm.cs_health_args !== args) return; // the form moved on
			frm.cs_health_customer = health && health.customer;
			if (!health || !health.customer) {
				this.remove(frm);
				return;
			}
			this.show(frm, this.html(health));
			this.join(health.customer);
		});
		this.listen(frm);
	},

	// The server publishes a score only to its Customer Health record's room, which Frappe's socket.io
	// server lets a user join only when they may read that record. frappe.realtime.doc_subscribe takes one
	// call a second (the form's own subscription has just used it), so emit directly; and again after a
	// reconnect, which leaves every room.
	join(customer) {
		if (!frappe.realtime.socket) return; // realtime is off on this site
		this.rooms = this.rooms || new Set();
		this.rooms.add(customer);
		frappe.realtime.emit("doc_subscribe", "Customer Health", customer);
		if (this.rejoins) return;
		this.rejoins = true;
		frappe.realtime.on("connect", () => {
			this.rooms.forEach((name) => frappe.realtime.emit("doc_subscribe", "Customer Health", name));
		});
	},

	// Form messages stack (show_message appends): replace our own block, leave other messages alone.
	show(frm, html) {
		const current = frm.layout.message.find(".cs-health-badge");
		if (current.length) {
			current.replaceWith(html);
		} else {
			frm.dashboard.set_headline_alert(html);
		}
	},

	remove(frm) {
		frm.layout.message.find(".cs-health-badge").closest(".form-message").remove();
		if (!frm.layout.message.children().length) frm.layout.message.addClass("hidden");
	},

	html(health) {
		const color = cs_success.bands.color(health.band);
		const score = cs_success.bands.score_label(health.score, health.band, health.data_coverage);
		let trend = "";
		if (health.trend_delta !== null && health.trend_delta !== undefined) {
			const arrow = health.trend_delta > 0 ? "↑" : health.trend_delta < 0 ? "↓" : "→";
			trend = `<span class="cs-health-trend text-muted">${arrow} ${Math.abs(health.trend_delta).toFixed(1)} ${__("in 30 days")}</span>`;
		}
		const reasons = (health.measures || [])
			.map((m) => `${frappe.utils.escape_html(m.label)}: ${Math.round(m.score)}/100`)
			.join(" · ");
		const override = health.override_active ? ` <span class="text-muted">(${__("override")})</span>` : "";
		// Unknown (no usable model) shows nothing, never 0 %.
		const risk =
			health.churn_risk !== null && health.churn_risk !== undefined
				? `<span class="cs-health-risk text-muted">${__("Churn risk {0}% in 90 days", [format_number(health.churn_risk, null, 0)])}</span>`
				: "";
		return `<div class="cs-health-badge d-flex align-items-center flex-wrap" style="gap: 8px"
				data-band="${frappe.utils.escape_html(health.band)}" title="${frappe.utils.escape_html(reasons)}">
			<span class="indicator-pill ${color} cs-health-pill">${__("Health")} ${score} · ${__(health.band)}${override}</span>
			${trend}
			${risk}
			${reasons ? `<span class="cs-health-reasons small text-muted">${__("Weakest")}: ${reasons}</span>` : ""}
			<a class="small" href="/app/customer-health/${encodeURIComponent(health.customer)}">${__("Details")}</a>
		</div>`;
	},

	listen(frm) {
		if (frm.cs_health_listening) return;
		frm.cs_health_listening = true;
		frappe.realtime.on("cs_success_health", (data) => {
			if (frm.cs_health_customer && data.customer === frm.cs_health_customer && frm.cs_health_args) {
				this.refresh(frm, frm.cs_health_args);
			}
		});
	},
};
