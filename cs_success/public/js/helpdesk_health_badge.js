// Installed as an HD Form Script: the customer's health on the Helpdesk agent ticket page.
async function setupForm({ doc, call, $dialog }) {
	let health = null;
	try {
		health = await call("cs_success.api.health.get_health_for_document", { doctype: "HD Ticket", name: doc.name });
	} catch (e) {
		return { actions: [] };
	}
	if (!health || !health.customer) return { actions: [] };
	const themes = { Healthy: "green", "At Risk": "orange", Critical: "red" };
	const score = health.band === "No Data" ? "–" : Math.round(health.score);
	const lines = (health.measures || []).map((m) => `${m.label}: ${Math.round(m.score)}/100`);
	return {
		actions: [
			{
				label: `${__("Health")} ${score} · ${__(health.band)}`,
				theme: themes[health.band] || "gray",
				variant: "subtle",
				onClick() {
					$dialog({
						title: `${__("Customer Health")}: ${health.customer}`,
						message: [`${__("Score")} ${score} (${__(health.band)})`, ...lines].join("\n"),
					});
				},
			},
		],
	};
}
