// Tickets from customers in trouble stand out; the band is also a standard filter.
(function () {
	for (const doctype of ["Issue", "HD Ticket"]) {
		const settings = (frappe.listview_settings[doctype] = frappe.listview_settings[doctype] || {});
		if ((settings.add_fields || []).includes("cs_health_band")) continue;
		settings.add_fields = [...(settings.add_fields || []), "cs_health_band"];
		const formatters = (settings.formatters = settings.formatters || {});
		formatters.cs_health_band = (value) =>
			value
				? `<span class="indicator-pill ${cs_success.bands.color(value)}">${frappe.utils.escape_html(__(value))}</span>`
				: "";
	}
})();
