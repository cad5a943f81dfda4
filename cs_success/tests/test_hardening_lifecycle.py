"""Tier 2, Hardening II (issue 20), item 9: what a person wrote outlives deletes and rebuilds, and what the
app adds for a while (the benchmark's API user, its roles) goes, and only that.

- Deleting a Customer leaves a Deleted Document, restorable, of each survey response (with its answers),
  success plan, touchpoint, play run and its task, and churn reason or notes; computed rows leave none.
- A ledger rebuild that moves a churn event keeps the reason and notes a person gave it.
- The benchmark's System Manager with an API key lives only while the requests that need it run.
- Uninstalling removes only the roles the app created."""

import json
from unittest.mock import patch

import frappe
from frappe.core.doctype.deleted_document.deleted_document import restore
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_to_date, getdate, now_datetime, today

from cs_success.ledger.build import rebuild_customers
from cs_success.tests.utils import (
	make_campaign,
	make_contact,
	make_customer,
	make_sales_invoice,
	make_user,
	reset_health_queue,
)

D = getdate


def deleted_copies(doctype: str, names) -> dict[str, dict]:
	"""deleted_name -> the document stored in its Deleted Document."""
	return {
		row.deleted_name: json.loads(row.data)
		for row in frappe.get_all(
			"Deleted Document",
			filters={"deleted_doctype": doctype, "deleted_name": ("in", list(names))},
			fields=["deleted_name", "data"],
		)
	}


def churn_reason(label: str) -> str:
	return (
		frappe.get_doc(
			{"doctype": "Churn Reason", "reason": f"_CS Test {label} {frappe.generate_hash(length=5)}"}
		)
		.insert(ignore_permissions=True)
		.name
	)


def answer_survey(customer: str, score: int, comment: str) -> str:
	"""A survey response through its invitation's token, as a respondent gives it (no email sent)."""
	from cs_success.surveys.delivery import Recipient, create_invitation
	from cs_success.surveys.links import token_for

	email = f"lifecycle-{frappe.generate_hash(length=6)}@example.com"
	contact = make_contact(customer, email)
	invitation = create_invitation(make_campaign(), Recipient(customer, contact, email))
	now = now_datetime()
	invitation.db_set({"status": "Sent", "sent_on": now, "expires_on": add_to_date(now, days=1)})
	return (
		frappe.get_doc(
			{
				"doctype": "Survey Response",
				"token": token_for(invitation),
				"answers_json": json.dumps({"1": score, "2": comment}),
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


class TestDeletingACustomerKeepsCopies(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()

	def test_what_a_person_wrote_is_kept_and_restorable(self):
		customer = make_customer("Deleted")
		response = answer_survey(customer, 9, "Quick answers")
		touchpoint = (
			frappe.get_doc(
				{
					"doctype": "Touchpoint",
					"customer": customer,
					"touchpoint_type": "Call",
					"summary": "Renewal call",
					"notes": "They plan to add ten seats in spring.",
					"touchpoint_date": now_datetime(),
				}
			)
			.insert(ignore_permissions=True)
			.name
		)
		plan = (
			frappe.get_doc(
				{
					"doctype": "Success Plan",
					"plan_title": "Go live",
					"customer": customer,
					"start_date": today(),
					"tasks": [{"task": "Import the price list", "status": "Open"}],
				}
			)
			.insert(ignore_permissions=True)
			.name
		)
		play = frappe.get_doc(
			{
				"doctype": "Play",
				"play_name": f"_CS Test Lifecycle {frappe.generate_hash(length=6)}",
				"trigger": "No Touchpoint",
				"days": 30,
				"owner_rule": "User",
				"owner_user": "Administrator",
				"re_enrolment": "Never",
				"is_paused": 1,
				"actions": [{"action_type": "Task", "subject": "Call"}],
			}
		).insert(ignore_permissions=True)
		run = (
			frappe.get_doc(
				{
					"doctype": "Play Run",
					"play": play.name,
					"customer": customer,
					"reason": "No touchpoint recorded.",
					"status": "Open",
					"run_owner": "Administrator",
					"enrolled_on": now_datetime(),
				}
			)
			.insert(ignore_permissions=True)
			.name
		)
		task = (
			frappe.get_doc(
				{
					"doctype": "ToDo",
					"description": "Call them about the quiet month",
					"allocated_to": "Administrator",
					"reference_type": "Play Run",
					"reference_name": run,
				}
			)
			.insert(ignore_permissions=True)
			.name
		)
		reason = churn_reason("Budget")
		events = {}
		for event_type, day, fields in (
			("Acquired", "2025-01-01", {}),  # computed, nothing of a person's: no copy
			("Churned", "2025-06-01", {"churn_reason": reason, "churn_notes": "Budget frozen"}),
		):
			events[event_type] = (
				frappe.get_doc(
					{
						"doctype": "Customer Lifecycle Event",
						"customer": customer,
						"event_type": event_type,
						"event_date": day,
						**fields,
					}
				)
				.insert(ignore_permissions=True)
				.name
			)
		snapshot = (
			frappe.get_doc(
				{
					"doctype": "Customer Health Snapshot",
					"customer": customer,
					"snapshot_date": today(),
					"kind": "Daily",
					"score": 55,
					"band": "At Risk",
				}
			)
			.insert(ignore_permissions=True)
			.name
		)

		frappe.delete_doc("Customer", customer)

		for doctype, name in (
			("Survey Response", response),
			("Touchpoint", touchpoint),
			("Success Plan", plan),
			("Play Run", run),
			("ToDo", task),
			("Customer Lifecycle Event", events["Churned"]),
			("Customer Lifecycle Event", events["Acquired"]),
			("Customer Health Snapshot", snapshot),
		):
			self.assertFalse(frappe.db.exists(doctype, name), doctype)
		self.assertFalse(frappe.db.exists("Survey Answer", {"parent": response}))
		# One copy each of what a person wrote, with its child rows ...
		(copy,) = deleted_copies("Survey Response", [response]).values()
		self.assertEqual((copy["customer"], copy["headline_score"]), (customer, 9))
		self.assertIn("Quick answers", [row["answer"] for row in copy["answers"]])
		self.assertEqual(deleted_copies("Touchpoint", [touchpoint])[touchpoint]["summary"], "Renewal call")
		self.assertEqual(
			[row["task"] for row in deleted_copies("Success Plan", [plan])[plan]["tasks"]],
			["Import the price list"],
		)
		self.assertEqual(deleted_copies("Play Run", [run])[run]["play"], play.name)
		self.assertEqual(deleted_copies("ToDo", [task])[task]["reference_name"], run)
		event_copies = deleted_copies("Customer Lifecycle Event", events.values())
		self.assertEqual(
			list(event_copies), [events["Churned"]]
		)  # the Acquired event had nothing of a person's
		self.assertEqual(
			(event_copies[events["Churned"]]["churn_reason"], event_copies[events["Churned"]]["churn_notes"]),
			(reason, "Budget frozen"),
		)
		# ... and none of the rows we compute.
		self.assertFalse(deleted_copies("Customer Health Snapshot", [snapshot]))

		# Restored from Desk: the customer first (its touchpoint links to it), then the touchpoint.
		restore(
			frappe.db.get_value(
				"Deleted Document", {"deleted_doctype": "Customer", "deleted_name": customer}
			),
			alert=False,
		)
		self.assertTrue(frappe.db.exists("Customer", customer))
		copy_name = frappe.db.get_value(
			"Deleted Document", {"deleted_doctype": "Touchpoint", "deleted_name": touchpoint}
		)
		restore(copy_name, alert=False)
		restored = frappe.get_doc(
			"Touchpoint", frappe.db.get_value("Deleted Document", copy_name, "new_name")
		)
		self.assertEqual(
			(restored.customer, restored.summary, restored.notes),
			(customer, "Renewal call", "They plan to add ten seats in spring."),
		)

	def test_the_demo_clear_keeps_no_copies(self):
		from cs_success.customer import DELETE_PERMANENTLY

		customer = make_customer("Demo Like")
		touchpoint = (
			frappe.get_doc(
				{
					"doctype": "Touchpoint",
					"customer": customer,
					"touchpoint_type": "Note",
					"summary": "Demo note",
					"touchpoint_date": now_datetime(),
				}
			)
			.insert(ignore_permissions=True)
			.name
		)
		frappe.delete_doc(
			"Customer", customer, force=True, delete_permanently=True, flags={DELETE_PERMANENTLY: True}
		)
		self.assertFalse(frappe.db.exists("Touchpoint", touchpoint))
		self.assertFalse(deleted_copies("Touchpoint", [touchpoint]))
		self.assertFalse(deleted_copies("Customer", [customer]))


class TestRebuildKeepsChurnNotes(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()

	def churn_events(self, customer: str) -> list[tuple]:
		return [
			(D(row.event_date), row.churn_reason, row.churn_reason_source, row.churn_notes)
			for row in frappe.get_all(
				"Customer Lifecycle Event",
				filters={"customer": customer, "event_type": "Churned"},
				fields=["event_date", "churn_reason", "churn_reason_source", "churn_notes"],
				order_by="event_date",
			)
		]

	def annotate(self, customer: str, reason: str | None, notes: str) -> str:
		event = frappe.get_doc("Customer Lifecycle Event", {"customer": customer, "event_type": "Churned"})
		event.churn_reason, event.churn_notes = reason, notes
		event.save(ignore_permissions=True)  # as a person does in Desk: the source becomes Manual
		return event.name

	def test_a_moved_churn_keeps_its_reason_and_notes(self):
		customer = make_customer("Churn Moves")
		# 300 for 2026-01-01 .. 2026-03-30: service ends on March 30, so the customer churns on the first
		# day without it, 2026-03-31.
		make_sales_invoice(customer, 300, "2026-01-01", period=("2026-01-01", "2026-03-30"))
		rebuild_customers([customer])
		self.assertEqual([row[0] for row in self.churn_events(customer)], [D("2026-03-31")])
		reason = churn_reason("Competitor")
		old = self.annotate(customer, reason, "Moved to a cheaper tool")

		# An invoice for 2026-03-31 .. 2026-04-29 extends the service without a gap: the churn moves to
		# the day after, 2026-04-30 (the old row is deleted and a new one inserted).
		make_sales_invoice(customer, 100, "2026-03-31", period=("2026-03-31", "2026-04-29"))
		rebuild_customers([customer])
		self.assertFalse(frappe.db.exists("Customer Lifecycle Event", old))
		self.assertEqual(
			self.churn_events(customer), [(D("2026-04-30"), reason, "Manual", "Moved to a cheaper tool")]
		)
		rebuild_customers([customer])  # and stays so
		self.assertEqual(
			self.churn_events(customer), [(D("2026-04-30"), reason, "Manual", "Moved to a cheaper tool")]
		)

	def test_notes_of_a_churn_that_vanishes_are_kept_as_a_deleted_document(self):
		customer = make_customer("Churn Twice")
		# Service 2025-01-01 .. 2025-03-30 and 2025-06-01 .. 2025-06-29 (a lapse longer than any grace):
		# churned 2025-03-31 and 2025-06-30.
		make_sales_invoice(customer, 300, "2025-01-01", period=("2025-01-01", "2025-03-30"))
		make_sales_invoice(customer, 100, "2025-06-01", period=("2025-06-01", "2025-06-29"))
		rebuild_customers([customer])
		self.assertEqual([row[0] for row in self.churn_events(customer)], [D("2025-03-31"), D("2025-06-30")])
		first = frappe.db.get_value(
			"Customer Lifecycle Event", {"customer": customer, "event_date": "2025-03-31"}
		)
		frappe.db.set_value("Customer Lifecycle Event", first, "churn_notes", "Paused for the summer")
		# Service 2025-03-31 .. 2025-05-31 closes the gap: one span to 2025-06-29, the March churn (and the
		# June reactivation) vanish, the June churn stays as it was. No churn was inserted to take the
		# notes: they are kept as a Deleted Document.
		make_sales_invoice(customer, 200, "2025-03-31", period=("2025-03-31", "2025-05-31"))
		rebuild_customers([customer])
		self.assertEqual(self.churn_events(customer), [(D("2025-06-30"), None, None, None)])
		self.assertEqual(
			deleted_copies("Customer Lifecycle Event", [first])[first]["churn_notes"], "Paused for the summer"
		)


class TestBenchmarkApiUser(FrappeTestCase):
	"""The benchmark's System Manager with an API key (committed: the benchmark commits)."""

	def tearDown(self):
		from cs_success.benchmarks.run import remove_bench_api_user

		frappe.db.rollback()
		remove_bench_api_user()

	def assertGone(self):
		from cs_success.benchmarks.run import BENCH_API_USER

		self.assertFalse(frappe.db.exists("User", BENCH_API_USER))
		self.assertFalse(frappe.db.exists("Has Role", {"parent": BENCH_API_USER}))
		self.assertFalse(frappe.db.sql("SELECT 1 FROM `__Auth` WHERE name = %s", BENCH_API_USER))

	def test_removed_by_a_run_after_a_crash_and_with_keep_data(self):
		from cs_success.benchmarks import run as benchmark

		benchmark.bench_api_user()  # what a run that crashed left behind
		self.assertTrue(frappe.db.get_value("User", benchmark.BENCH_API_USER, "api_key"))
		everything = set(benchmark.ALL_BENCHMARKS)
		with patch.object(benchmark, "cleanup") as cleanup:
			benchmark.run_all(scales=[], skip=everything, force=True, keep=True)
		cleanup.assert_not_called()  # --keep-data keeps the data ...
		self.assertGone()  # ... not the API user

		# A run that crashes while the API user exists (in benchmark 1, with --keep-data).
		def crash():
			benchmark.bench_api_user()
			raise RuntimeError("killed")

		with patch.object(benchmark, "hook_overhead", crash), patch.object(benchmark, "cleanup"):
			with self.assertRaises(RuntimeError):
				benchmark.run_all(scales=[], skip=everything - {1}, force=True, keep=True)
		self.assertGone()

	def test_request_overhead_removes_it_when_its_requests_fail(self):
		from cs_success.benchmarks import run as benchmark

		# Nothing but the API user made: the benchmark's customer and item would be committed with it.
		with (
			patch.object(benchmark, "bench_customer", return_value="BENCH-HOOKS"),
			patch.object(benchmark, "bench_item", return_value="BENCH-ITEM"),
			patch.object(benchmark, "_request_overhead", side_effect=RuntimeError("no server")),
			self.assertRaises(RuntimeError),
		):
			benchmark.request_overhead(runs=1)
		self.assertGone()


class TestRolesTheAppCreated(FrappeTestCase):
	def tearDown(self):
		frappe.db.rollback()
		frappe.defaults.clear_defaults_cache("__default")

	def test_uninstall_deletes_only_the_roles_it_created(self):
		from cs_success.install import create_roles, created_roles, delete_roles

		before = created_roles()
		suffix = frappe.generate_hash(length=6)
		theirs, ours = f"_CS Test Their Role {suffix}", f"_CS Test Our Role {suffix}"
		frappe.get_doc({"doctype": "Role", "role_name": theirs, "desk_access": 1}).insert(
			ignore_permissions=True
		)
		user = make_user(theirs)

		create_roles((theirs, ours))  # as after_install does
		self.assertTrue(frappe.db.exists("Role", ours))
		self.assertEqual(created_roles(), before | {ours})
		frappe.get_doc("User", user).add_roles(ours)

		delete_roles((theirs, ours))  # as before_uninstall does
		self.assertTrue(frappe.db.exists("Role", theirs))
		self.assertTrue(frappe.db.exists("Has Role", {"parent": user, "role": theirs}))
		self.assertFalse(frappe.db.exists("Role", ours))
		self.assertFalse(frappe.db.exists("Has Role", {"role": ours}))
		self.assertEqual(created_roles(), before)

	def test_a_site_installed_before_roles_were_recorded(self):
		from cs_success.install import CREATED_ROLES_KEY, created_roles

		frappe.defaults.clear_default(key=CREATED_ROLES_KEY, parent="__default")
		# Our roles were created with the app (as its doctypes were synced): both ours.
		self.assertEqual(created_roles(), {"CS Manager", "CS Agent"})
		# A role older than the app's Module Def was there before it.
		installed = frappe.db.get_value("Module Def", "CS Success", "creation")
		frappe.db.set_value(
			"Role", "CS Agent", "creation", add_to_date(installed, days=-1), update_modified=False
		)
		self.assertEqual(created_roles(), {"CS Manager"})
