// Installed as an HD Form Script: the customer's health on the Helpdesk agent ticket page.
//
// Live like the Desk badge: the recompute publishes "cs_success_health" {customer, score, band} over
// socket.io to the Customer Health record's room, which Frappe's socket.io server lets a user join
// ("doc_subscribe") only when they may read that record. Helpdesk's agent SPA keeps its socket on the
// Vue app (globalProperties.$socket), which a form script can reach through the #app element. On a message for this customer the badge
// fetches its health again and re-renders in place. A form script only returns its actions once,
// so the action's label, theme and style are getters over `csView`: Helpdesk renders the action
// through Vue's reactive proxy, the getters see that proxy as `this`, and writing the new view
// through it re-renders the button. Without a socket (an older Helpdesk) it re-reads on every
// return to the tab and once a minute.
async function setupForm({ doc, call, $dialog }) {
	const fetchHealth = () =>
		call("cs_success.api.health.get_health_for_document", { doctype: "HD Ticket", name: doc.name });
	let health = null;
	try {
		health = await fetchHealth();
	} catch (e) {
		return { actions: [] };
	}
	if (!health || !health.customer) return { actions: [] };

	// Helpdesk's buttons come in gray, blue, green and red only: At Risk gets its amber inline. Only
	// Healthy is ever green; Insufficient Data, Churned and No Data stay gray.
	const themes = { Healthy: "green", Critical: "red" };
	const styles = { "At Risk": "background-color: #fef3c7; color: #92400e;" };
	// "72 · 45% data": the score with the share of the scorecard's weight it rests on.
	const scoreLabel = (h) => {
		if (h.band === "No Data" || h.score === null || h.score === undefined) return "–";
		const score = Math.round(h.score);
		if (h.data_coverage === null || h.data_coverage === undefined) return `${score}`;
		return __("{0} · {1}% data", score, Math.round(h.data_coverage));
	};
	// The churn risk in 90 days when a usable model knows it; nothing (never 0 %) when not.
	const riskLabel = (h) =>
		h.churn_risk === null || h.churn_risk === undefined ? "" : ` · ${__("risk {0}%", Math.round(h.churn_risk))}`;
	const view = (h) => ({
		label: `${__("Health")} ${scoreLabel(h)} · ${__(h.band)}${riskLabel(h)}`,
		theme: themes[h.band] || "gray",
		style: styles[h.band] || "",
	});
	const escape = (text) =>
		String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
	// Helpdesk's dialog shows `message` as one paragraph; `html` keeps one line per measure.
	const body = (h) => {
		const score = h.band === "No Data" || h.score === null ? "–" : Math.round(h.score);
		const coverage =
			h.data_coverage === null || h.data_coverage === undefined
				? []
				: [`${__("Data Coverage")}: ${Math.round(h.data_coverage)}%`];
		const lines = (h.measures || []).map((m) => `${m.label}: ${Math.round(m.score)}/100`);
		return [`${__("Score")} ${score} (${__(h.band)})`, ...coverage, ...lines]
			.map((line, i) => `<p class="text-p-base ${i ? "text-ink-gray-7" : "font-medium text-ink-gray-9"}">${escape(line)}</p>`)
			.join("");
	};

	let live = null; // the action as Helpdesk's Vue renders it (its reactive proxy)
	const action = {
		variant: "subtle",
		get label() {
			live = this;
			return this.csView.label;
		},
		get theme() {
			return this.csView.theme;
		},
		get style() {
			return this.csView.style;
		},
		onClick() {
			$dialog({ title: `${__("Customer Health")}: ${health.customer}`, html: body(health) });
		},
	};
	// Not enumerable: Helpdesk binds every enumerable key of an action onto its button.
	Object.defineProperty(action, "csView", { value: view(health), writable: true, enumerable: false });

	const badge = { customer: health.customer };
	badge.refresh = async () => {
		let fresh = null;
		try {
			fresh = await fetchHealth();
		} catch (e) {
			return;
		}
		if (!fresh || !fresh.customer || window.csSuccessHelpdeskBadge.current !== badge) return;
		health = fresh;
		(live || action).csView = view(fresh);
	};

	// One listener for the page, whatever ticket it shows now: Helpdesk runs this script again on
	// every ticket it opens, and only the latest badge is on screen.
	const registry = (window.csSuccessHelpdeskBadge = window.csSuccessHelpdeskBadge || {});
	registry.current = badge;
	const socket = document.getElementById("app")?.__vue_app__?.config?.globalProperties?.$socket;
	const join = (customer) => socket.emit("doc_subscribe", "Customer Health", customer);
	if (socket && registry.socket !== socket) {
		registry.socket = socket;
		socket.on("cs_success_health", (data) => {
			const current = registry.current;
			if (current && data && data.customer === current.customer) current.refresh();
		});
		// A reconnect leaves every room: join the shown customer's again.
		socket.on("connect", () => registry.current && join(registry.current.customer));
	}
	if (socket) join(health.customer);
	if (!registry.watchingVisibility) {
		registry.watchingVisibility = true;
		document.addEventListener("visibilitychange", () => {
			if (!document.hidden && registry.current) registry.current.refresh();
		});
		if (!socket) setInterval(() => !document.hidden && registry.current && registry.current.refresh(), 60000);
	}
	return { actions: [action] };
}
