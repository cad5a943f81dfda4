"""Tier 2: the definitions issue 21 made one each (ledger/queries.py, health/snapshots.py), on planted rows, where
the readers they replaced gave other answers: health on a day looks back 31 days, both ends included (the
trend's reader stopped at 29, the audit's never); "MRR now" takes one company rule, and the MRR change measure
follows it (it took the company where the customer had the most MRR, comparing currencies)."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, getdate, now_datetime, today

from cs_success.base.bulk import insert_rows
from cs_success.health.measure_data import renewal_measures
from cs_success.health.snapshots import health_on_or_before, health_on_or_before_each, scores_on_or_before
from cs_success.ledger.queries import mrr_company
from cs_success.tests.utils import company, make_customer, make_user

AUDIT = ("creation", "modified", "owner", "modified_by", "docstatus")
OTHER_COMPANY = "_CS Test Other Company"


def day(offset: int):
	return getdate(add_days(today(), offset))


def audit() -> tuple:
	now = now_datetime()
	return (now, now, "Administrator", "Administrator", 0)


def add_snapshot(customer: str, on, score, band: str, kind: str = "Daily") -> None:
	insert_rows(
		"Customer Health Snapshot",
		["name", "customer", "snapshot_date", "kind", "score", "band", *AUDIT],
		[(frappe.generate_hash(length=20), customer, on, kind, score, band, *audit())],
	)


def add_interval(customer: str, at: str, from_date, to_date, mrr: float) -> None:
	insert_rows(
		"MRR Interval",
		["name", "customer", "company", "from_date", "to_date", "mrr", *AUDIT],
		[(frappe.generate_hash(length=10), customer, at, from_date, to_date, mrr, *audit())],
	)


class TestHealthOnADay(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		cls.day = day(-10)
		cls.month_old = make_customer("Month Old Snapshot")
		cls.too_old = make_customer("Too Old Snapshot")
		cls.no_data = make_customer("No Data Snapshot")
		add_snapshot(cls.month_old, add_days(cls.day, -40), 90, "Healthy")
		add_snapshot(cls.month_old, add_days(cls.day, -31), 60, "At Risk")
		# Not Daily: a band change never stands for the day.
		add_snapshot(cls.month_old, add_days(cls.day, -1), 20, "Critical", kind="Band Change")
		add_snapshot(cls.too_old, add_days(cls.day, -32), 70, "At Risk")
		add_snapshot(cls.no_data, add_days(cls.day, -2), 0, "No Data")

	def test_latest_daily_snapshot_up_to_31_days_before(self):
		customers = [self.month_old, self.too_old, self.no_data]
		health = health_on_or_before(self.day, customers)
		self.assertEqual(
			{customer: (h.score, h.band, h.snapshot_date) for customer, h in health.items()},
			{
				self.month_old: (60, "At Risk", getdate(add_days(self.day, -31))),
				self.no_data: (0, "No Data", getdate(add_days(self.day, -2))),
			},
		)
		# A score needs a band: No Data has none.
		self.assertEqual(scores_on_or_before(customers, self.day), {self.month_old: 60})

	def test_each_pair_on_its_own_day_by_the_same_definition(self):
		earlier = getdate(add_days(self.day, -35))
		health = health_on_or_before_each(
			[(self.month_old, self.day), (self.too_old, self.day), (self.month_old, earlier)]
		)
		self.assertEqual(
			{pair: (h.score, h.snapshot_date) for pair, h in health.items()},
			{
				(self.month_old, self.day): (60, getdate(add_days(self.day, -31))),
				(self.month_old, earlier): (90, getdate(add_days(self.day, -40))),
			},
		)


class TestMrrNowCompany(FrappeTestCase):
	def test_the_company_given_else_the_users_default_else_the_sites(self):
		user = make_user("CS Manager")
		self.assertEqual(mrr_company(OTHER_COMPANY), OTHER_COMPANY)
		self.assertEqual(mrr_company(), frappe.defaults.get_global_default("company"))
		# A user without a default of their own gets the site's.
		self.assertEqual(mrr_company(user=user), frappe.defaults.get_global_default("company"))
		# The key Frappe's own session defaults write, and get_user_default("Company") reads.
		frappe.defaults.set_user_default("company", OTHER_COMPANY, user)
		try:
			self.assertEqual(mrr_company(user=user), OTHER_COMPANY)
			# No user: a figure for the whole site never follows whoever's session computes it.
			self.assertEqual(mrr_company(), frappe.defaults.get_global_default("company"))
		finally:
			frappe.defaults.clear_user_default("company", user)

	def test_mrr_change_measure_at_the_site_default_company(self):
		both = make_customer("MRR At Two Companies")
		elsewhere = make_customer("MRR Elsewhere Only")
		# At the default company 100 -> 120; at the other one 1000 -> 100 (the most MRR 90 days ago, which
		# the measure used to follow: -90 %).
		add_interval(both, company(), day(-200), day(-60), 100)
		add_interval(both, company(), day(-59), None, 120)
		add_interval(both, OTHER_COMPANY, day(-200), day(-60), 1000)
		add_interval(both, OTHER_COMPANY, day(-59), None, 100)
		add_interval(elsewhere, OTHER_COMPANY, day(-200), None, 500)
		values = renewal_measures([both, elsewhere], getdate(today()))
		self.assertEqual(values[both]["mrr_change_90d"], 20.0)
		self.assertNotIn("mrr_change_90d", values.get(elsewhere, {}))


class TestTeamContact(FrappeTestCase):
	"""One definition of contact (touchpoints/record.py): the team's touchpoints, not tickets or survey
	answers. The health measure, the No Touchpoint trigger and the cockpit agree on who is quiet."""

	def test_a_customer_who_only_opened_tickets_is_quiet_everywhere(self):
		from cs_success.api.cockpit import _quiet_customers
		from cs_success.health.measure_data import touchpoint_measures
		from cs_success.playbooks.triggers import no_touchpoint
		from cs_success.tests.utils import active_since, make_play

		play = make_play("No Touchpoint", days=30)
		only_tickets, called = make_customer("Only Tickets"), make_customer("Called")
		for customer in (only_tickets, called):
			active_since(customer, add_days(today(), -400))
		# Only Tickets: a ticket touchpoint and a survey answer 3 days ago; Called: a call 3 days ago.
		for customer, kind in ((only_tickets, "Ticket"), (only_tickets, "Survey"), (called, "Call")):
			frappe.get_doc(
				{"doctype": "Touchpoint", "customer": customer, "touchpoint_type": kind, "summary": "Hi",
				 "touchpoint_date": add_days(now_datetime(), -3)}
			).insert(ignore_permissions=True)  # fmt: skip
		found = {c.customer for c in no_touchpoint(play, getdate(today()))}
		self.assertIn(only_tickets, found)
		self.assertNotIn(called, found)
		measures = touchpoint_measures([only_tickets, called], getdate(today()))
		self.assertNotIn(only_tickets, measures)  # no contact data: never scored as engaged
		self.assertEqual(measures[called]["days_since_touchpoint"], 3.0)
		quiet = _quiet_customers(
			{name: {"customer_name": name, "band": "Healthy"} for name in (only_tickets, called)}
		)
		self.assertEqual([row["customer"] for row in quiet], [only_tickets])


class TestTicketResolved(FrappeTestCase):
	"""One definition of a resolved ticket (base/helpdesk.py) for the measures, post-ticket surveys and
	touchpoints: an HD Ticket in a site's own status whose category is Resolved counts (by status name
	alone it did not, in two of the four places)."""

	def test_status_or_helpdesk_category(self):
		from cs_success.base.helpdesk import resolved_condition, ticket_is_resolved

		self.assertTrue(ticket_is_resolved(frappe._dict(doctype="Issue", status="Closed")))
		self.assertFalse(ticket_is_resolved(frappe._dict(doctype="Issue", status="Replied")))
		done = frappe._dict(doctype="HD Ticket", status="Done", status_category="Resolved")
		self.assertTrue(ticket_is_resolved(done))
		self.assertFalse(
			ticket_is_resolved(frappe._dict(doctype="HD Ticket", status="Open", status_category="Open"))
		)
		self.assertEqual(resolved_condition("Issue", "t"), "t.status IN ('Resolved', 'Closed')")


class TestActiveOnDays(FrappeTestCase):
	"""ledger/queries.active_on_days gives each day's active customers from one integer per customer (a bit
	per day, DAYS_PER_MASK days to an integer): days past the first integer, a customer with two spans and a
	gap, and a span that ends on a day must all come back where they belong."""

	def test_days_across_two_masks_spans_with_a_gap(self):
		from cs_success.ledger.queries import DAYS_PER_MASK, active_on_days

		self.addCleanup(frappe.db.rollback)
		gap, ended = make_customer("Active With A Gap"), make_customer("Active Until Day 64")
		days = [day(-100 + offset) for offset in range(DAYS_PER_MASK + 10)]  # 70 days: two integers
		spans = [
			# gap: active on days 0..9 and 62..69 (the second span open-ended), not on 10..61.
			(gap, days[0], days[9]),
			(gap, days[62], None),
			# ended: active on days 5..64, its last day in the second integer.
			(ended, days[5], days[64]),
		]
		insert_rows(
			"Customer Active Span",
			["name", "customer", "from_date", "to_date", *AUDIT],
			[(frappe.generate_hash(length=10), c, start, end, *audit()) for c, start, end in spans],
		)
		active = active_on_days(days, [gap, ended])
		expected_gap = set(range(0, 10)) | set(range(62, 70))
		expected_ended = set(range(5, 65))
		for index, on in enumerate(days):
			self.assertEqual(gap in active[on], index in expected_gap, (index, on))
			self.assertEqual(ended in active[on], index in expected_ended, (index, on))
