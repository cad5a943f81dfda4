"""The NPS measure reads the account's respondents over a year, not the single latest answer: its
key, label and scale change (-100..100 instead of a 0-10 answer), so scorecards take its new default
thresholds and everyone is recomputed."""

import frappe

from cs_success.engine.measures import MEASURES_BY_KEY
from cs_success.install import sync_health_measures

OLD, NEW = "latest_nps", "account_nps"


def execute():
	if not frappe.db.exists("Health Measure", OLD):
		return
	sync_health_measures()
	new = MEASURES_BY_KEY[NEW]
	frappe.db.sql(
		"""UPDATE `tabHealth Scorecard Measure`
		SET measure = %s, measure_label = %s, unit = %s, score_100_at = %s, score_0_at = %s
		WHERE measure = %s""",
		(NEW, new.label, new.unit, new.score_100_at, new.score_0_at, OLD),
	)
	frappe.db.sql(
		"UPDATE `tabCustomer Health Measure` SET measure = %s, measure_label = %s, unit = %s WHERE measure = %s",
		(NEW, new.label, new.unit, OLD),
	)
	frappe.delete_doc("Health Measure", OLD, force=True, ignore_permissions=True)
	from cs_success.health.recompute import enqueue_full_recompute

	enqueue_full_recompute()
