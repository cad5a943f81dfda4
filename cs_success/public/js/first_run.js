// The first run (install on a site with history) builds the ledger, the scores and a year of history in
// a background job on a large site: until it is done the Customer Success workspace says how far it is,
// so nobody takes its empty or partial figures for the truth.
frappe.provide("cs_success.first_run");

cs_success.first_run = {
	WORKSPACE: "customer-success",
	POLL_MS: 5000,
	timer: null,

	on_route() {
		const route = frappe.get_route();
		const here =
			route && route[0] === "Workspaces" && frappe.router.slug(route[1] || "") === this.WORKSPACE;
		clearTimeout(this.timer);
		if (here) this.poll();
		else this.remove();
	},

	poll() {
		frappe
			.xcall("cs_success.api.first_run.progress")
			.then((state) => {
				this.show(state);
				if (state && state.stage !== "failed") {
					this.timer = setTimeout(() => this.poll(), this.POLL_MS);
				} else if (!state && this.was_running) {
					// Done while the page was open: reload it so its cards and charts show the figures.
					this.was_running = false;
					location.reload();
				}
			})
			.catch(() => this.remove());
	},

	text(state) {
		const done = format_number(state.done, null, 0);
		const total = format_number(state.total, null, 0);
		return {
			queued: __("Building history: waiting for a background worker ({0} customers).", [total]),
			ledger: __("Building history: the revenue ledger of {0} customers.", [total]),
			scores: __("Building history: scoring {0} customers.", [total]),
			history: __("Building history: {0} of {1} customers.", [done, total]),
			failed: __("Building history failed: see the Error Log, then run bench --site {0} cs-success refresh.", [
				frappe.boot.sitename,
			]),
		}[state.stage];
	},

	show(state) {
		this.remove();
		if (!state) return;
		this.was_running = true;
		const $line = $('<div class="cs-first-run alert" role="status"></div>')
			.addClass(state.stage === "failed" ? "alert-danger" : "alert-info")
			.text(this.text(state) || "");
		// Above the workspace's blocks, which it re-renders at will.
		$(frappe.container.page).find(".layout-main-section-wrapper").first().prepend($line);
	},

	remove() {
		$(".cs-first-run").remove();
	},
};

frappe.router.on("change", () => cs_success.first_run.on_route());
$(document).on("app_ready", () => cs_success.first_run.on_route());
