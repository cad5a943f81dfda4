// Installed as an HD Form Script: the customer's health on the Helpdesk agent ticket page.
async function setupForm({ doc, call, $dialog }) {
	let health = null;
	try {
		health = await call("cs_success.api.health.get_health_for_document", { doctype: "HD Ticket", name: doc.name });
	} catch (e) {
		return { actions: [] };
	}
	if (!health || !health.customer) return { actions: [] };
	// Helpdesk's buttons come in gray, blue, green and red only: At Risk gets its amber inline.
	const themes = { Healthy: "green", Critical: "red" };
	const styles = { "At Risk": "background-color: #fef3c7; color: #92400e;" };
	const score = health.band === "No Data" ? "–" : Math.round(health.score);
	const lines = (health.measures || []).map((m) => `${m.label}: ${Math.round(m.score)}/100`);
	// Helpdesk's dialog shows `message` as one paragraph; `html` keeps one line per measure.
	const escape = (text) =>
		String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
	const body = [`${__("Score")} ${score} (${__(health.band)})`, ...lines]
		.map((line, i) => `<p class="text-p-base ${i ? "text-ink-gray-7" : "font-medium text-ink-gray-9"}">${escape(line)}</p>`)
		.join("");
	return {
		actions: [
			{
				label: `${__("Health")} ${score} · ${__(health.band)}`,
				theme: themes[health.band] || "gray",
				variant: "subtle",
				style: styles[health.band] || "",
				onClick() {
					$dialog({
						title: `${__("Customer Health")}: ${health.customer}`,
						html: body,
					});
				},
			},
		],
	};
}
