"""Tier 2: one bad customer, invitation or campaign is logged and skipped, and the rest of the job goes
on; the benchmark never touches what it did not create."""

from unittest.mock import patch

import pymysql

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, now_datetime

from cs_success import jobs
from cs_success.base import queue
from cs_success.health import recompute
from cs_success.surveys import delivery
from cs_success.tests.utils import (
	ensure_outgoing_email_account,
	make_campaign,
	make_contact,
	make_customer,
	make_customer_group,
	make_sales_invoice,
	reset_health_queue,
	run_pending_recomputes,
)


def errors_about(doctype: str, name: str) -> int:
	return frappe.db.count("Error Log", {"reference_doctype": doctype, "reference_name": name})


def pending() -> set[str]:
	return {
		name.decode() if isinstance(name, bytes) else name
		for name in frappe.cache.smembers(queue.PENDING_KEY) or ()
	}


def scoring_fails_for(*bad: str, error: Exception | None = None):
	"""The per-customer step of the recompute raises for the `bad` customers only."""
	original = recompute._outcome

	def outcome(customer, *args, **kwargs):
		if customer.name in bad:
			raise error or ValueError(f"unscorable data for {customer.name}")
		return original(customer, *args, **kwargs)

	return patch("cs_success.health.recompute._outcome", side_effect=outcome)


class TestRecomputeIsolation(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		settings = frappe.get_single("CS Settings")
		settings.enable_event_recompute = 1
		settings.save()
		reset_health_queue()

	def tearDown(self):
		reset_health_queue()

	def test_one_failing_customer_is_dropped_and_the_rest_of_its_batch_scored(self):
		first, bad, last = (make_customer(label) for label in ("Isolated A", "Isolated Bad", "Isolated C"))
		self.assertEqual(frappe.flags.cs_health_pending, {first, bad, last})  # one drain batch
		with scoring_fails_for(bad):
			run_pending_recomputes()
		self.assertTrue(frappe.db.exists("Customer Health", first))
		self.assertTrue(frappe.db.exists("Customer Health", last))
		self.assertFalse(frappe.db.exists("Customer Health", bad))
		self.assertEqual(errors_about("Customer", bad), 1)
		self.assertNotIn(bad, pending())  # its next event or the daily run tries again

	def test_lost_transaction_puts_the_whole_batch_back(self):
		good, bad = make_customer("Deadlock Good"), make_customer("Deadlock Bad")
		deadlock = pymysql.err.OperationalError(1213, "Deadlock found when trying to get lock")
		with scoring_fails_for(bad, error=deadlock):
			run_pending_recomputes()
		self.assertLessEqual({good, bad}, pending())
		self.assertEqual(errors_about("Customer", bad), 0)

	def test_every_customer_failing_goes_back_without_logging_each(self):
		customers = [make_customer("Systemic") for _ in range(jobs.SYSTEMIC_AFTER + 2)]
		with patch("cs_success.health.recompute.compute_health", side_effect=RuntimeError("broken")):
			run_pending_recomputes()
		self.assertLessEqual(set(customers), pending())
		self.assertFalse(
			frappe.db.exists(
				"Error Log", {"reference_doctype": "Customer", "reference_name": ("in", customers)}
			)
		)

	def test_daily_recompute_survives_one_bad_customer(self):
		good, bad = make_customer("Daily Good"), make_customer("Daily Bad")
		with scoring_fails_for(bad):
			scored = jobs.refresh_all()
		self.assertGreaterEqual(scored, 1)
		self.assertTrue(frappe.db.exists("Customer Health", good))
		self.assertFalse(frappe.db.exists("Customer Health", bad))
		self.assertEqual(errors_about("Customer", bad), 1)


class TestReminderIsolation(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()
		ensure_outgoing_email_account()

	def campaign_with_invitations(self, customers: int) -> list[str]:
		"""An active campaign whose invitations went out four days ago; reminders are due after three."""
		group = make_customer_group("Reminder Group")
		for _n in range(customers):
			make_contact(make_customer("Reminder", customer_group=group))
		campaign = make_campaign(customer_group=group, reminder_after_days=3, max_reminders=1)
		delivery.run_campaign(campaign.name)
		invitations = frappe.get_all("Survey Invitation", filters={"campaign": campaign.name}, pluck="name")
		self.assertEqual(len(invitations), customers)
		frappe.db.set_value("Survey Campaign", campaign.name, "status", "Active")  # a one-off completes
		for name in invitations:
			frappe.db.set_value("Survey Invitation", name, "sent_on", add_days(now_datetime(), -4))
		return invitations

	def test_one_failing_invitation_does_not_stop_the_reminders(self):
		bad, same_campaign = self.campaign_with_invitations(2)
		(other_campaign,) = self.campaign_with_invitations(1)
		original = delivery.send_invitation

		def send(invitation, campaign, reminder=False):
			if invitation.name == bad:
				raise RuntimeError("template broke for this one")
			return original(invitation, campaign, reminder=reminder)

		with patch("cs_success.surveys.delivery.send_invitation", side_effect=send):
			delivery.send_reminders()
		for name, reminded in ((bad, 0), (same_campaign, 1), (other_campaign, 1)):
			self.assertEqual(frappe.db.get_value("Survey Invitation", name, "reminders_sent"), reminded)
			self.assertEqual(
				frappe.db.count(
					"Email Queue", {"reference_doctype": "Survey Invitation", "reference_name": name}
				),
				1 + reminded,
			)
		self.assertEqual(errors_about("Survey Invitation", bad), 1)


class TestBenchmarkLeavesRealData(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")

	def customer(self, name: str) -> str:
		frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": name,
				"customer_group": frappe.db.get_value("Customer Group", {"is_group": 0}, "name"),
				"territory": frappe.db.get_value("Territory", {"is_group": 0}, "name"),
			}
		).insert(ignore_permissions=True, set_name=name)
		return name

	def test_cleanup_removes_only_its_own_capitalised_prefix(self):
		from cs_success.benchmarks.run import cleanup

		suffix = frappe.generate_hash(length=6)
		craft, lower = self.customer(f"Bench-Craft Ltd {suffix}"), self.customer(f"bench-x {suffix}")
		ours = self.customer(f"BENCH-T{suffix}")
		invoice = make_sales_invoice(craft)
		self.addCleanup(self.remove, [craft, lower], invoice.name)
		cleanup()  # commits, as it does after a real run
		self.assertTrue(frappe.db.exists("Customer", craft))
		self.assertTrue(frappe.db.exists("Customer", lower))
		self.assertEqual(frappe.db.get_value("Sales Invoice", invoice.name, "docstatus"), 1)
		self.assertEqual(frappe.db.count("Sales Invoice Item", {"parent": invoice.name}), 1)
		self.assertFalse(frappe.db.exists("Customer", ours))

	def test_refuses_a_site_with_customers_it_did_not_create(self):
		from cs_success.benchmarks.run import ALL_BENCHMARKS, BenchmarkRefused, run_all

		make_customer("Real")
		everything = set(ALL_BENCHMARKS)
		with patch("cs_success.benchmarks.run.cleanup") as cleanup:
			with self.assertRaisesRegex(BenchmarkRefused, "--force"):
				run_all(scales=[], skip=everything)
			cleanup.assert_not_called()  # refused before writing or deleting anything
			run_all(scales=[], skip=everything, force=True)
			cleanup.assert_called_once()

	def remove(self, customers: list[str], invoice: str) -> None:
		frappe.db.rollback()
		doc = frappe.get_doc("Sales Invoice", invoice)
		if doc.docstatus == 1:
			doc.cancel()
		frappe.delete_doc("Sales Invoice", invoice, force=True)
		for customer in customers:
			frappe.delete_doc("Customer", customer, force=True)
		frappe.db.commit()
