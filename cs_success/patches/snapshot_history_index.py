"""The snapshot table's (snapshot_date, kind) index repeats the first two columns of `validation_index`,
which serves the same reads: dropped, so that the new covering `customer_history_index` (added by the
doctype's on_doctype_update when migrate syncs it) costs the site less space and write time."""

import frappe


def execute():
	frappe.db.sql_ddl(
		"ALTER TABLE `tabCustomer Health Snapshot` DROP INDEX IF EXISTS `snapshot_date_kind_index`"
	)
