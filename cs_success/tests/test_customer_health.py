"""Tier 2: Customer Health in a real ERPNext site, through the real hooks and the real queue."""

from unittest.mock import patch

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, add_to_date, now_datetime, today

from cs_success import jobs
from cs_success.base import queue
from cs_success.engine.measures import MEASURES
from cs_success.health.overrides import lapse_expired_overrides
from cs_success.health.recompute import recompute_customers
from cs_success.tests.utils import (
	health,
	make_customer,
	make_issue,
	make_sales_invoice,
	make_subscription,
	make_user,
	measure,
	pay_invoice,
	reset_health_queue,
	run_pending_recomputes,
)


class CustomerHealthTestCase(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		settings = frappe.get_single("CS Settings")
		# No coverage floor: these tests are about thresholds and alerts on customers with few
		# measures; TestNoFalseHealthy sets the floor itself.
		settings.update(
			{
				"enable_event_recompute": 1,
				"enable_alerts": 1,
				"alert_webhook_url": None,
				"default_csm": None,
				"coverage_floor": 0,
			}
		)
		settings.save()
		reset_health_queue()

	def tearDown(self):
		frappe.set_user("Administrator")


class TestInstall(CustomerHealthTestCase):
	def test_roles_measures_and_default_scorecard(self):
		for role in ("CS Manager", "CS Agent"):
			self.assertTrue(frappe.db.exists("Role", role))
		self.assertEqual(frappe.db.count("Health Measure"), len(MEASURES))
		default = frappe.get_all("Health Scorecard", filters={"is_default": 1}, pluck="name")
		self.assertEqual(len(default), 1)

	def test_full_recompute_scores_every_enabled_customer(self):
		frappe.db.set_single_value("CS Settings", "enable_event_recompute", 0)
		unseen = make_customer("Unseen")  # created while hooks were off: only the full run sees it
		disabled = make_customer("Disabled", disabled=1)
		frappe.db.set_single_value("CS Settings", "enable_event_recompute", 1)
		self.assertFalse(frappe.db.exists("Customer Health", unseen))

		recompute_customers(None)
		enabled = set(frappe.get_all("Customer", filters={"disabled": 0}, pluck="name"))
		scored = set(frappe.get_all("Customer Health", pluck="name"))
		self.assertIn(unseen, scored)
		self.assertLessEqual(enabled, scored)
		self.assertNotIn(disabled, scored)


class TestTicketsMoveTheScore(CustomerHealthTestCase):
	def test_open_and_close_issues(self):
		customer = make_customer("Tickets")
		run_pending_recomputes()
		baseline = health(customer).score
		self.assertEqual(measure(customer, "open_tickets").raw_value, 0)

		issues = [make_issue(customer) for _ in range(3)]
		run_pending_recomputes()
		self.assertEqual(measure(customer, "open_tickets").raw_value, 3)
		worse = health(customer).score
		self.assertLess(worse, baseline)
		self.assertIn("Open Tickets", health(customer).last_change_summary)

		for issue in issues:
			issue.status = "Closed"
			issue.save(ignore_permissions=True)
		run_pending_recomputes()
		self.assertEqual(measure(customer, "open_tickets").raw_value, 0)
		self.assertGreater(health(customer).score, worse)

		change = frappe.get_all(
			"Customer Health Change",
			filters={"customer": customer, "event": "Recompute"},
			fields=["previous_score", "new_score", "summary"],
			order_by="changed_on asc, creation asc",
		)
		self.assertGreaterEqual(len(change), 2)
		self.assertEqual(change[0].new_score, worse)

	def test_moving_an_issue_rescores_both_customers(self):
		first, second = make_customer("From"), make_customer("To")
		issue = make_issue(first)
		run_pending_recomputes()
		self.assertEqual(measure(first, "open_tickets").raw_value, 1)
		issue.customer = second
		issue.save(ignore_permissions=True)
		run_pending_recomputes()
		self.assertEqual(measure(first, "open_tickets").raw_value, 0)
		self.assertEqual(measure(second, "open_tickets").raw_value, 1)


class TestBillingMovesTheScore(CustomerHealthTestCase):
	def test_overdue_invoice_then_payment(self):
		customer = make_customer("Billing")
		run_pending_recomputes()
		self.assertFalse(measure(customer, "overdue_invoices").has_data)  # never invoiced: no data
		before = health(customer)
		self.assertLess(before.data_coverage, 100)

		invoice = make_sales_invoice(
			customer, 500, posting_date=add_days(today(), -60), due_date=add_days(today(), -30)
		)
		run_pending_recomputes()
		self.assertEqual(measure(customer, "overdue_invoices").raw_value, 1)
		self.assertEqual(measure(customer, "overdue_share").raw_value, 100)
		overdue = health(customer)
		self.assertLess(overdue.score, before.score)
		self.assertGreater(overdue.data_coverage, before.data_coverage)

		pay_invoice(invoice.name, posting_date=add_days(today(), -10))
		run_pending_recomputes()
		self.assertEqual(measure(customer, "overdue_invoices").raw_value, 0)
		self.assertEqual(measure(customer, "avg_days_paid_late").raw_value, 20)
		self.assertGreater(health(customer).score, overdue.score)

	def test_cancelling_an_invoice_clears_it(self):
		customer = make_customer("Cancel")
		invoice = make_sales_invoice(
			customer, 100, posting_date=add_days(today(), -40), due_date=add_days(today(), -20)
		)
		run_pending_recomputes()
		self.assertEqual(measure(customer, "overdue_invoices").raw_value, 1)
		invoice.cancel()
		run_pending_recomputes()
		self.assertFalse(measure(customer, "overdue_invoices").has_data)


class TestRenewalsMoveTheScore(CustomerHealthTestCase):
	def test_cancelling_a_subscription(self):
		customer = make_customer("Subscription")
		subscription = make_subscription(customer)
		run_pending_recomputes()
		self.assertEqual(measure(customer, "renewal_standing").raw_value, 100)
		active = health(customer).score

		subscription.cancel_subscription()
		run_pending_recomputes()
		self.assertEqual(measure(customer, "renewal_standing").raw_value, 0)
		self.assertLess(health(customer).score, active)


class TestQueue(CustomerHealthTestCase):
	def test_many_events_in_one_transaction_cost_one_recompute(self):
		customer = make_customer("Coalesce")
		run_pending_recomputes()
		with patch("cs_success.health.recompute.recompute_customers", wraps=recompute_customers) as spy:
			for _ in range(4):
				make_issue(customer)
			self.assertEqual(frappe.flags.cs_health_pending, {customer})
			run_pending_recomputes()
		self.assertEqual(spy.call_count, 1)
		self.assertEqual(spy.call_args.args[0], [customer])
		self.assertEqual(measure(customer, "open_tickets").raw_value, 4)

	def test_saved_ticket_costs_no_job_of_its_own(self):
		customer = make_customer("Deferred")
		run_pending_recomputes()
		frappe.cache.set(frappe.cache.make_key(queue.SCHEDULED_KEY), 1, ex=60)  # a drain is queued
		with patch("frappe.enqueue") as enqueue:
			issue = make_issue(customer)
			run_pending_recomputes()
		enqueue.assert_not_called()  # the touchpoint and the recompute ride on the queued drain
		self.assertFalse(frappe.db.exists("Touchpoint", {"reference_name": issue.name}))
		jobs.drain()
		self.assertTrue(frappe.db.exists("Touchpoint", {"reference_name": issue.name}))
		self.assertEqual(measure(customer, "open_tickets").raw_value, 1)

	def test_failing_task_is_logged_and_the_others_still_run(self):
		customer = make_customer("Task Failure")
		issue = make_issue(customer)
		frappe.flags.cs_deferred_tasks = None  # only the two tasks below
		queue.queue_task("cs_success.touchpoints.sources.touchpoint_for_email", name="no-such-email")
		queue.queue_task(
			"cs_success.touchpoints.sources.touchpoint_for_ticket",
			doctype="Issue",
			name=issue.name,
			ticket_event="opened",
		)
		errors_before = frappe.db.count("Error Log")
		run_pending_recomputes()
		self.assertGreater(frappe.db.count("Error Log"), errors_before)
		self.assertTrue(frappe.db.exists("Touchpoint", {"reference_name": issue.name}))

	def test_only_our_functions_can_be_deferred(self):
		with self.assertRaises(ValueError):
			queue.queue_task("frappe.delete_doc", doctype="Customer", name="x")

	def test_rollback_forgets_pending_customers(self):
		customer = make_customer("Rollback")
		run_pending_recomputes()
		queue.queue_recompute([customer])
		frappe.db.after_rollback.run()
		self.assertIsNone(frappe.flags.cs_health_pending)

	def test_change_arriving_while_a_drain_runs_is_not_lost(self):
		running, late = make_customer("Running"), make_customer("Late")
		run_pending_recomputes()
		make_issue(late)

		# A drain is under way: it cleared its scheduled marker and popped its batch.
		frappe.cache.delete(frappe.cache.make_key(queue.SCHEDULED_KEY))
		queue.queue_recompute([running])
		names = frappe.flags.cs_health_pending
		frappe.flags.cs_health_pending = None
		frappe.cache.sadd(queue.PENDING_KEY, *names)
		popped = queue.pop_pending(queue.DRAIN_BATCH)
		self.assertIn(running, popped)

		# The late change commits now; it must schedule its own drain rather than wait on this one.
		queue.queue_recompute([late])
		run_pending_recomputes()
		self.assertEqual(measure(late, "open_tickets").raw_value, 1)

	def test_change_queued_behind_a_scheduled_drain_is_drained(self):
		customer = make_customer("Scheduled")
		run_pending_recomputes()
		make_issue(customer)
		frappe.cache.set(frappe.cache.make_key(queue.SCHEDULED_KEY), 1, ex=60)  # a drain is queued
		run_pending_recomputes()
		self.assertEqual(measure(customer, "open_tickets").raw_value, 0)  # not yet: the drain will
		jobs.drain()
		self.assertEqual(measure(customer, "open_tickets").raw_value, 1)

	def test_disabled_event_recompute(self):
		frappe.db.set_single_value("CS Settings", "enable_event_recompute", 0)
		customer = make_customer("Disabled")
		self.assertIsNone(frappe.flags.cs_health_pending)
		frappe.db.set_single_value("CS Settings", "enable_event_recompute", 1)
		self.assertFalse(frappe.db.exists("Customer Health", customer))


class TestHookIsolation(CustomerHealthTestCase):
	def test_error_in_our_hook_never_breaks_the_save(self):
		customer = make_customer("Isolation")
		errors_before = frappe.db.count("Error Log")
		with patch("cs_success.health.events.queue_recompute", side_effect=RuntimeError("boom")):
			issue = make_issue(customer)
			issue.status = "Closed"
			issue.save(ignore_permissions=True)
		self.assertTrue(frappe.db.exists("Issue", issue.name))
		self.assertEqual(frappe.db.get_value("Issue", issue.name, "status"), "Closed")
		self.assertGreater(frappe.db.count("Error Log"), errors_before)
		titles = frappe.get_all(
			"Error Log", filters={"creation": (">=", add_to_date(now_datetime(), minutes=-5))}, pluck="method"
		)
		self.assertTrue(any("cs_success" in (t or "") for t in titles))

	def test_deadlock_in_our_hook_reaches_the_host(self):
		import pymysql

		# The database already rolled the whole transaction back: swallowing it would save half a document.
		customer = make_customer("Deadlock")
		deadlock = pymysql.err.OperationalError(1213, "Deadlock found when trying to get lock")
		with patch("cs_success.health.events.queue_recompute", side_effect=deadlock):
			with self.assertRaises(pymysql.err.OperationalError):
				make_issue(customer)

	def test_queue_failure_after_commit_is_logged_not_raised(self):
		customer = make_customer("RedisDown")
		queue.queue_recompute([customer])
		errors_before = frappe.db.count("Error Log")
		with patch.object(frappe.cache, "pipeline", side_effect=ConnectionError("redis down")):
			run_pending_recomputes()  # must not raise
		self.assertGreater(frappe.db.count("Error Log"), errors_before)


class TestOverride(CustomerHealthTestCase):
	def test_manager_override_survives_recompute_and_lapses(self):
		from cs_success.api.health import set_override

		customer = make_customer("Override")
		for _ in range(5):
			make_issue(customer)
		run_pending_recomputes()
		computed = health(customer).computed_score

		manager = make_user("CS Manager")
		frappe.set_user(manager)
		set_override(customer, 95, "Exec sponsor confirmed renewal", str(add_days(now_datetime(), 7)))
		frappe.set_user("Administrator")
		doc = health(customer)
		self.assertEqual((doc.score, doc.band, doc.override_active), (95, "Healthy", 1))
		self.assertEqual(doc.computed_score, computed)
		self.assertEqual(doc.override_set_by, manager)
		self.assertTrue(
			frappe.db.exists(
				"Customer Health Change",
				{"customer": customer, "event": "Override Set", "changed_by": manager},
			)
		)

		make_issue(customer)  # a recompute must keep the override and the computed score beside it
		run_pending_recomputes()
		doc = health(customer)
		self.assertEqual(doc.score, 95)
		self.assertEqual(measure(customer, "open_tickets").raw_value, 6)  # the recompute did run
		self.assertAlmostEqual(doc.computed_score, sum(m.contribution for m in doc.measures), places=0)
		self.assertNotEqual(doc.computed_score, 95)

		frappe.db.set_value(
			"Customer Health", customer, "override_expires_on", add_to_date(now_datetime(), minutes=-1)
		)
		lapse_expired_overrides()
		doc = health(customer)
		self.assertEqual((doc.override_active, doc.override_score, doc.override_reason), (0, 0, None))
		self.assertEqual(doc.score, doc.computed_score)
		self.assertTrue(
			frappe.db.exists("Customer Health Change", {"customer": customer, "event": "Override Lapsed"})
		)

	def test_agent_cannot_override(self):
		from cs_success.api.health import set_override

		customer = make_customer("AgentOverride")
		run_pending_recomputes()
		frappe.set_user(make_user("CS Agent"))
		with self.assertRaises(frappe.PermissionError):
			set_override(customer, 90, "I like them", str(add_days(now_datetime(), 7)))
		frappe.set_user("Administrator")
		self.assertEqual(health(customer).override_active, 0)

	def test_override_needs_reason_and_future_expiry(self):
		from cs_success.api.health import set_override

		customer = make_customer("BadOverride")
		run_pending_recomputes()
		with self.assertRaises(frappe.ValidationError):
			set_override(customer, 90, "   ", str(add_days(now_datetime(), 7)))
		with self.assertRaises(frappe.ValidationError):
			set_override(customer, 90, "reason", str(add_days(now_datetime(), -1)))
		with self.assertRaises(frappe.ValidationError):
			set_override(customer, 120, "reason", str(add_days(now_datetime(), 1)))
		self.assertEqual(health(customer).override_active, 0)


class TestAlerts(CustomerHealthTestCase):
	def _drop_into_critical(self, customer, invoices=3):
		for _ in range(6):
			make_issue(customer)
		# Annual service periods that run on past today: an overdue customer, not a churned one.
		for _ in range(invoices):
			make_sales_invoice(
				customer,
				100,
				posting_date=add_days(today(), -50),
				due_date=add_days(today(), -40),
				period=(add_days(today(), -50), add_days(today(), 314)),
			)
		run_pending_recomputes()

	def test_alert_once_per_band_with_todo_for_account_manager(self):
		manager = make_user("CS Manager")
		customer = make_customer("Alert", account_manager=manager)
		make_sales_invoice(customer, 100)  # billed, not overdue
		run_pending_recomputes()
		self.assertEqual(health(customer).band, "Healthy")

		self._drop_into_critical(customer)
		self.assertIn(health(customer).band, ("At Risk", "Critical"))
		entered = health(customer).band
		alerts_raised = frappe.get_all(
			"Customer Health Alert", filters={"customer": customer}, fields=["band", "todo"]
		)
		self.assertEqual(len(alerts_raised), 1)
		self.assertEqual(alerts_raised[0].band, entered)
		self.assertEqual(frappe.db.get_value("ToDo", alerts_raised[0].todo, "allocated_to"), manager)

		make_issue(customer)  # still in the same band: no second alert
		run_pending_recomputes()
		self.assertEqual(frappe.db.count("Customer Health Alert", {"customer": customer, "band": entered}), 1)

	def test_first_score_does_not_alert(self):
		customer = make_customer("FirstScore")
		self._drop_into_critical(customer)
		self.assertIn(health(customer).band, ("At Risk", "Critical"))
		self.assertEqual(frappe.db.count("Customer Health Alert", {"customer": customer}), 0)


class TestUsageMetricMeasures(CustomerHealthTestCase):
	def tearDown(self):
		frappe.db.rollback()
		super().tearDown()

	def test_each_usage_metric_is_a_measure_of_its_own(self):
		measure_doc = frappe.get_doc(
			{
				"doctype": "Health Measure",
				"measure_key": "weekly_logins",
				"label": "Weekly Logins",
				"category": "Usage",
				"unit": "logins",
				"usage_metric": "logins",
				"default_weight": 10,
				"default_score_100_at": 10,
				"default_score_0_at": 0,
			}
		).insert()
		scorecard = frappe.get_doc("Health Scorecard", {"is_default": 1})
		scorecard.append(
			"measures",
			{"measure": "weekly_logins", "enabled": 1, "weight": 10, "scoring_method": "Linear",
			 "score_100_at": 10, "score_0_at": 0},
		)  # fmt: skip
		scorecard.save()
		customer = make_customer("Logins")
		for metric, value, days_ago in (
			("logins", 2, 3),
			("logins", 5, 1),
			("usage", 90, 1),
			("seats", 7, 1),
		):
			frappe.get_doc(
				{"doctype": "Customer Usage Record", "customer": customer, "metric": metric, "value": value,
				 "recorded_on": add_to_date(now_datetime(), days=-days_ago)}
			).insert(ignore_permissions=True)  # fmt: skip
		recompute_customers([customer], raise_alerts=False)
		# The latest "logins" value (5) on its own line from 0 (0) to 10 (100): 50; "usage" still feeds
		# Product Usage; "seats" has no measure and is ignored.
		logins = measure(customer, "weekly_logins")
		self.assertEqual(
			(logins.raw_value, logins.measure_score, logins.measure_label), (5, 50, "Weekly Logins")
		)
		self.assertEqual(measure(customer, "usage").raw_value, 90)

		with self.assertRaises(frappe.ValidationError):  # one measure per metric
			frappe.get_doc({**measure_doc.as_dict(), "name": None, "measure_key": "more_logins"}).insert()
		with self.assertRaises(frappe.ValidationError):  # only usage measures can be added
			frappe.get_doc(
				{"doctype": "Health Measure", "measure_key": "my_tickets", "label": "Mine", "category": "Support",
				 "default_score_100_at": 0, "default_score_0_at": 5}
			).insert()  # fmt: skip
		builtin = frappe.get_doc("Health Measure", "open_tickets")
		builtin.label = "Renamed"
		with self.assertRaises(frappe.ValidationError):
			builtin.save()


class TestConfigurationChange(CustomerHealthTestCase):
	def test_changing_bands_sends_one_summary_not_an_alert_per_customer(self):
		manager = make_user("CS Manager")
		customers = [make_customer("Moved"), make_customer("Moved")]
		for customer in customers:
			make_issue(customer)
		run_pending_recomputes()
		# One open ticket (80, weight 15), one ticket in 90 days (100, w 5), no SLA failure (100, w 10)
		# and activity today (100, w 10); the ticket's own touchpoint is no engagement:
		# (1200 + 500 + 1000 + 1000) / 40 = 92.5.
		self.assertEqual([health(c).score for c in customers], [92.5, 92.5])
		settings = frappe.get_single("CS Settings")
		try:
			settings.update({"healthy_min_score": 96, "at_risk_min_score": 95})
			settings.save()  # in tests the full recompute runs at once
			self.assertEqual([health(c).band for c in customers], ["Critical", "Critical"])
			self.assertEqual(frappe.db.count("Customer Health Alert", {"customer": ("in", customers)}), 0)
			notes = frappe.get_all(
				"Notification Log",
				filters={"for_user": manager, "document_type": "Customer Health"},
				fields=["subject", "email_content"],
			)
			self.assertEqual(len(notes), 1)
			self.assertIn("configuration change", notes[0].subject)
			self.assertIn("→", notes[0].email_content)
		finally:
			settings.reload()
			settings.update({"healthy_min_score": 75, "at_risk_min_score": 50})
			settings.save()


class TestNoFalseHealthy(CustomerHealthTestCase):
	"""Built-in weights (reset before tests) total 150. A customer invoiced today, with no tickets,
	payments, surveys or touchpoints, has data on: open tickets 15, tickets in 90 days 5, overdue
	invoices 10, overdue share 10, standing 15, days since activity 10 = 65, coverage 43 %."""

	def setUp(self):
		super().setUp()
		frappe.db.set_single_value("CS Settings", "coverage_floor", 50)

	def test_perfect_score_on_too_little_data_is_not_healthy(self):
		customer = make_customer("Floor")
		invoice = make_sales_invoice(customer, 100, period=(today(), add_days(today(), 30)))
		run_pending_recomputes()
		record = health(customer)
		# Every measure with data is at its best: 100, but on 65 / 150 of the weight.
		self.assertEqual((record.score, record.data_coverage), (100, 43))
		self.assertEqual(record.band, "Insufficient Data")
		self.assertEqual(frappe.db.count("Customer Health Alert", {"customer": customer}), 0)

		# Paid (on time) adds average days paid late, weight 10: 75 / 150 = 50 %, at the floor.
		pay_invoice(invoice.name)
		run_pending_recomputes()
		record = health(customer)
		self.assertEqual((record.score, record.data_coverage, record.band), (100, 50, "Healthy"))

	def test_churned_customer_is_never_healthy(self):
		customer = make_customer("Gone")
		# One month of service that ended 70 days ago (past the 7-day grace): churned by the ledger.
		invoice = make_sales_invoice(
			customer, 100, add_days(today(), -100), period=(add_days(today(), -100), add_days(today(), -71))
		)
		pay_invoice(invoice.name, add_days(today(), -95))
		frappe.db.set_single_value("CS Settings", "coverage_floor", 0)
		run_pending_recomputes()
		record = health(customer)
		self.assertEqual(measure(customer, "renewal_standing").raw_value, 0)
		self.assertEqual(record.band, "Churned")
		self.assertEqual(frappe.db.count("Customer Health Alert", {"customer": customer}), 0)


class TestPermissions(CustomerHealthTestCase):
	def test_agent_reads_but_cannot_write(self):
		customer = make_customer("Perm")
		run_pending_recomputes()
		frappe.set_user(make_user("CS Agent"))
		self.assertTrue(frappe.has_permission("Customer Health", "read", customer))
		self.assertFalse(frappe.has_permission("Customer Health", "write", customer))
		self.assertFalse(frappe.has_permission("Health Scorecard", "write"))

	def test_user_without_cs_role_sees_nothing(self):
		customer = make_customer("NoRole")
		run_pending_recomputes()
		frappe.set_user(make_user(""))
		self.assertFalse(frappe.has_permission("Customer Health", "read", customer))
		self.assertFalse(frappe.has_permission("Customer Health Alert", "read"))


class TestCustomerLifecycle(CustomerHealthTestCase):
	def test_rename_and_delete_follow_the_customer(self):
		customer = make_customer("Rename")
		make_issue(customer)
		run_pending_recomputes()
		new_name = customer + " Renamed"
		frappe.rename_doc("Customer", customer, new_name, force=True)
		run_pending_recomputes()
		self.assertFalse(frappe.db.exists("Customer Health", customer))
		self.assertTrue(frappe.db.exists("Customer Health", new_name))
		self.assertEqual(measure(new_name, "open_tickets").raw_value, 1)

		frappe.db.delete("Issue", {"customer": new_name})
		frappe.delete_doc("Customer", new_name, force=True)
		self.assertFalse(frappe.db.exists("Customer Health", new_name))
		self.assertFalse(frappe.db.exists("Customer Health Snapshot", {"customer": new_name}))


class TestHistory(CustomerHealthTestCase):
	def test_daily_snapshot_and_30_day_trend(self):
		customer = make_customer("Trend")
		run_pending_recomputes()
		frappe.db.sql(
			"""update `tabCustomer Health Snapshot` set snapshot_date = %s, score = 40
			where customer = %s and kind = 'Daily'""",
			(add_days(today(), -31), customer),
		)
		recompute_customers([customer])
		doc = health(customer)
		self.assertEqual(doc.score_30d_ago, 40)
		self.assertAlmostEqual(doc.trend_delta, doc.score - 40, places=1)
		recompute_customers([customer])  # same day: the day's snapshot is updated, not duplicated
		self.assertEqual(
			frappe.db.count(
				"Customer Health Snapshot", {"customer": customer, "snapshot_date": today(), "kind": "Daily"}
			),
			1,
		)

	def test_usage_api_feeds_the_usage_measure(self):
		from cs_success.api.health import record_usage

		customer = make_customer("Usage")
		run_pending_recomputes()
		self.assertFalse(measure(customer, "usage").has_data)
		record_usage(customer, 85)
		run_pending_recomputes()
		self.assertEqual(measure(customer, "usage").raw_value, 85)
		self.assertEqual(measure(customer, "usage").measure_score, 100)
		with self.assertRaises(frappe.FrappeTypeError):  # Frappe checks the typed argument
			record_usage(customer, "lots")


class TestScorecardsAndBands(CustomerHealthTestCase):
	def test_segment_scorecard_applies_to_its_customer_group(self):
		group = frappe.get_doc(
			{
				"doctype": "Customer Group",
				"customer_group_name": f"_CS Test Group {frappe.generate_hash(length=5)}",
				"parent_customer_group": "All Customer Groups",
			}
		).insert(ignore_permissions=True)
		frappe.get_doc(
			{
				"doctype": "Health Scorecard",
				"scorecard_name": f"_CS Test Strict {group.name}",
				"applies_to_customer_group": group.name,
				"priority": 1,
				"measures": [{"measure": "open_tickets", "weight": 1, "score_100_at": 0, "score_0_at": 1}],
			}
		).insert(ignore_permissions=True)
		other_group = frappe.db.get_value("Customer Group", {"is_group": 0, "name": ("!=", group.name)})
		strict = make_customer("Strict", customer_group=group.name)
		default = make_customer("Default", customer_group=other_group)
		make_issue(strict)
		make_issue(default)
		run_pending_recomputes()
		self.assertEqual(health(strict).scorecard, f"_CS Test Strict {group.name}")
		self.assertEqual(
			(health(strict).score, health(strict).band, health(strict).data_coverage), (0, "Critical", 100)
		)
		self.assertEqual(len(health(strict).measures), 1)
		self.assertEqual(health(default).scorecard, "Default")

	def test_scorecard_validation_is_translated_and_clear(self):
		doc = frappe.get_doc(
			{
				"doctype": "Health Scorecard",
				"scorecard_name": "_CS Test Broken",
				"measures": [{"measure": "open_tickets", "weight": 1, "score_100_at": 3, "score_0_at": 3}],
			}
		)
		with self.assertRaisesRegex(frappe.ValidationError, "must differ"):
			doc.insert(ignore_permissions=True)
		self.assertFalse(frappe.db.exists("Health Scorecard", "_CS Test Broken"))

	def test_bands_are_configurable(self):
		customer = make_customer("Bands")
		make_issue(customer)  # one open ticket of five: well short of 100
		run_pending_recomputes()
		score = health(customer).score
		settings = frappe.get_single("CS Settings")
		settings.healthy_min_score = score + 1
		settings.at_risk_min_score = score - 1
		settings.save()
		recompute_customers([customer])
		self.assertEqual(health(customer).band, "At Risk")
		settings.reload()
		settings.healthy_min_score, settings.at_risk_min_score = 50, 75
		with self.assertRaises(frappe.ValidationError):
			settings.save()


class TestSetBasedRecompute(CustomerHealthTestCase):
	def count_queries(self, fn):
		with patch.object(frappe.db, "sql", wraps=frappe.db.sql) as spy:
			fn()
		return spy.call_count

	def test_full_recompute_query_count_does_not_grow_with_customers(self):
		def add_customers(count):
			frappe.db.set_single_value("CS Settings", "enable_event_recompute", 0)
			for i in range(count):
				customer = make_customer(f"Scale {i}")
				make_issue(customer)
				make_sales_invoice(
					customer, 100, posting_date=add_days(today(), -40), due_date=add_days(today(), -20)
				)
			frappe.db.set_single_value("CS Settings", "enable_event_recompute", 1)
			recompute_customers(None)  # first scoring inserts their records

		add_customers(1)
		before = self.count_queries(lambda: recompute_customers(None))
		add_customers(6)
		after = self.count_queries(lambda: recompute_customers(None))
		self.assertEqual(before, after)

	def test_single_customer_uses_the_same_queries(self):
		customer = make_customer("Single")
		make_issue(customer)
		run_pending_recomputes()
		one = self.count_queries(lambda: recompute_customers([customer]))
		everyone = self.count_queries(lambda: recompute_customers(None))
		self.assertEqual(one, everyone)

	def test_unchanged_record_is_not_rewritten(self):
		customer = make_customer("Steady")
		make_issue(customer)
		make_sales_invoice(
			customer, 100, posting_date=add_days(today(), -40), due_date=add_days(today(), -20)
		)
		run_pending_recomputes()
		stored = health(customer)
		later = add_to_date(now_datetime(), minutes=5)
		recompute_customers([customer], now=later)
		again = health(customer)
		# Only the stamp moves: the score, coverage (stored as whole percent) and breakdown did not change.
		self.assertEqual(again.modified, stored.modified)
		self.assertEqual(str(again.last_computed), str(later))
		self.assertEqual(again.data_coverage, round(again.data_coverage))
		self.assertEqual(frappe.db.count("Customer Health Change", {"customer": customer}), 0)
