"""Tier 2: plays. Every trigger finds its customers set-based and starts one run; a run is never doubled
(not even by two transactions at once); snooze, re-enrolment, the daily cap and its digest, the 90-day
check, the shipped plays that replaced the alert and follow-up ToDos, and their migration."""

import threading
from datetime import timedelta
from unittest.mock import patch

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, getdate, now_datetime, today

from cs_success.playbooks import outcomes, runs
from cs_success.playbooks.evaluation import FAILED_LOG_TITLE, PLAY_SAVEPOINT, after_recompute, run_daily
from cs_success.playbooks.runs import Candidate, PlayRunError
from cs_success.playbooks.triggers import AFTER_RECOMPUTE_FINDERS
from cs_success.tests.utils import (
	active_since,
	ledger_rows,
	make_customer,
	make_issue,
	make_play,
	make_sales_invoice,
	make_user,
	reset_health_queue,
	run_pending_recomputes,
)


def runs_of(play, customer=None) -> list:
	filters = {"play": play.name}
	if customer:
		filters["customer"] = customer
	return frappe.get_all(
		"Play Run",
		filters=filters,
		fields=["name", "customer", "status", "reason", "run_owner", "source_name", "due_date"],
		order_by="creation asc",
	)


def tasks_of(run: str) -> list:
	return frappe.get_all(
		"ToDo",
		filters={"reference_type": "Play Run", "reference_name": run},
		fields=["allocated_to", "date", "description"],
	)


class PlaybookTestCase(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()
		self.today = getdate(today())
		# Only this test's plays: the shipped ones (and any left by others) are paused for its duration.
		frappe.db.sql("UPDATE `tabPlay` SET is_paused = 1")
		frappe.clear_document_cache("Play")
		frappe.db.set_single_value("CS Settings", "play_daily_cap", 0)

	def tearDown(self):
		frappe.db.rollback()
		frappe.clear_document_cache("Play")


class TestDailyTriggers(PlaybookTestCase):
	def test_renewal_due_each_term_once(self):
		play = make_play("Renewal Due", days=30)
		soon, later, done = make_customer("Soon"), make_customer("Later"), make_customer("Renewed")
		ledger_rows(
			"Agreement Renewal",
			["customer", "company", "agreement_type", "agreement", "due_date", "outcome", "mrr"],
			[
				(soon, None, "Contract", "C-1", add_days(self.today, 10), "Pending", 100),  # due in 10 days
				(later, None, "Contract", "C-2", add_days(self.today, 45), "Pending", 100),  # beyond 30
				(done, None, "Contract", "C-3", add_days(self.today, 5), "Renewed", 100),  # not pending
			],
		)
		run_daily()
		(run,) = runs_of(play)
		self.assertEqual((run.customer, run.status), (soon, "Open"))
		self.assertIn("C-1", run.reason)
		# The task: owned by the play's user, due today (no offset), about the customer.
		(task,) = tasks_of(run.name)
		self.assertEqual((task.allocated_to, getdate(task.date)), ("Administrator", self.today))
		# Closed, the same term does not start it again the next day (one run per source document).
		runs.close(run.name, "Saved")
		run_daily()
		self.assertEqual(len(runs_of(play)), 1)

	def test_no_touchpoint_only_for_active_customers(self):
		play = make_play("No Touchpoint", days=30)
		quiet, talked, gone = make_customer("Quiet"), make_customer("Talked"), make_customer("Gone")
		for customer in (quiet, talked):
			active_since(customer, add_days(self.today, -400))
		ledger_rows(
			"Customer Active Span", ["customer", "from_date", "to_date"], [(gone, "2020-01-01", "2020-12-31")]
		)
		for customer, days_ago in ((quiet, 45), (talked, 3)):
			frappe.get_doc(
				{"doctype": "Touchpoint", "customer": customer, "touchpoint_type": "Call", "summary": "Hi",
				 "touchpoint_date": add_days(now_datetime(), -days_ago)}
			).insert(ignore_permissions=True)  # fmt: skip
		run_daily()
		self.assertEqual([r.customer for r in runs_of(play)], [quiet])

	def test_usage_down_against_the_30_days_before(self):
		play = make_play("Usage Down", percent=40, usage_metric="logins")
		falling, steady = make_customer("Falling"), make_customer("Steady")
		# falling: 100 logins 31-60 days ago, 50 in the last 30 -> down 50 %; steady: 100 then 90 -> 10 %
		for customer, before, recent in ((falling, 100, 50), (steady, 100, 90)):
			for value, days_ago in ((before, 45), (recent, 5)):
				frappe.get_doc(
					{"doctype": "Customer Usage Record", "customer": customer, "metric": "logins", "value": value,
					 "recorded_on": add_days(now_datetime(), -days_ago)}
				).insert(ignore_permissions=True)  # fmt: skip
		run_daily()
		(run,) = runs_of(play)
		self.assertEqual(run.customer, falling)
		self.assertIn("50 %", run.reason)

	def test_objective_overdue(self):
		play = make_play("Objective Overdue")
		customer = make_customer("Plan")
		frappe.get_doc(
			{"doctype": "Success Plan", "plan_title": "Adopt", "customer": customer, "status": "Active",
			 "plan_owner": "Administrator", "start_date": add_days(self.today, -60),
			 "objectives": [
				{"objective": "Go live", "due_date": add_days(self.today, -1), "status": "On Track"},
				{"objective": "Done already", "due_date": add_days(self.today, -5), "status": "Achieved"},
				{"objective": "Later", "due_date": add_days(self.today, 10), "status": "Not Started"},
			 ]}
		).insert(ignore_permissions=True)  # fmt: skip
		run_daily()
		(run,) = runs_of(play)
		self.assertIn("Go live", run.reason)

	def test_new_and_churned_customers_from_the_ledger(self):
		onboarding = make_play("New Customer", days=14)
		win_back = make_play("Customer Churned")
		new, old, lost = make_customer("New"), make_customer("Old"), make_customer("Lost")
		ledger_rows(
			"Customer Lifecycle Event",
			["customer", "event_date", "event_type"],
			[
				(new, add_days(self.today, -3), "Acquired"),
				(old, add_days(self.today, -60), "Acquired"),  # beyond 14 days
				(lost, add_days(self.today, -2), "Churned"),
			],
		)
		run_daily()
		self.assertEqual([r.customer for r in runs_of(onboarding)], [new])
		self.assertEqual([r.customer for r in runs_of(win_back)], [lost])

	def test_a_paused_play_starts_nothing(self):
		play = make_play("Customer Churned", is_paused=1)
		lost = make_customer("Paused")
		ledger_rows(
			"Customer Lifecycle Event",
			["customer", "event_date", "event_type"],
			[(lost, self.today, "Churned")],
		)
		run_daily()
		self.assertEqual(runs_of(play), [])


class TestRecomputeTriggers(PlaybookTestCase):
	def test_band_entered_through_a_real_recompute(self):
		manager = make_user("CS Agent")
		plays = {
			band: make_play("Health Band Entered", band=band, owner_rule="Account Manager")
			for band in ("At Risk", "Critical")
		}
		frappe.db.set_single_value("CS Settings", "coverage_floor", 0)  # bands by score alone here
		customer = make_customer("Falls", account_manager=manager)
		make_sales_invoice(customer, 100)
		run_pending_recomputes()  # first scoring, Healthy: no run (nothing was entered)
		self.assertEqual(frappe.db.get_value("Customer Health", customer, "band"), "Healthy")
		# Six open tickets and three invoices 40 days overdue: a worse band.
		for _ in range(6):
			make_issue(customer)
		for _ in range(3):
			make_sales_invoice(
				customer, 100, posting_date=add_days(today(), -50), due_date=add_days(today(), -40),
				period=(add_days(today(), -50), add_days(today(), 314)),
			)  # fmt: skip
		run_pending_recomputes()
		band = frappe.db.get_value("Customer Health", customer, "band")
		self.assertIn(band, plays)
		(run,) = runs_of(plays[band])
		other = next(play for entered, play in plays.items() if entered != band)
		self.assertEqual(runs_of(other), [])
		self.assertEqual(run.run_owner, manager)
		self.assertIn(f"entered {band}", run.reason)
		self.assertIn("Weakest measures", run.reason)
		# Scored again in the same band: no second run.
		make_issue(customer)
		run_pending_recomputes()
		self.assertEqual(len(runs_of(plays[band])), 1)

	def test_score_dropped_against_the_score_days_ago(self):
		play = make_play("Score Dropped", points=20, days=30)
		fell, held = make_customer("Fell"), make_customer("Held")
		then = add_days(self.today, -30)
		ledger_rows(
			"Customer Health Snapshot",
			["customer", "snapshot_date", "kind", "score", "band"],
			[(fell, then, "Daily", 90, "Healthy"), (held, then, "Daily", 70, "At Risk")],
		)
		outcome = frappe._dict
		# Scores now: 65 (25 down: a run) and 60 (10 down: none).
		batch = [
			outcome(customer=frappe._dict(name=fell, customer_name=fell), score=65.0, band="At Risk", previous=None, band_changed=False),
			outcome(customer=frappe._dict(name=held, customer_name=held), score=60.0, band="At Risk", previous=None, band_changed=False),
		]  # fmt: skip
		after_recompute(batch)
		(run,) = runs_of(play)
		self.assertEqual(run.customer, fell)
		self.assertIn("down from 90", run.reason)


class TestFailingPlays(PlaybookTestCase):
	"""A play that fails is logged under its own name and undone; the other plays still run. Finders only
	read, so a play that finds nobody opens no savepoint (a round trip after every recompute)."""

	def setUp(self):
		super().setUp()
		self.then = add_days(self.today, -30)
		self.fell = make_customer("Fell Too")
		ledger_rows(
			"Customer Health Snapshot",
			["customer", "snapshot_date", "kind", "score", "band"],
			[(self.fell, self.then, "Daily", 90, "Healthy")],
		)
		self.broken = make_play("Score Dropped", points=20, days=30)
		self.working = make_play("Score Dropped", points=20, days=30)

	def batch(self, score: float) -> list:
		customer = frappe._dict(name=self.fell, customer_name=self.fell)
		return [
			frappe._dict(customer=customer, score=score, band="At Risk", previous=None, band_changed=False)
		]

	def failure_logged(self, play) -> bool:
		return bool(frappe.db.exists("Error Log", {"method": FAILED_LOG_TITLE, "reference_name": play.name}))

	def test_a_finder_that_fails_is_logged_and_the_next_play_runs(self):
		finder = AFTER_RECOMPUTE_FINDERS["Score Dropped"]

		def failing(play, *args):
			if play.name == self.broken.name:
				raise ValueError("broken finder")
			return finder(play, *args)

		with patch.dict(AFTER_RECOMPUTE_FINDERS, {"Score Dropped": failing}):
			after_recompute(self.batch(65.0))  # 90 -> 65: 25 points down, a run for each play
		self.assertTrue(self.failure_logged(self.broken))
		self.assertEqual(runs_of(self.broken), [])
		self.assertEqual([r.customer for r in runs_of(self.working)], [self.fell])

	def test_runs_that_fail_to_start_are_undone_to_the_savepoint(self):
		start_runs = runs.start_runs

		def half_done(play, *args):
			started = start_runs(play, *args)  # the run is inserted, then the play fails
			if play.name == self.broken.name:
				raise ValueError("broken action")
			return started

		with patch.object(runs, "start_runs", half_done):
			after_recompute(self.batch(65.0))
		self.assertTrue(self.failure_logged(self.broken))
		self.assertEqual(runs_of(self.broken), [])
		self.assertEqual(len(runs_of(self.working)), 1)

	def test_plays_that_find_nobody_open_no_savepoint(self):
		with patch.object(frappe.db, "savepoint", wraps=frappe.db.savepoint) as savepoint:
			after_recompute(self.batch(80.0))  # 10 points down: neither play finds anyone
			self.assertNotIn(PLAY_SAVEPOINT, [call.args[0] for call in savepoint.call_args_list])
			after_recompute(self.batch(65.0))
			self.assertIn(PLAY_SAVEPOINT, [call.args[0] for call in savepoint.call_args_list])
		self.assertEqual(len(runs_of(self.working)), 1)


class TestRunLifecycle(PlaybookTestCase):
	def test_re_enrolment_policies(self):
		customer = make_customer("Again")
		for policy, days, expected in (("Never", None, 1), ("After Days", 30, 1), ("Every Time", None, 2)):
			play = make_play("Customer Churned", re_enrolment=policy, re_enrol_after_days=days)
			runs.start_runs(play, [Candidate(customer, "first")])
			self.assertEqual(len(runs_of(play)), 1)
			# A second signal while the run is open: never a second run.
			runs.start_runs(play, [Candidate(customer, "while open")])
			self.assertEqual(len(runs_of(play)), 1)
			runs.close(runs_of(play)[0].name, "No Effect")
			runs.start_runs(play, [Candidate(customer, "after close")])
			self.assertEqual(len(runs_of(play)), expected, policy)
		# After Days: 30 days after the last start, it may run again.
		play = make_play("Customer Churned", re_enrolment="After Days", re_enrol_after_days=30)
		(name,) = runs.start_runs(play, [Candidate(customer, "first")])
		runs.close(name, "Saved")
		frappe.db.set_value("Play Run", name, "enrolled_on", now_datetime() - timedelta(days=30))
		self.assertEqual(len(runs.start_runs(play, [Candidate(customer, "a month on")])), 1)

	def test_snooze_wake_and_close(self):
		play = make_play("Customer Churned")
		customer = make_customer("Snooze")
		(name,) = runs.start_runs(play, [Candidate(customer, "why")])
		with self.assertRaises(PlayRunError):
			runs.snooze([name], add_days(self.today, 7), "  ")  # no reason
		with self.assertRaises(PlayRunError):
			runs.snooze([name], self.today, "Customer on holiday")  # not after today
		from cs_success.api.plays import close_run, snooze_runs

		self.assertEqual(snooze_runs(f'["{name}"]', str(add_days(self.today, 7)), "Customer on holiday"), 1)
		run = frappe.get_doc("Play Run", name)
		self.assertEqual((run.status, str(run.snoozed_until)), ("Snoozed", str(add_days(self.today, 7))))
		runs.wake_snoozed(add_days(self.today, 6))
		self.assertEqual(frappe.db.get_value("Play Run", name, "status"), "Snoozed")
		runs.wake_snoozed(add_days(self.today, 7))
		self.assertEqual(frappe.db.get_value("Play Run", name, "status"), "Open")
		close_run(name, "Saved", "Renewed after the call")
		run = frappe.get_doc("Play Run", name)
		self.assertEqual((run.status, run.outcome, run.open_key), ("Closed", "Saved", None))
		self.assertEqual(
			{t.status for t in frappe.get_all("ToDo", {"reference_name": name}, ["status"])}, {"Closed"}
		)
		with self.assertRaises(PlayRunError):
			close_run(name, "Saved")
		with self.assertRaises(PlayRunError):
			runs.close(name, "Perhaps")

	def test_an_agent_may_not_snooze_what_they_cannot_write(self):
		play = make_play("Customer Churned")
		(name,) = runs.start_runs(play, [Candidate(make_customer("Perm"), "why")])
		frappe.set_user(make_user("Accounts User"))
		from cs_success.api.plays import snooze_runs

		with self.assertRaises(frappe.PermissionError):
			snooze_runs(name, str(add_days(self.today, 3)), "no")

	def test_an_agent_changes_only_their_own_runs_or_their_customers(self):
		from cs_success.api.plays import snooze_runs

		agent, other = make_user("CS Agent"), make_user("CS Agent")
		play = make_play("Customer Churned", owner_user=other)
		theirs, managed = make_customer("Theirs"), make_customer("Managed", account_manager=agent)
		(not_mine,) = runs.start_runs(play, [Candidate(theirs, "why")])
		(of_my_customer,) = runs.start_runs(play, [Candidate(managed, "why")])
		mine = runs.start_runs(make_play("Customer Churned", owner_user=agent), [Candidate(theirs, "why")])[0]
		frappe.set_user(agent)
		until = str(add_days(self.today, 3))
		self.assertEqual(snooze_runs(f'["{mine}", "{of_my_customer}"]', until, "Holiday"), 2)
		with self.assertRaises(frappe.PermissionError):
			snooze_runs(not_mine, until, "Holiday")
		self.assertTrue(frappe.has_permission("Play Run", "read", not_mine))  # the team sees the work
		frappe.set_user(make_user("CS Manager"))
		self.assertEqual(snooze_runs(not_mine, until, "Holiday"), 1)

	def test_daily_cap_holds_the_rest_for_one_digest(self):
		owner = make_user("CS Agent")
		frappe.db.set_single_value("CS Settings", "play_daily_cap", 2)
		play = make_play("Customer Churned", owner_user=owner)
		customers = [make_customer(f"Cap {i}") for i in range(3)]
		started = runs.start_runs(play, [Candidate(c, "why") for c in customers])
		statuses = [frappe.db.get_value("Play Run", name, "status") for name in started]
		# The customers are taken in name order: the first two start, the third is held without tasks.
		self.assertEqual(statuses, ["Open", "Open", "Held"])
		self.assertEqual(len(tasks_of(started[2])), 0)
		self.assertEqual(outcomes.send_digests(self.today), 1)
		(note,) = frappe.get_all("Notification Log", {"for_user": owner}, ["subject", "email_content"])
		self.assertIn("1 more play runs", note.subject)
		self.assertIn(customers[2], note.email_content)
		self.assertEqual(outcomes.send_digests(self.today), 0)  # listed once
		runs.start_held(started[2])
		self.assertEqual(frappe.db.get_value("Play Run", started[2], "status"), "Open")
		self.assertEqual(len(tasks_of(started[2])), 1)

	def test_conditions(self):
		from cs_success.tests.utils import make_customer_group

		group, other = make_customer_group("Plays"), make_customer_group("Elsewhere")
		play = make_play("Customer Churned", customer_group=group, min_mrr=50)
		inside, outside = (
			make_customer("In", customer_group=group),
			make_customer("Out", customer_group=other),
		)
		ledger_rows(
			"MRR Interval",
			["customer", "company", "from_date", "mrr"],
			[
				(c, frappe.defaults.get_global_default("company"), "2020-01-01", 100)
				for c in (inside, outside)
			],
		)
		runs.start_runs(play, [Candidate(inside, "x"), Candidate(outside, "x")])
		self.assertEqual([r.customer for r in runs_of(play)], [inside])
		poorer = make_play("Customer Churned", min_mrr=150)
		self.assertEqual(runs.start_runs(poorer, [Candidate(inside, "x")]), [])

	def test_ninety_days_later(self):
		play = make_play("Customer Churned")
		customer = make_customer("Later")
		(name,) = runs.start_runs(play, [Candidate(customer, "why")])
		start = add_days(self.today, -100)
		frappe.db.set_value("Play Run", name, "enrolled_on", f"{start} 10:00:00")
		ledger_rows(
			"Customer Health Snapshot",
			["customer", "snapshot_date", "kind", "score", "band"],
			[
				(customer, add_days(start, 85), "Daily", 40, "Critical"),  # the latest on or before day 90
				(customer, add_days(start, 95), "Daily", 80, "Healthy"),  # after day 90: not it
			],
		)
		ledger_rows(
			"Customer Lifecycle Event",
			["customer", "event_date", "event_type"],
			[(customer, add_days(start, 60), "Churned")],
		)
		self.assertEqual(outcomes.check_due(self.today), 1)
		run = frappe.get_doc("Play Run", name)
		self.assertEqual(
			(run.score_after_90, run.band_after_90, run.churned_within_90, run.renewed_within_90),
			(40, "Critical", 1, 0),
		)
		self.assertEqual(outcomes.check_due(self.today), 0)  # checked once

	def test_actions_touchpoint_plan_and_drafted_email(self):
		from cs_success.tests.utils import make_contact

		template = frappe.get_doc(
			{"doctype": "Email Template", "name": f"_CS Test Win Back {frappe.generate_hash(length=5)}",
			 "subject": "We miss you, {{ customer_name }}", "response": "Hello {{ customer_name }} <b>x</b>"}
		).insert(ignore_permissions=True)  # fmt: skip
		plan_template = frappe.get_all("Success Plan Template", pluck="name", limit=1)[0]
		play = make_play(
			"Customer Churned",
			actions=[
				{"action_type": "Touchpoint", "subject": "Win-back started"},
				{"action_type": "Email", "email_template": template.name, "send_email": "Drafted for Approval", "due_after_days": 2},
				{"action_type": "Success Plan", "success_plan_template": plan_template},
			],
		)  # fmt: skip
		customer = make_customer("Actions")
		make_contact(customer, "buyer@example.com")
		(name,) = runs.start_runs(play, [Candidate(customer, "why")])
		self.assertEqual(
			frappe.db.count("Touchpoint", {"reference_doctype": "Play Run", "reference_name": name}), 1
		)
		(draft,) = tasks_of(name)
		self.assertIn("buyer@example.com", draft.description)
		self.assertEqual(getdate(draft.date), add_days(self.today, 2))
		self.assertEqual(frappe.db.get_value("Play Run", name, "due_date"), add_days(self.today, 2))
		self.assertEqual(
			frappe.db.count("Success Plan", {"customer": customer, "template": plan_template}), 1
		)

	def test_webhook_to_a_private_address_is_refused(self):
		with self.assertRaises(frappe.ValidationError):
			make_play(
				"Customer Churned", actions=[{"action_type": "Webhook", "webhook_url": "http://127.0.0.1/x"}]
			)


class TestMigrationOfAlertAndFollowUpTodos(PlaybookTestCase):
	def test_open_todos_become_runs_without_new_todos(self):
		from cs_success.patches import plays_take_over_alert_and_follow_up_tasks as patch

		frappe.db.sql("UPDATE `tabPlay` SET is_paused = 0 WHERE is_standard = 1")
		customer = make_customer("Migrated")
		run_pending_recomputes()  # its Customer Health, which the old alert task referenced
		todo = frappe.get_doc(
			{"doctype": "ToDo", "allocated_to": "Administrator", "description": "old alert task",
			 "reference_type": "Customer Health", "reference_name": customer}
		).insert(ignore_permissions=True)  # fmt: skip
		alert = frappe.get_doc(
			{"doctype": "Customer Health Alert", "customer": customer, "band": "Critical", "previous_band": "At Risk",
			 "status": "Open", "raised_on": now_datetime(), "todo": todo.name, "score": 30}
		).insert(ignore_permissions=True)  # fmt: skip
		todos_before = frappe.db.count("ToDo")
		patch.execute()
		patch.execute()  # twice: still one run
		(run,) = frappe.get_all(
			"Play Run", {"source_name": alert.name}, ["name", "play", "status", "score_at_start"]
		)
		self.assertEqual((run.play, run.status, run.score_at_start), ("Entered Critical", "Open", 30))
		self.assertEqual(
			frappe.db.get_value("ToDo", todo.name, ["reference_type", "reference_name"]),
			("Play Run", run.name),
		)
		self.assertEqual(frappe.db.count("ToDo"), todos_before)


class TestConcurrentSignals(FrappeTestCase):
	"""Two transactions that find the same signal at the same moment make one run: the unique open key."""

	def test_two_at_once_make_one_run(self):
		site = frappe.local.site
		play = make_play("Customer Churned")
		customer = make_customer("Race")
		frappe.db.commit()
		barrier, made, errors = threading.Barrier(2), [], []

		def start():
			frappe.init(site=site)
			frappe.connect()
			try:
				frappe.set_user("Administrator")
				doc = frappe.get_doc("Play", play.name)
				barrier.wait(timeout=30)
				made.extend(runs.start_runs(doc, [Candidate(customer, "race")]))
				frappe.db.commit()
			except Exception as error:
				errors.append(error)
			finally:
				frappe.destroy()

		threads = [threading.Thread(target=start) for _ in range(2)]
		try:
			for thread in threads:
				thread.start()
			for thread in threads:
				thread.join(timeout=60)
			self.assertEqual(errors, [])
			self.assertEqual(len(made), 1)
			frappe.db.rollback()  # a fresh snapshot: what the two committed
			self.assertEqual(frappe.db.count("Play Run", {"play": play.name, "customer": customer}), 1)
		finally:
			for name in frappe.get_all("Play Run", {"play": play.name}, pluck="name"):
				frappe.db.delete("ToDo", {"reference_type": "Play Run", "reference_name": name})
				frappe.delete_doc("Play Run", name, force=True, ignore_permissions=True)
			frappe.delete_doc("Play", play.name, force=True, ignore_permissions=True)
			frappe.delete_doc("Customer", customer, force=True, ignore_permissions=True)
			frappe.db.commit()
