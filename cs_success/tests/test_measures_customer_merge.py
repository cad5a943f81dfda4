"""Tier 2: merging one Customer into another (issue 12) keeps what should be kept and collides with
nothing: both have a health record, a snapshot the same day, touchpoints (one from the same email)
and an open alert in the same band."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, now_datetime, today

from cs_success.health.recompute import recompute_customers
from cs_success.tests.utils import (
	make_contact,
	make_customer,
	reset_health_queue,
	run_pending_recomputes,
)
from cs_success.touchpoints.record import record_touchpoint


def snapshot(customer: str, day, score: float, kind: str = "Daily") -> None:
	frappe.get_doc(
		{
			"doctype": "Customer Health Snapshot",
			"customer": customer,
			"snapshot_date": day,
			"kind": kind,
			"score": score,
			"band": "At Risk",
			"data_coverage": 100,
		}
	).db_insert()


def open_alert(customer: str, band: str = "Critical") -> str:
	doc = frappe.get_doc(
		{
			"doctype": "Customer Health Alert",
			"customer": customer,
			"band": band,
			"previous_band": "Healthy",
			"score": 30,
			"status": "Open",
			"raised_on": now_datetime(),
		}
	)
	doc.db_insert()
	return doc.name


class TestCustomerMerge(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()

	def test_merge_hook_is_registered(self):
		"""The folding must run before Frappe rewrites the Link fields, i.e. on before_rename."""
		hooks = frappe.get_hooks("doc_events").get("Customer", {})
		self.assertIn("cs_success.customer.on_customer_before_rename", hooks.get("before_rename", []))

	def test_merge_keeps_the_survivors_rows_and_folds_the_others(self):
		self._ensure_before_rename_hook()
		merged, survivor = make_customer("Merged"), make_customer("Survivor")
		recompute_customers([merged, survivor])  # a health record and today's Daily snapshot each
		for customer in (merged, survivor):
			self.assertTrue(frappe.db.exists("Customer Health", customer))
			self.assertTrue(
				frappe.db.exists(
					"Customer Health Snapshot",
					{"customer": customer, "snapshot_date": today(), "kind": "Daily"},
				)
			)
		survivor_today = frappe.db.get_value(
			"Customer Health Snapshot", {"customer": survivor, "snapshot_date": today(), "kind": "Daily"}
		)
		snapshot(merged, add_days(today(), -5), 55)  # a day only the merged one has: it moves over
		snapshots_before = frappe.db.count(
			"Customer Health Snapshot", {"customer": ("in", [merged, survivor])}
		)

		# Touchpoints: a call each, and one email to a contact of both customers (recorded once per
		# customer, under keys naming the customer).
		record_touchpoint(merged, "Call", "Merged's call")
		record_touchpoint(survivor, "Call", "Survivor's call")
		contact = make_contact(merged)
		frappe.get_doc("Contact", contact).append(
			"links", {"link_doctype": "Customer", "link_name": survivor}
		).save(ignore_permissions=True)
		frappe.get_doc(
			{
				"doctype": "Communication",
				"communication_type": "Communication",
				"communication_medium": "Email",
				"sent_or_received": "Received",
				"subject": "_CS Test shared email",
				"content": "Hello both",
				"sender": frappe.db.get_value("Contact", contact, "email_id"),
				"message_id": f"cs-test-{frappe.generate_hash(length=10)}@example.com",
				"reference_doctype": "Contact",
				"reference_name": contact,
			}
		).insert(ignore_permissions=True)
		run_pending_recomputes()
		self.assertEqual(frappe.db.count("Touchpoint", {"customer": merged}), 2)
		self.assertEqual(frappe.db.count("Touchpoint", {"customer": survivor}), 2)

		open_alert(merged)
		kept_alert = open_alert(survivor)

		frappe.rename_doc("Customer", merged, survivor, merge=True, show_alert=False)
		run_pending_recomputes()  # the after-commit drain: ledger and health of the survivor

		self.assertFalse(frappe.db.exists("Customer", merged))
		# Health: one record, the survivor's, recomputed.
		self.assertFalse(frappe.db.exists("Customer Health", merged))
		self.assertEqual(frappe.db.count("Customer Health", {"customer": survivor}), 1)
		# Snapshots: today's collided, the survivor's is kept (the same row); the merged one's other
		# day moved over. 3 before (2 today + 1 five days ago) - 1 dropped = 2.
		rows = frappe.get_all(
			"Customer Health Snapshot",
			filters={"customer": survivor, "kind": "Daily"},
			fields=["name", "snapshot_date", "score"],
			order_by="snapshot_date",
		)
		self.assertEqual(snapshots_before, 3)
		self.assertEqual([str(r.snapshot_date) for r in rows], [str(add_days(today(), -5)), today()])
		self.assertEqual((rows[0].score, rows[1].name), (55, survivor_today))
		self.assertEqual(frappe.db.count("Customer Health Snapshot", {"customer": merged}), 0)
		# Touchpoints: 4 before, the email's double dropped: both calls and the email once = 3.
		touchpoints = frappe.get_all(
			"Touchpoint", filters={"customer": survivor}, fields=["touchpoint_type", "source_key"]
		)
		self.assertEqual(sorted(t.touchpoint_type for t in touchpoints), ["Call", "Call", "Email"])
		(email,) = [t for t in touchpoints if t.touchpoint_type == "Email"]
		self.assertTrue(email.source_key.endswith(f":{survivor}"))
		self.assertEqual(frappe.db.count("Touchpoint", {"customer": merged}), 0)
		# Alerts: one open per customer and band, the survivor's.
		self.assertEqual(
			frappe.get_all(
				"Customer Health Alert", filters={"customer": survivor, "status": "Open"}, pluck="name"
			),
			[kept_alert],
		)

	def test_merge_into_a_customer_without_health_takes_the_merged_record(self):
		self._ensure_before_rename_hook()
		merged, survivor = make_customer("Merged Only"), make_customer("Survivor Bare")
		recompute_customers([merged])
		frappe.db.delete("Customer Health", {"name": survivor})
		frappe.rename_doc("Customer", merged, survivor, merge=True, show_alert=False)
		self.assertEqual(frappe.db.get_value("Customer Health", survivor, "customer"), survivor)
		self.assertEqual(frappe.db.count("Customer Health", {"customer": ("in", [merged, survivor])}), 1)

	def _ensure_before_rename_hook(self):
		"""Until hooks.py registers it (see test_merge_hook_is_registered), add it for this test only,
		so the folding itself is tested either way."""
		hook = "cs_success.customer.on_customer_before_rename"
		events = frappe.get_doc_hooks().setdefault("Customer", {})
		if hook in events.get("before_rename", []):
			return
		events.setdefault("before_rename", []).append(hook)
		self.addCleanup(events["before_rename"].remove, hook)
