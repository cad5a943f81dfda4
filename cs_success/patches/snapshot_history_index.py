"""A customer's snapshot history gets its covering index, `customer_history_index`; the (snapshot_date, kind)
index, which repeats the first two columns of `validation_index` and serves no read that one does not, is
dropped so that the new index costs the site less space and write time. Migrate runs a doctype's
on_doctype_update only when its JSON changed, so the patch adds the index itself."""

import frappe

from cs_success.cs_success.doctype.customer_health_snapshot.customer_health_snapshot import on_doctype_update


def execute():
	frappe.db.sql_ddl(
		"ALTER TABLE `tabCustomer Health Snapshot` DROP INDEX IF EXISTS `snapshot_date_kind_index`"
	)
	on_doctype_update()
