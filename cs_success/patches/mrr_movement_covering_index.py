"""MRR Movement's (company, movement_date) index becomes (company, movement_date, movement_type, amount),
which serves every read the old one did and makes the reports' monthly sums index-only. Migrate runs
on_doctype_update only when a doctype's JSON changed, so the patch adds the new index itself."""

import frappe

from cs_success.cs_success.doctype.mrr_movement.mrr_movement import on_doctype_update


def execute():
	on_doctype_update()
	frappe.db.sql_ddl("ALTER TABLE `tabMRR Movement` DROP INDEX IF EXISTS `company_movement_date_index`")
