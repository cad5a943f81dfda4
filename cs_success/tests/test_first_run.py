"""Tier 2: installing the app on a site with history shows true figures without any other command.

Five customers with signed monthly, six-monthly and annual contracts, each term invoiced on its first
day, over the two years before today; two of them churned. Their documents exist before our ledger and
health know anything of them (nothing was drained), as on a site that had ERPNext long before the app.
Then the step install runs (`install.score_existing_customers`), and nothing else: the reports, the bands
and the score validation must show what the documents say.

Dates are relative to today, on calendar quarters, so the test holds on any day: Q0 is the first day of
this quarter, P0 = Q0 - 6 months (a quarter start, 6 to 8 months ago), "the quarter" is P0 .. P0 + 3
months - 1 day, "the quarter before" P0 - 3 months .. P0 - 1 day; M = the first day of this month.

  A  monthly 1,000, terms from P0 - 3m to M (active now)
  B  six-monthly: P0 - 6m .. P0 - 1 for 6,000; P0 .. P0 + 6m - 1 for 7,200; P0 + 6m (= Q0) on, 7,200
  C  annual: P0 - 12m .. P0 - 1 for 12,000, not renewed: churned on P0
  D  monthly 500, terms from P0 - 6m to P0: its last term ends P0 + 1m - 1, churned on P0 + 1m
  E  monthly 800, terms from P0 + 1m to M: acquired in the quarter (active now)

Every term's MRR is exact: 6,000 / 6 = 1,000 (B), 12,000 / 12 = 1,000 (C), 7,200 / 6 = 1,200 (B)."""

from datetime import date

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, add_months, get_first_day, getdate, today

from cs_success.cs_success.report.renewal_rate import renewal_rate
from cs_success.cs_success.report.retention_and_churn import retention_and_churn
from cs_success.cs_success.report.revenue_retention import revenue_retention
from cs_success.cs_success.report.score_validation.score_validation import validation_figures
from cs_success.health.score_validation import DEFAULT_HORIZON, observation_dates
from cs_success.install import score_existing_customers
from cs_success.jobs import FIRST_RUN_PROGRESS_KEY, first_run_progress
from cs_success.tests.utils import (
	make_contract,
	make_customer,
	make_customer_group,
	make_sales_invoice,
	reset_health_queue,
)

LEDGER_AND_HEALTH = (
	"MRR Interval",
	"MRR Movement",
	"Customer Active Span",
	"Customer Lifecycle Event",
	"Agreement Renewal",
	"Customer Health Snapshot",
)


def months(day: date, count: int) -> date:
	return getdate(add_months(day, count))


def term(customer: str, start: date, length: int, amount: float) -> None:
	"""A signed contract of `length` months from `start`, invoiced `amount` on its first day."""
	make_contract(customer, start, add_days(months(start, length), -1))
	make_sales_invoice(customer, amount, posting_date=start)


class TestFirstRunOnASiteWithHistory(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		reset_health_queue()
		now = getdate(today())
		this_month = get_first_day(now)
		this_quarter = date(now.year, 3 * ((now.month - 1) // 3) + 1, 1)
		cls.p0 = p0 = months(this_quarter, -6)
		cls.group = make_customer_group("First Run")
		cls.c = {key: make_customer(f"First Run {key}", customer_group=cls.group) for key in "ABCDE"}

		start = months(p0, -3)
		while start <= this_month:
			term(cls.c["A"], start, 1, 1000)
			start = months(start, 1)
		term(cls.c["B"], months(p0, -6), 6, 6000)
		term(cls.c["B"], p0, 6, 7200)
		term(cls.c["B"], months(p0, 6), 6, 7200)
		term(cls.c["C"], months(p0, -12), 12, 12000)
		for k in range(-6, 1):
			term(cls.c["D"], months(p0, k), 1, 500)
		start = months(p0, 1)
		while start <= this_month:
			term(cls.c["E"], start, 1, 800)
			start = months(start, 1)

		# A site where the app was never installed: nothing of ours about these customers, nothing queued.
		for doctype in LEDGER_AND_HEALTH:
			frappe.db.delete(doctype, {"customer": ("in", list(cls.c.values()))})
		frappe.db.delete("Customer Health", {"name": ("in", list(cls.c.values()))})
		reset_health_queue()
		frappe.cache.delete_value(FIRST_RUN_PROGRESS_KEY)

		score_existing_customers()  # what after_install runs, and nothing else

	@classmethod
	def tearDownClass(cls):
		frappe.db.rollback()
		super().tearDownClass()

	def quarter(self, offset: int = 0) -> dict:
		start = months(self.p0, 3 * offset)
		return {
			"from_date": start,
			"to_date": add_days(months(start, 3), -1),
			"periodicity": "Quarterly",
			"customer_group": self.group,
		}

	def test_retention_and_churn_of_the_quarter(self):
		# S (active the day before P0) = A, B, C, D = 4; E (active on the quarter's last day) = A, B, E = 3;
		# N (acquired in it) = E = 1; lost = C (P0), D (P0 + 1m) = 2.
		# Retention = (E - N) / S = (3 - 1) / 4 = 50 %; churn = lost / S = 2 / 4 = 50 %.
		_columns, data, *_rest = retention_and_churn.execute(self.quarter())
		(row,) = data
		self.assertEqual(
			(row["start_customers"], row["lost"], row["acquired"], row["end_customers"]), (4, 2, 1, 3)
		)
		self.assertAlmostEqual(row["retention_rate"], 50.0)
		self.assertAlmostEqual(row["churn_rate"], 50.0)

	def test_revenue_retention_of_the_quarter(self):
		# MRR the day before P0 of the customers then active: A 1,000 + B 1,000 + C 1,000 + D 500 = 3,500.
		# In the quarter: B expands to 1,200 (+200), C churns (-1,000), D churns (-500); A stays 1,000.
		# GRR = (3,500 - 1,500) / 3,500 = 57.14 %; NRR = (3,500 + 200 - 1,500) / 3,500 = 62.86 %.
		_columns, data, *_rest = revenue_retention.execute(self.quarter())
		(row,) = [row for row in data if row.get("bold")]
		self.assertAlmostEqual(row["start_mrr"], 3500.0, places=2)
		self.assertAlmostEqual(row["expansion"], 200.0, places=2)
		self.assertAlmostEqual(row["churned"], 1500.0, places=2)
		self.assertAlmostEqual(row["contraction"], 0.0, places=2)
		self.assertAlmostEqual(row["grr"], 100 * 2000 / 3500, places=2)
		self.assertAlmostEqual(row["nrr"], 100 * 2200 / 3500, places=2)

	def test_renewal_rate_of_the_quarter_before(self):
		# Terms ending in P0 - 3m .. P0 - 1: A's three monthly terms (renewed the next day), B's first
		# six-monthly term (renewed on P0), C's annual term (not renewed: no term within the 30-day grace),
		# D's three monthly terms (renewed). Due 8, renewed 7: 87.5 %.
		_columns, data, *_rest = renewal_rate.execute(self.quarter(-1))
		counted = [row for row in data if row["counted"]]
		self.assertEqual(len(counted), 8)
		self.assertEqual(sum(row["status"] == "Renewed" for row in counted), 7)
		(not_renewed,) = [row for row in counted if row["status"] != "Renewed"]
		self.assertEqual(not_renewed["customer"], self.c["C"])

	def test_churned_customers_are_in_the_churned_band(self):
		bands = dict(
			frappe.get_all(
				"Customer Health",
				filters={"name": ("in", list(self.c.values()))},
				fields=["name", "band"],
				as_list=True,
			)
		)
		self.assertEqual(len(bands), 5)  # everyone scored
		self.assertEqual(bands[self.c["C"]], "Churned")
		self.assertEqual(bands[self.c["D"]], "Churned")
		for key in "ABE":
			self.assertNotEqual(bands[self.c[key]], "Churned", key)

	def test_history_is_back_filled_and_the_score_validation_has_observations(self):
		# Month starts of the past 12 months: P0 is one of them (6 to 8 months ago), when A, B and D were
		# active (C churned that day, E not yet acquired).
		on_p0 = frappe.get_all(
			"Customer Health Snapshot",
			filters={"customer": ("in", list(self.c.values())), "snapshot_date": self.p0, "is_backfilled": 1},
			pluck="customer",
		)
		self.assertEqual(sorted(on_p0), sorted([self.c["A"], self.c["B"], self.c["D"]]))
		# D churned on P0 + 1m: the P0 snapshot says what followed.
		self.assertEqual(
			getdate(
				frappe.db.get_value(
					"Customer Health Snapshot",
					{"customer": self.c["D"], "snapshot_date": self.p0},
					"churned_on",
				)
			),
			months(self.p0, 1),
		)
		now = getdate(today())
		dates = observation_dates(months(now, -12), now, DEFAULT_HORIZON, now)
		figures = validation_figures(dates, DEFAULT_HORIZON, list(self.c.values()))
		self.assertGreater(figures.observations, 0)
		self.assertGreater(figures.churned_observations, 0)

	def test_progress_says_done(self):
		progress = first_run_progress()
		self.assertEqual(progress["stage"], "done")
		self.assertEqual(progress["done"], progress["total"])


class TestSiteWideTemporaryTables(FrappeTestCase):
	"""A site-wide run groups every customer's rows at once: its session lets MariaDB keep such a grouping in
	memory (base/bulk.large_temp_tables), and gives the server's limit back after."""

	@staticmethod
	def session_limits() -> tuple[int, int]:
		tmp, heap = frappe.db.sql("SELECT @@SESSION.tmp_table_size, @@SESSION.max_heap_table_size")[0]
		return int(tmp), int(heap)

	def test_the_daily_scoring_of_everyone_reads_with_large_temporary_tables(self):
		from unittest.mock import patch

		from cs_success import jobs
		from cs_success.base.bulk import SITE_WIDE_TEMP_TABLE_BYTES
		from cs_success.health import recompute

		before = self.session_limits()
		self.assertLess(min(before), SITE_WIDE_TEMP_TABLE_BYTES)  # the server's default (16 MB) here
		seen = []
		scoring = recompute.recompute_customers

		def spy(*args, **kwargs):
			seen.append(self.session_limits())
			return scoring(*args, **kwargs)

		with patch.object(recompute, "recompute_customers", spy):
			jobs.refresh_all(raise_alerts=False)
		self.assertEqual(seen, [(SITE_WIDE_TEMP_TABLE_BYTES, SITE_WIDE_TEMP_TABLE_BYTES)])
		self.assertEqual(self.session_limits(), before)

	def test_nested_or_already_larger_changes_nothing(self):
		from cs_success.base.bulk import large_temp_tables

		before = self.session_limits()
		with large_temp_tables(limit=2**30):
			self.assertEqual(self.session_limits(), (2**30, 2**30))
			with large_temp_tables(limit=2**20):  # the session allows more already
				self.assertEqual(self.session_limits(), (2**30, 2**30))
			self.assertEqual(self.session_limits(), (2**30, 2**30))
		self.assertEqual(self.session_limits(), before)
