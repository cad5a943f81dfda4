"""Tier 2: a named customer's billing values are kept for the day while its invoices are unchanged
(health/measure_data.py billing_measures, base/day_cache.py), and every real way the figures move
reads them again: a Payment Entry, a rollback, a merge. The daily run and past days always read."""

from unittest.mock import patch

import redis

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, getdate, today

from cs_success.health.measure_data import billing_measures, forget_cached_values
from cs_success.tests.utils import make_customer, make_sales_invoice, pay_invoice, reset_health_queue


class CountingBillingReads:
	"""Counts the billing statement (the one read of the invoices) while it is active."""

	def __enter__(self):
		self.reads = 0
		sql = frappe.db.sql

		def counting(query, *args, **kwargs):
			if "SELECT 'billing'" in str(query):
				self.reads += 1
			return sql(query, *args, **kwargs)

		self.patch = patch.object(frappe.db, "sql", counting)
		self.patch.start()
		return self

	def __exit__(self, *exc):
		self.patch.stop()


def overdue(customer: str) -> dict:
	return billing_measures([customer], getdate(today())).get(customer, {})


class TestBillingDayCache(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()
		# Two invoices of 100, posted 40 days ago and due 30 days ago, neither paid: both overdue.
		self.customer = make_customer("Day Cache")
		self.due = add_days(today(), -30)
		self.invoices = [
			make_sales_invoice(
				self.customer, 100, posting_date=add_days(today(), -40), due_date=self.due
			).name
			for _ in range(2)
		]

	def test_unchanged_invoices_are_not_read_again_and_a_payment_is_seen(self):
		with CountingBillingReads() as counter:
			self.assertEqual(overdue(self.customer)["overdue_invoices"], 2.0)
			self.assertEqual(overdue(self.customer)["overdue_invoices"], 2.0)
			self.assertEqual(counter.reads, 1)  # the second came from the day's cache

			# ERPNext settles the invoice with frappe.db.set_value (update_voucher_outstanding), not a save of
			# the invoice: its `modified` moves all the same, and with it the fingerprint.
			pay_invoice(self.invoices[0])
			values = overdue(self.customer)
			self.assertEqual(counter.reads, 2)
		# One left overdue; the paid one was paid today, 30 days after its due date.
		self.assertEqual(values["overdue_invoices"], 1.0)
		self.assertEqual(values["avg_days_paid_late"], 30.0)

	def test_values_read_in_a_rolled_back_transaction_are_not_served_after_it(self):
		self.assertEqual(overdue(self.customer)["overdue_invoices"], 2.0)
		frappe.db.savepoint("day_cache_test")
		make_sales_invoice(self.customer, 100, posting_date=add_days(today(), -40), due_date=self.due)
		# Kept under the third invoice's fingerprint.
		self.assertEqual(overdue(self.customer)["overdue_invoices"], 3.0)
		frappe.db.rollback(save_point="day_cache_test")
		# The latest invoice is the second again: the kept 3 is not its value.
		self.assertEqual(overdue(self.customer)["overdue_invoices"], 2.0)

	def test_a_change_behind_erpnexts_back_is_seen_by_the_daily_run_and_after_forgetting(self):
		"""The limit, stated: raw SQL that leaves `modified` alone is not seen by a named recompute the same
		day; the daily run (everyone) and a forget read it."""
		self.assertEqual(overdue(self.customer)["overdue_invoices"], 2.0)
		frappe.db.sql(
			"UPDATE `tabSales Invoice` SET outstanding_amount = 0 WHERE name = %s", self.invoices[0]
		)
		self.assertEqual(overdue(self.customer)["overdue_invoices"], 2.0)
		self.assertEqual(billing_measures(None, getdate(today()))[self.customer]["overdue_invoices"], 1.0)
		forget_cached_values([self.customer])
		self.assertEqual(overdue(self.customer)["overdue_invoices"], 1.0)

	def test_a_past_day_is_always_read(self):
		yesterday = getdate(add_days(today(), -1))
		with CountingBillingReads() as counter:
			billing_measures([self.customer], yesterday)
			billing_measures([self.customer], yesterday)
		self.assertEqual(counter.reads, 2)

	def test_a_merge_forgets_the_survivors_kept_values(self):
		"""Frappe repoints the merged customer's invoices with one UPDATE that leaves `modified` alone, and the
		survivor's latest invoice is its own (made after the merged one's), so its fingerprint does not move.
		Frappe's rename clears the whole cache, and our rename hook forgets the survivor's values as well."""
		merged = make_customer("Day Cache Merged")
		make_sales_invoice(merged, 100, posting_date=add_days(today(), -40), due_date=self.due)
		survivor = make_customer("Day Cache Survivor")
		make_sales_invoice(survivor, 100, posting_date=add_days(today(), -40), due_date=self.due)
		self.assertEqual(overdue(survivor)["overdue_invoices"], 1.0)
		frappe.rename_doc("Customer", merged, survivor, merge=True, show_alert=False)
		# 1 of its own + 1 moved over.
		self.assertEqual(overdue(survivor)["overdue_invoices"], 2.0)

	def test_a_customer_without_invoices_gets_them_counted_once_it_has_one(self):
		bare = make_customer("Day Cache Bare")
		self.assertEqual(overdue(bare), {})
		make_sales_invoice(bare, 100, posting_date=add_days(today(), -40), due_date=self.due)
		self.assertEqual(overdue(bare)["overdue_invoices"], 1.0)

	def test_without_redis_everything_is_read(self):
		refused = redis.exceptions.ConnectionError("no redis")
		with patch.object(frappe.cache, "hmget", side_effect=refused):
			self.assertEqual(overdue(self.customer)["overdue_invoices"], 2.0)
