from frappe import _


def get_dashboard_data(data):
	"""The Customer form's connections: our records under a Customer Success heading."""
	data.setdefault("transactions", []).append(
		{
			"label": _("Customer Success"),
			"items": ["Touchpoint", "Success Plan", "Survey Response", "Customer Health Alert"],
		}
	)
	return data
