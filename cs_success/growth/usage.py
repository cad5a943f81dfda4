"""Usage metrics as the growth signals read them: a metric's latest value in a window to a day."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import frappe
from frappe.utils import add_days, flt

# Usage is the latest value recorded within this many days to the day.
USAGE_WINDOW_DAYS = 30


def latest_usage(metric: str, names: Sequence[str] | None, day: date) -> dict[str, float]:
	"""customer -> the metric's latest value recorded in the USAGE_WINDOW_DAYS to the end of `day`."""
	if names is not None and not names:
		return {}
	rows = frappe.db.sql(
		f"""
		SELECT u.customer, u.value
		FROM `tabCustomer Usage Record` u
		JOIN (
			SELECT customer, MAX(recorded_on) AS recorded_on FROM `tabCustomer Usage Record`
			WHERE metric = %(metric)s {"AND customer IN %(names)s" if names is not None else ""}
				AND recorded_on >= %(first)s AND recorded_on < %(after)s
			GROUP BY customer
		) latest ON latest.customer = u.customer AND latest.recorded_on = u.recorded_on
		WHERE u.metric = %(metric)s
		""",
		{
			"metric": metric,
			"names": tuple(names or ()),
			"first": add_days(day, 1 - USAGE_WINDOW_DAYS),
			"after": add_days(day, 1),
		},
	)
	return {customer: flt(value) for customer, value in rows if value is not None}
