// Tickets from customers in trouble stand out; the band is also a standard filter.
frappe.listview_settings["Issue"] = frappe.listview_settings["Issue"] || {};
(function () {
	const settings = frappe.listview_settings["Issue"];
	const colors = { Healthy: "green", "At Risk": "orange", Critical: "red" };
	settings.add_fields = [...(settings.add_fields || []), "cs_health_band"];
	const formatters = (settings.formatters = settings.formatters || {});
	formatters.cs_health_band = (value) =>
		value && colors[value] ? `<span class="indicator-pill ${colors[value]}">${__(value)}</span>` : "";
})();
