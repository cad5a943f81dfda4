# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class HealthBandOutcome(Document):
	pass


def on_doctype_update():
	# One row per start day, window and band (cs_success/health/band_outcomes.py replaces a day's rows);
	# start_day first for the report's reads of its start days and the daily run's deletes by day.
	frappe.db.add_unique(
		"Health Band Outcome", ["start_day", "window_days", "band"], "unique_start_day_window_band"
	)
