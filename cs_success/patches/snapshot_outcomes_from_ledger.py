"""Health snapshots carry what followed them (active in the ledger that day, the next churn), which the
Score Validation now counts; fill them in for the snapshots stored before."""

import frappe

from cs_success.ledger.snapshot_outcomes import refresh_snapshot_outcomes


def execute():
	customers = frappe.db.sql_list("SELECT DISTINCT customer FROM `tabCustomer Health Snapshot`")
	for start in range(0, len(customers), 5000):
		refresh_snapshot_outcomes(customers[start : start + 5000])
		frappe.db.commit()
