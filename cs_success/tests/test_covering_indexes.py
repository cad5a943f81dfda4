"""Tier 2: one customer's invoices and tickets are read from the indexes install adds to Sales Invoice and Issue,
not from their rows. The billing and ticket reads take only the columns those indexes hold
(install.INVOICE_INDEX_COLUMNS, TICKET_INDEX_COLUMNS): put on the index, MariaDB's plan says "Using index",
which it says only when no row is read. A column added to either read and not to its index fails here; so does
the index install made before issue 21 (customer, docstatus, posting_date), which needed a row per invoice."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import getdate, today

from cs_success.health.measure_data import _invoices_as_of, issue_ticket_select
from cs_success.install import INDEXES

CUSTOMER = "_CS Covering Index Customer"


def index_of(doctype: str) -> str:
	return next(index for table, _columns, index in INDEXES if table == doctype)


def plan_of(sql: str, table: str, index: str, alias: str) -> dict:
	"""The EXPLAIN row of `table` (read as `alias`) in `sql`, with the read put on `index`."""
	reference = f"`tab{table}`" + ("" if alias == f"tab{table}" else f" {alias}")
	forced = sql.replace(f"FROM {reference}", f"FROM {reference} FORCE INDEX (`{index}`)")
	assert forced != sql, f"{reference} not read in {sql}"
	params = {"customers": (CUSTOMER,), "day0": getdate(today())}
	rows = [row for row in frappe.db.sql(f"EXPLAIN {forced}", params, as_dict=True) if row.table == alias]
	assert len(rows) == 1, rows
	return rows[0]


class TestOneCustomerFromTheIndexAlone(FrappeTestCase):
	def assert_index_only(self, plan: dict, index: str):
		self.assertEqual(plan.key, index)
		# "Using index condition" (a filter pushed into the index, then the row read) is not it.
		self.assertIn("Using index", [part.strip() for part in (plan.Extra or "").split(";")], plan)

	def test_billing_read(self):
		index = index_of("Sales Invoice")
		sql = _invoices_as_of([CUSTOMER], [getdate(today())])
		self.assert_index_only(plan_of(sql, "Sales Invoice", index, "si"), index)

	def test_ticket_read(self):
		index = index_of("Issue")
		sql = issue_ticket_select([CUSTOMER])
		self.assert_index_only(plan_of(sql, "Issue", index, "tabIssue"), index)
