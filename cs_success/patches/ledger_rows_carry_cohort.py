"""Customer Active Spans and MRR Intervals carry the customer's first acquisition day (`acquired_on`), which
Cohort Retention groups by. Fill it in for the rows stored before from the customers' Acquired events: the
same day the rebuild now writes, so the next rebuild finds these rows unchanged and rewrites none."""

import frappe

from cs_success.engine.ledger import ACQUIRED


def execute():
	for doctype in ("Customer Active Span", "MRR Interval"):
		frappe.db.sql(
			f"""UPDATE `tab{doctype}` ledger
			JOIN (
				SELECT customer, MIN(event_date) AS acquired_on FROM `tabCustomer Lifecycle Event`
				WHERE event_type = %(acquired)s GROUP BY customer
			) acquisition ON acquisition.customer = ledger.customer
			SET ledger.acquired_on = acquisition.acquired_on
			WHERE ledger.acquired_on IS NULL""",
			{"acquired": ACQUIRED},
		)
		frappe.db.commit()
