"""Tier 2: the registries the app is extended through. Each measure reader gives exactly the measures that
name it; the Play doctype offers exactly the registered triggers, in their order; each trigger's finder
takes what its moment passes; a play is refused without the settings its trigger names.

(tests/test_registries.py checks the measure registry's links without a bench.)"""

import inspect
import json
from pathlib import Path

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, add_to_date, getdate, now_datetime, today

from cs_success.cs_success.doctype.play.play import PlayConfigurationError
from cs_success.engine.measures import MEASURES
from cs_success.health.measure_data import READERS, usage_metric_measures
from cs_success.playbooks.triggers import (
	AFTER_RECOMPUTE,
	AFTER_RECOMPUTE_FINDERS,
	DAILY,
	DAILY_FINDERS,
	TRIGGERS,
	TRIGGERS_BY_NAME,
)
from cs_success.tests.utils import make_customer, make_issue, make_sales_invoice, reset_health_queue

PLAY_JSON = Path(__file__).resolve().parent.parent / "cs_success" / "doctype" / "play" / "play.json"
# What a finder is called with: (play, outcomes, day) after a recompute, (play, day) daily.
FINDER_ARGUMENTS = {AFTER_RECOMPUTE: 3, DAILY: 2}
# A valid value for each setting a trigger may need.
SETTING_VALUES = {"band": "At Risk", "points": 10, "days": 30, "percent": 20}


def play_fields() -> dict[str, dict]:
	return {field["fieldname"]: field for field in json.loads(PLAY_JSON.read_text())["fields"]}


class TestMeasureReaders(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()

	def tearDown(self):
		frappe.db.rollback()

	def test_each_reader_gives_only_the_measures_that_name_it(self):
		"""A customer with an open ticket, an overdue invoice and a usage record: every reader, live and as
		of a past day, gives keys of its own measures only, and together they give those the data allows."""
		customer = make_customer("Registry")
		make_issue(customer, opening_date=add_days(today(), -10))
		make_sales_invoice(customer, 100, add_days(today(), -40), add_days(today(), -30))
		frappe.get_doc(
			{
				"doctype": "Customer Usage Record",
				"customer": customer,
				"metric": "usage",
				"value": 60,
				"recorded_on": add_to_date(now_datetime(), days=-1),
			}
		).insert(ignore_permissions=True)
		usage_measures = set(usage_metric_measures().values())
		given = set()
		for name, reader in READERS.items():
			own = {m.key for m in MEASURES if m.reader == name}
			if "usage" in own:
				own |= usage_measures  # measures a site adds for its own usage metrics
			live = reader.live([customer], getdate(today()))
			reads = [live, reader.live(None, getdate(today()))]
			if reader.as_of:
				reads.append(reader.as_of([customer], getdate(add_days(today(), -5))))
			for values in reads:
				for measure_values in values.values():
					self.assertLessEqual(set(measure_values), own, name)
			given |= set(live.get(customer, {}))
		self.assertLessEqual(
			{
				"open_tickets",
				"tickets_90d",
				"overdue_invoices",
				"overdue_share",
				"days_since_activity",
				"usage",
			},
			given,
		)


class TestTriggerRegistry(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")

	def tearDown(self):
		frappe.db.rollback()

	def test_play_offers_the_registered_triggers_in_order(self):
		self.assertEqual(
			play_fields()["trigger"]["options"].split("\n"), [trigger.name for trigger in TRIGGERS]
		)
		self.assertEqual(
			frappe.get_meta("Play").get_field("trigger").options.split("\n"), list(TRIGGERS_BY_NAME)
		)

	def test_every_trigger_has_a_finder_for_its_moment(self):
		for trigger in TRIGGERS:
			self.assertIn(trigger.evaluated, FINDER_ARGUMENTS, trigger.name)
			self.assertTrue(callable(trigger.finder), trigger.name)
			self.assertEqual(
				len(inspect.signature(trigger.finder).parameters),
				FINDER_ARGUMENTS[trigger.evaluated],
				trigger.name,
			)
		self.assertEqual(
			sorted([*AFTER_RECOMPUTE_FINDERS, *DAILY_FINDERS]), sorted(trigger.name for trigger in TRIGGERS)
		)

	def test_settings_are_play_fields_shown_for_their_trigger(self):
		fields = play_fields()
		for trigger in TRIGGERS:
			for fieldname in trigger.settings:
				self.assertIn(fieldname, fields, trigger.name)
				self.assertIn(f"'{trigger.name}'", fields[fieldname].get("depends_on") or "", fieldname)

	def test_a_play_without_its_triggers_settings_is_refused(self):
		for trigger in TRIGGERS:
			for missing in trigger.settings:
				values = {f: SETTING_VALUES[f] for f in trigger.settings if f != missing}
				with self.assertRaises(PlayConfigurationError, msg=f"{trigger.name} without {missing}"):
					self.make_play(trigger.name, **values)
			play = self.make_play(trigger.name, **{f: SETTING_VALUES[f] for f in trigger.settings})
			self.assertTrue(frappe.db.exists("Play", play.name), trigger.name)

	def make_play(self, trigger: str, **fields):
		return frappe.get_doc(
			{
				"doctype": "Play",
				"play_name": f"_CS Test Registry Play {frappe.generate_hash(length=6)}",
				"trigger": trigger,
				"is_paused": 1,
				"owner_rule": "User",
				"owner_user": "Administrator",
				"re_enrolment": "Every Time",
				"actions": [{"action_type": "Task", "subject": "Call them"}],
				**fields,
			}
		).insert(ignore_permissions=True)
