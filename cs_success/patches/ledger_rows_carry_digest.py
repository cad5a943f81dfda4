"""Ledger rows carry their digest (`row_digest`), indexed with the customer, so that a rebuild finds
unchanged customers from the index alone. Fill it in for the rows stored before, from their columns, as the
rebuild computes it; and drop the customer-only index the (customer, row_digest) one replaces."""

import frappe

from cs_success.ledger.build import DIGEST, TABLES, digest_sql


def execute():
	for doctype in TABLES:
		frappe.db.sql(f"UPDATE `tab{doctype}` SET {DIGEST} = {digest_sql(doctype)} WHERE {DIGEST} IS NULL")
		frappe.db.commit()
		frappe.db.sql_ddl(f"ALTER TABLE `tab{doctype}` DROP INDEX IF EXISTS `customer_index`")
