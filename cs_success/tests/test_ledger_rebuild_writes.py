"""Tier 2: a ledger rebuild writes only what changed. Rebuilding over unchanged documents inserts and
deletes nothing (every row keeps its name); a document or setting change rewrites exactly the affected
rows, and the result is the same as rebuilding those customers from an empty ledger; a churn reason a
person set stays on its event."""

from datetime import timedelta
from unittest.mock import patch

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import getdate

from cs_success.ledger import build
from cs_success.ledger.build import COLUMNS, TABLES, rebuild_customers
from cs_success.tests.utils import (
	make_contract,
	make_customer,
	make_customer_group,
	make_monthly_invoices,
	make_sales_invoice,
	make_subscription,
	reset_health_queue,
)

D = getdate


def ledger(customers) -> dict:
	"""doctype -> {name: (values...)} for these customers, values as the rebuild compares them."""
	return {
		doctype: {
			name: tuple(values)
			for name, *values in frappe.db.sql(
				f"""SELECT name, {", ".join(f"`{c}`" for c in COLUMNS[doctype])} FROM `tab{doctype}`
				WHERE customer IN %(customers)s""",
				{"customers": tuple(customers)},
				as_list=True,
			)
		}
		for doctype in TABLES
	}


def values_of(rows: dict) -> dict:
	return {doctype: sorted(by_name.values(), key=repr) for doctype, by_name in rows.items()}


class CountingWrites:
	"""Rows the rebuild inserts and deletes, per table."""

	def __enter__(self):
		self.inserted, self.deleted = {}, {}
		insert, delete = build.insert_rows, build._delete_rows

		def counted_insert(doctype, columns, rows, *args, **kwargs):
			if rows:
				self.inserted[doctype] = self.inserted.get(doctype, 0) + len(rows)
			return insert(doctype, columns, rows, *args, **kwargs)

		def counted_delete(doctype, names):
			if names:
				self.deleted[doctype] = self.deleted.get(doctype, 0) + len(names)
			return delete(doctype, names)

		self.patches = [
			patch.object(build, "insert_rows", counted_insert),
			patch.object(build, "_delete_rows", counted_delete),
		]
		for p in self.patches:
			p.start()
		return self

	def __exit__(self, *exc):
		for p in self.patches:
			p.stop()

	@property
	def writes(self) -> int:
		return sum(self.inserted.values()) + sum(self.deleted.values())


class ReadingStoredRows:
	"""The customers whose stored rows the rebuild reads back to compare one by one."""

	def __enter__(self):
		self.customers = set()
		read = build._stored_rows

		def spied(changed, *args):
			for customers in changed.values():
				self.customers |= customers
			return read(changed, *args)

		self.patch = patch.object(build, "_stored_rows", spied)
		self.patch.start()
		return self

	def __exit__(self, *exc):
		self.patch.stop()


class TestLedgerRebuildWrites(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()
		self.group = make_customer_group("Ledger Writes")

	def customer(self, label: str, **fields) -> str:
		return make_customer(label, customer_group=self.group, **fields)

	def assertSameAsFromScratch(self, customers):
		"""The incremental result equals a rebuild of these customers from an empty ledger."""
		incremental = values_of(ledger(customers))
		for doctype in TABLES:
			frappe.db.sql(f"DELETE FROM `tab{doctype}` WHERE customer IN %(c)s", {"c": tuple(customers)})
		rebuild_customers(customers)
		self.assertEqual(values_of(ledger(customers)), incremental)

	def varied_customers(self) -> list[str]:
		# Monthly with a change of amount and a lapse; annual (100 / 12 and 1,000 / 12 are not whole);
		# a signed contract with a value; a subscription; a credit note.
		m = self.customer("Mēneša Ölçü")  # the digest is of UTF-8 bytes, in Python and in MariaDB
		make_monthly_invoices(m, 100, "2025-01-01", 3)
		make_monthly_invoices(m, 130, "2025-06-01", 4)
		a = self.customer("Annual")
		for posting in ("2025-02-01", "2026-02-01"):
			make_sales_invoice(a, 1000, posting_date=posting)
		c = self.customer("Contract")
		make_contract(c, "2025-01-01", "2025-12-31", value=10000)
		s = self.customer("Subscription")
		make_subscription(s, "2025-03-01", cost=77.77)
		n = self.customer("Credit Note", cs_billing_period="Annual")
		original = make_sales_invoice(n, 1234.56, posting_date="2025-01-01")
		make_sales_invoice(n, 100.01, posting_date="2025-03-01", return_against=original.name)
		return [m, a, c, s, n]

	def test_rebuilding_twice_writes_nothing(self):
		customers = self.varied_customers()
		with CountingWrites() as first, ReadingStoredRows() as read:
			rebuild_customers(customers)
		self.assertGreater(sum(first.inserted.values()), 0)
		self.assertEqual(first.deleted, {})
		self.assertEqual(read.customers, set())  # nothing stored yet: nothing to read back
		before = ledger(customers)
		for doctype in ("MRR Interval", "MRR Movement", "Customer Active Span", "Customer Lifecycle Event"):
			self.assertTrue(before[doctype], doctype)
		self.assertTrue(before["Agreement Renewal"])

		with CountingWrites() as second, ReadingStoredRows() as read:
			rebuild_customers(customers)
		self.assertEqual((second.inserted, second.deleted), ({}, {}))
		# The per-customer digests matched: no stored row was read back to compare (names with non-ASCII
		# letters, 1000 / 12 and the credit note's cents included).
		self.assertEqual(read.customers, set())
		self.assertEqual(ledger(customers), before)  # the same names with the same values
		self.assertSameAsFromScratch(customers)

	def digests(self, customers) -> dict:
		"""doctype -> {name: stored row_digest} for these customers."""
		return {
			doctype: dict(
				frappe.db.sql(
					f"SELECT name, row_digest FROM `tab{doctype}` WHERE customer IN %(customers)s",
					{"customers": tuple(customers)},
				)
			)
			for doctype in TABLES
		}

	def test_the_patch_computes_the_digests_the_rebuild_stores(self):
		# Rows stored before the digest column get it from MariaDB (MD5 of the columns as text, NULL to_date,
		# nine-place money, non-ASCII names): it must be the digest Python stored, bit for bit, or every such
		# customer would be read back on every rebuild.
		from cs_success.patches import ledger_rows_carry_digest

		customers = self.varied_customers()
		rebuild_customers(customers)
		stored = self.digests(customers)
		self.assertTrue(all(stored.values()))
		self.assertNotIn(None, [d for by_name in stored.values() for d in by_name.values()])
		for doctype in TABLES:
			frappe.db.sql(
				f"UPDATE `tab{doctype}` SET row_digest = NULL WHERE customer IN %(c)s",
				{"c": tuple(customers)},
			)
		# The patch commits and drops an index (DDL commits too): neither may keep this test's rows.
		with patch.object(frappe.db, "commit"), patch.object(frappe.db, "sql_ddl"):
			ledger_rows_carry_digest.execute()
		self.assertEqual(self.digests(customers), stored)
		with CountingWrites() as counted, ReadingStoredRows() as read:
			rebuild_customers(customers)
		self.assertEqual((counted.writes, read.customers), (0, set()))

	def test_a_chunk_reads_its_range_of_digests_and_leaves_the_customers_between_alone(self):
		# A full rebuild's chunk (plain reads) reads the digests of the name range from its first to its
		# last customer: B, inside the range but not in the chunk, must be neither compared nor touched.
		a, b, c = (self.customer(f"Range {letter}") for letter in "ABC")
		for customer in (a, b, c):
			make_monthly_invoices(customer, 100, "2025-01-01", 3)
		rebuild_customers([a, b, c])
		first, between, last = sorted((a, b, c), key=lambda name: name.casefold())
		before = ledger([between])
		make_sales_invoice(between, 100, posting_date="2025-04-01")
		make_sales_invoice(last, 100, posting_date="2025-04-01")
		with (
			patch.object(build, "RANGE_READ_MIN", 2),
			CountingWrites() as counted,
			ReadingStoredRows() as read,
		):
			rebuild_customers([first, last], locking_reads=False)
		self.assertEqual(read.customers, {last})
		self.assertEqual(ledger([between]), before)
		# LAST's fourth month: its interval, span, churn movement and churn event replaced.
		self.assertEqual(sum(counted.deleted.values()), 4)
		rebuild_customers([between])
		self.assertSameAsFromScratch([first, between, last])

	def test_a_wrong_or_missing_digest_is_set_right_without_rewriting_the_row(self):
		x, y = self.customer("Digest Wrong"), self.customer("Digest Missing")
		make_monthly_invoices(x, 100, "2025-01-01", 3)
		make_monthly_invoices(y, 200, "2025-01-01", 3)
		rebuild_customers([x, y])
		before, stored = ledger([x, y]), self.digests([x, y])
		interval = next(iter(self.digests([x])["MRR Interval"]))
		frappe.db.set_value("MRR Interval", interval, "row_digest", 12345, update_modified=False)
		event = next(iter(self.digests([y])["Customer Lifecycle Event"]))
		frappe.db.set_value("Customer Lifecycle Event", event, "row_digest", None, update_modified=False)
		with CountingWrites() as counted, ReadingStoredRows() as read:
			rebuild_customers([x, y])
		# Both customers' sums differed, so their rows were compared: all equal, none rewritten, the two
		# digests set right; the next rebuild reads nothing.
		self.assertEqual(read.customers, {x, y})
		self.assertEqual(counted.writes, 0)
		self.assertEqual((ledger([x, y]), self.digests([x, y])), (before, stored))
		with ReadingStoredRows() as read:
			rebuild_customers([x, y])
		self.assertEqual(read.customers, set())

	def test_a_renamed_customer_keeps_its_rows(self):
		# Renaming a customer rewrites the customer column of its ledger rows in place; the digest leaves
		# the customer out, so the rows still match and the next rebuild reads none of them.
		old = self.customer("Before Rename")
		make_monthly_invoices(old, 100, "2025-01-01", 3)
		rebuild_customers([old])
		names = {doctype: set(by_name) for doctype, by_name in ledger([old]).items()}
		new = frappe.rename_doc("Customer", old, f"{old} Renamed", force=True)
		with CountingWrites() as counted, ReadingStoredRows() as read:
			rebuild_customers([new])
		self.assertEqual((counted.writes, read.customers), (0, set()))
		self.assertEqual({doctype: set(by_name) for doctype, by_name in ledger([new]).items()}, names)

	def test_a_new_invoice_rewrites_only_its_customers_affected_rows(self):
		x, y = self.customer("Grows"), self.customer("Untouched")
		make_monthly_invoices(x, 100, "2025-01-01", 3)
		make_monthly_invoices(y, 200, "2025-01-01", 3)
		rebuild_customers([x, y])
		before = ledger([x, y])

		# X pays a fourth month: its interval runs a month longer and its churn moves from April 1 to
		# May 1; its New movement and Acquired event stay.
		make_sales_invoice(x, 100, posting_date="2025-04-01")
		with CountingWrites() as counted, ReadingStoredRows() as read:
			rebuild_customers([x, y])
		self.assertEqual(read.customers, {x})  # y's digests matched: its rows were not read
		after = ledger([x, y])
		self.assertEqual(ledger([y]), {d: {n: v for n, v in before[d].items() if v[0] == y} for d in TABLES})

		def unchanged(doctype):
			return {n for n in before[doctype] if n in after[doctype] and before[doctype][n][0] == x}

		self.assertEqual(len(unchanged("Customer Lifecycle Event")), 1)  # Acquired
		self.assertEqual(len(unchanged("MRR Movement")), 1)  # New
		self.assertEqual(unchanged("MRR Interval"), set())
		self.assertEqual(unchanged("Customer Active Span"), set())
		# Replaced: the interval, the span, the churn movement and the churn event; nothing else.
		replaced = {
			"MRR Interval": 1,
			"Customer Active Span": 1,
			"MRR Movement": 1,
			"Customer Lifecycle Event": 1,
		}
		self.assertEqual((counted.inserted, counted.deleted), (replaced, replaced))
		self.assertIn((x, D("2025-05-01"), "Churned"), after["Customer Lifecycle Event"].values())
		self.assertSameAsFromScratch([x, y])

	def test_credit_note_and_cancelled_subscription(self):
		n, s = self.customer("Refunded", cs_billing_period="Annual"), self.customer("Cancels")
		other = self.customer("Bystander")
		original = make_sales_invoice(n, 1200, posting_date="2025-01-01")
		make_monthly_invoices(n, 1200, "2026-01-01", 1)
		subscription = make_subscription(s, "2025-01-01", cost=150)
		make_monthly_invoices(other, 50, "2025-01-01", 6)
		rebuild_customers([n, s, other])
		before = ledger([n, s, other])

		make_sales_invoice(n, 600, posting_date="2025-03-01", return_against=original.name)
		frappe.db.set_value(
			"Subscription", subscription.name, {"status": "Cancelled", "cancelation_date": "2025-05-15"}
		)
		rebuild_customers([n, s, other])
		after = ledger([n, s, other])
		self.assertEqual(
			ledger([other]), {d: {k: v for k, v in before[d].items() if v[0] == other} for d in TABLES}
		)
		renewals = [(v[3], v[5]) for v in after["Agreement Renewal"].values() if v[0] == s]
		self.assertIn((subscription.name, "Cancelled"), renewals)
		self.assertIn(
			(s, D("2025-05-15"), "Churned"),
			[v for v in after["Customer Lifecycle Event"].values()],
		)
		self.assertNotEqual(
			{v for v in after["MRR Interval"].values() if v[0] == n},
			{v for v in before["MRR Interval"].values() if v[0] == n},
		)
		self.assertSameAsFromScratch([n, s, other])

	def test_a_persons_churn_reason_survives_rebuilds(self):
		customer = self.customer("Leaves")
		make_monthly_invoices(customer, 100, "2025-01-01", 3)
		rebuild_customers([customer])
		reason = frappe.get_doc(
			{"doctype": "Churn Reason", "reason": f"_CS Test Budget {frappe.generate_hash(length=5)}"}
		).insert(ignore_permissions=True)
		event = frappe.db.get_value(
			"Customer Lifecycle Event", {"customer": customer, "event_type": "Churned"}, "name"
		)
		frappe.db.set_value(
			"Customer Lifecycle Event",
			event,
			{"churn_reason": reason.name, "churn_reason_source": "Manual", "churn_notes": "Cut costs"},
		)
		rebuild_customers([customer])
		# A credit note changes the MRR, not the churn date: the event and its reason stay.
		first = frappe.get_all(
			"Sales Invoice", {"customer": customer, "docstatus": 1}, pluck="name", order_by="posting_date"
		)[0]
		make_sales_invoice(customer, 50, posting_date="2025-02-15", return_against=first)
		with CountingWrites() as counted:
			rebuild_customers([customer])
		self.assertGreater(counted.writes, 0)
		self.assertEqual(
			frappe.db.get_value(
				"Customer Lifecycle Event",
				event,
				["event_type", "churn_reason", "churn_reason_source", "churn_notes"],
			),
			("Churned", reason.name, "Manual", "Cut costs"),
		)

	def test_changed_grace_days_change_the_rows(self):
		# Pays January to March and May to July 2025: a 30-day lapse in April. With no grace, churned on
		# April 1 and reactivated on May 1, two spans; with 31 days' grace, one span and no churn.
		customer, steady = self.customer("Lapses"), self.customer("Steady")
		make_monthly_invoices(customer, 100, "2025-01-01", 3)
		make_monthly_invoices(customer, 100, "2025-05-01", 3)
		make_monthly_invoices(steady, 100, "2025-01-01", 2)
		self.set_grace_days(0)
		rebuild_customers([customer, steady])
		before = ledger([customer, steady])

		def events_and_spans(rows):
			return (
				sorted((v[1], v[2]) for v in rows["Customer Lifecycle Event"].values() if v[0] == customer),
				sorted((v[1], v[2]) for v in rows["Customer Active Span"].values() if v[0] == customer),
			)

		self.assertEqual(
			events_and_spans(before),
			(
				[(D("2025-01-01"), "Acquired"), (D("2025-04-01"), "Churned"), (D("2025-05-01"), "Reactivated"),
				 (D("2025-08-01"), "Churned")],
				[(D("2025-01-01"), D("2025-03-31")), (D("2025-05-01"), D("2025-07-31"))],
			),
		)  # fmt: skip
		self.set_grace_days(31)
		rebuild_customers([customer, steady])
		after = ledger([customer, steady])
		self.assertEqual(
			events_and_spans(after),
			(
				[(D("2025-01-01"), "Acquired"), (D("2025-08-01"), "Churned")],
				[(D("2025-01-01"), D("2025-07-31"))],
			),
		)
		# The rows that did not change kept their names: the Acquired and last Churned events, and all
		# of the steady customer's rows.
		kept = set(before["Customer Lifecycle Event"]) & set(after["Customer Lifecycle Event"])
		self.assertEqual(len([n for n in kept if before["Customer Lifecycle Event"][n][0] == customer]), 2)
		self.assertEqual(
			ledger([steady]), {d: {k: v for k, v in before[d].items() if v[0] == steady} for d in TABLES}
		)
		self.assertSameAsFromScratch([customer, steady])

	def test_a_pending_renewal_settles_on_a_later_day(self):
		# A contract ending 2025-12-31 that nobody renewed: Pending within the renewal grace window, Not
		# Renewed after it. Only that row is rewritten.
		customer = self.customer("Renews Late")
		make_contract(customer, "2025-01-01", "2025-12-31", value=1200)
		grace = build.ledger_settings().renewal_grace_days
		with patch.object(build, "today", return_value="2026-01-01"):
			rebuild_customers([customer])
		self.assertEqual(
			frappe.db.get_value("Agreement Renewal", {"customer": customer}, "outcome"), "Pending"
		)
		later = str(D("2025-12-31") + timedelta(days=grace + 2))
		with patch.object(build, "today", return_value=later), CountingWrites() as counted:
			rebuild_customers([customer])
		self.assertEqual(
			frappe.db.get_value("Agreement Renewal", {"customer": customer}, "outcome"), "Not Renewed"
		)
		self.assertEqual(
			(counted.inserted, counted.deleted), ({"Agreement Renewal": 1}, {"Agreement Renewal": 1})
		)

	def test_money_is_compared_at_the_columns_scale(self):
		# _money writes and compares Currency values with as many places as the columns store.
		for doctype, columns in COLUMNS.items():
			for column in build.MONEY.intersection(columns):
				scale = frappe.db.sql(
					"""SELECT NUMERIC_SCALE FROM information_schema.COLUMNS
					WHERE TABLE_SCHEMA = DATABASE() AND TABLE_NAME = %s AND COLUMN_NAME = %s""",
					(f"tab{doctype}", column),
				)[0][0]
				self.assertEqual(scale, build.MONEY_PLACES, (doctype, column))
		self.assertEqual(build._money(83.33), "83.330000000")
		self.assertEqual(build._money(-1e-12), "0.000000000")

	def set_grace_days(self, days: int):
		previous = frappe.db.get_single_value("CS Settings", "ledger_grace_days")
		frappe.db.set_single_value("CS Settings", "ledger_grace_days", days)
		frappe.clear_document_cache("CS Settings", "CS Settings")

		def restore():
			frappe.db.set_single_value("CS Settings", "ledger_grace_days", previous)
			frappe.clear_document_cache("CS Settings", "CS Settings")

		self.addCleanup(restore)
