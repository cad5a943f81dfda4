# Copyright (c) 2026, cs_success contributors
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class PlayBandOutcome(Document):
	pass


def on_doctype_update():
	# One row per play, start day, window and band (cs_success/health/band_outcomes.py replaces a (play,
	# day)'s rows); play and start_day first for the report's reads of its (play, day)s and the deletes.
	frappe.db.add_unique(
		"Play Band Outcome", ["play", "start_day", "window_days", "band"], "unique_play_day_window_band"
	)
