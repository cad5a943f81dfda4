// Tickets from customers in trouble stand out; the band is also a standard filter.
(function () {
	const colors = { Healthy: "green", "At Risk": "orange", Critical: "red" };
	for (const doctype of ["Issue", "HD Ticket"]) {
		const settings = (frappe.listview_settings[doctype] = frappe.listview_settings[doctype] || {});
		if ((settings.add_fields || []).includes("cs_health_band")) continue;
		settings.add_fields = [...(settings.add_fields || []), "cs_health_band"];
		const formatters = (settings.formatters = settings.formatters || {});
		formatters.cs_health_band = (value) =>
			value && colors[value] ? `<span class="indicator-pill ${colors[value]}">${__(value)}</span>` : "";
	}
})();
