// Health band colours, one place for every Desk view. Only Healthy is ever green: the bands that
// say "we cannot tell" (Insufficient Data, No Data) or "gone" (Churned) are grey.
frappe.provide("cs_success.bands");

cs_success.bands = {
	colors: {
		Healthy: "green",
		"At Risk": "orange",
		Critical: "red",
		"Insufficient Data": "gray",
		Churned: "darkgrey",
		"No Data": "gray",
	},
	color(band) {
		return this.colors[band] || "gray";
	},
	// "72 · 45 % data": the score with the share of the scorecard's weight it rests on.
	score_label(score, band, coverage) {
		if (band === "No Data" || score === null || score === undefined) return "–";
		const rounded = Math.round(score);
		if (coverage === null || coverage === undefined) return `${rounded}`;
		return __("{0} · {1}% data", [rounded, Math.round(coverage)]);
	},
};
