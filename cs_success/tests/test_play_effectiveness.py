"""Tier 2: the Play Effectiveness report on planted runs, snapshots and churn events (inserted directly).

Everything happens in 2017, where no other test writes; each test rolls back its rows. The comparison
reads every customer's snapshots, so only the ones planted here are in it."""

from contextlib import contextmanager
from datetime import date, datetime
from unittest.mock import patch

import frappe
from frappe.tests.utils import FrappeTestCase

from cs_success.base.bulk import insert_rows
from cs_success.cs_success.report.play_effectiveness.play_effectiveness import execute, report_as_of
from cs_success.tests.utils import index_columns, make_customer

STANDARD = ["name", "creation", "modified", "owner", "modified_by", "docstatus"]
CRITICAL, AT_RISK = "Critical", "At Risk"
D = date

# As of 2017-07-01. Runs of play P start on S1 = 2017-01-10 (day 30 = 02-09; day 90 = 04-10, whose
# snapshot may be from 03-10 on) and S2 = 2017-05-15 (day 30 = 06-14 has passed, day 90 = 08-13 has not).
# One run of play Q starts on 2017-01-20 (day 30 = 02-19; day 90 = 04-20, snapshot from 03-20 on).
AS_OF = D(2017, 7, 1)
SNAPSHOTS = {
	# Customers with runs of P.
	"A": [(D(2017, 1, 10), 40, CRITICAL), (D(2017, 2, 5), 55, AT_RISK), (D(2017, 4, 5), 60, AT_RISK)],
	"B": [(D(2017, 1, 8), 30, CRITICAL)],  # no snapshot after its start
	"C": [(D(2017, 5, 1), 45, CRITICAL), (D(2017, 6, 10), 35, CRITICAL)],
	# The others. V had a run of P on 2016-11-01 (70 days before S1); U has the run of Q.
	"X": [
		(D(2017, 1, 1), 42, CRITICAL),
		(D(2017, 2, 9), 52, CRITICAL),
		(D(2017, 4, 9), 50, CRITICAL),
		(D(2017, 5, 10), 44, CRITICAL),
		(D(2017, 6, 14), 40, CRITICAL),
	],
	"Y": [(D(2016, 12, 15), 35, CRITICAL), (D(2017, 1, 15), 20, CRITICAL)],  # churns 2017-01-20
	"U": [(D(2017, 1, 10), 48, CRITICAL), (D(2017, 2, 1), 58, AT_RISK), (D(2017, 3, 20), 50, AT_RISK)],
	"Z": [(D(2017, 1, 10), 60, AT_RISK), (D(2017, 2, 1), 20, CRITICAL)],  # another band on S1
	"W": [(D(2016, 12, 1), 30, CRITICAL), (D(2017, 2, 1), 10, CRITICAL)],  # 40 days old on S1: no band
	"V": [(D(2017, 1, 5), 30, CRITICAL), (D(2017, 2, 5), 90, AT_RISK)],
}
CHURNED = {"B": D(2017, 3, 1), "Y": D(2017, 1, 20)}


def make_play(label: str):
	return frappe.get_doc(
		{
			"doctype": "Play",
			"play_name": f"_CS Test PE {label} {frappe.generate_hash(length=6)}",
			"trigger": "No Touchpoint",
			"days": 30,
			"owner_rule": "User",
			"owner_user": "Administrator",
			"re_enrolment": "Every Time",
			"actions": [{"action_type": "Task", "subject": "Call"}],
		}
	).insert()


class PlantedScenario(FrappeTestCase):
	"""The runs, snapshots and churn events above, planted for each test and rolled back after it."""

	def setUp(self):
		self.p, self.q = make_play("P").name, make_play("Q").name
		self.c = {}
		base = self.plant(SNAPSHOTS, CHURNED)
		p, q, c = self.p, self.q, self.c
		# A run that recorded no band stores score 0 (a Float column): C's comes from its snapshot.
		runs = [
			(p, c["A"], "Closed", datetime(2017, 1, 10), datetime(2017, 1, 20, 12), "Saved", CRITICAL, 40),
			(
				p,
				c["B"],
				"Closed",
				datetime(2017, 1, 10, 6),
				datetime(2017, 3, 1, 18),
				"Churned",
				CRITICAL,
				30,
			),
			(p, c["C"], "Open", datetime(2017, 5, 15, 9), None, None, None, 0),
			(p, c["V"], "Closed", datetime(2016, 11, 1), datetime(2016, 11, 2), "No Effect", CRITICAL, 30),
			(q, c["U"], "Snoozed", datetime(2017, 1, 20), None, None, CRITICAL, 48),
		]
		insert_rows(
			"Play Run",
			[
				*STANDARD, "play", "customer", "status", "enrolled_on", "closed_on", "outcome",
				"band_at_start", "score_at_start",
			],
			[(frappe.generate_hash(length=20), *base, *row) for row in runs],
		)  # fmt: skip

	def plant(self, snapshots: dict, churned: dict) -> tuple:
		"""A customer per label of `snapshots` (into self.c), its Daily snapshots and the Churned events of
		`churned`; returns the standard column values the rows were written with."""
		self.c.update({label: make_customer(f"PE {label}") for label in snapshots})
		now, user = frappe.utils.now_datetime(), frappe.session.user
		base = (now, now, user, user, 0)
		insert_rows(
			"Customer Health Snapshot",
			[*STANDARD, "customer", "snapshot_date", "kind", "score", "band"],
			[
				(frappe.generate_hash(length=20), *base, self.c[label], day, "Daily", score, band)
				for label, rows in snapshots.items()
				for day, score, band in rows
			],
		)
		insert_rows(
			"Customer Lifecycle Event",
			[*STANDARD, "customer", "event_date", "event_type"],
			[
				(frappe.generate_hash(length=20), *base, self.c[label], day, "Churned")
				for label, day in churned.items()
			],
		)
		return base

	def tearDown(self):
		frappe.db.rollback()

	def report(self, on=AS_OF, **filters):
		columns, rows, message, chart, summary = report_as_of(
			{"from_date": D(2017, 1, 1), "to_date": D(2017, 6, 30), **filters}, on
		)
		return columns, {row["play"]: row for row in rows}, message, chart, summary


class TestPlayEffectivenessReport(PlantedScenario):
	def test_the_plays_figures_by_hand(self):
		_columns, rows, message, chart, summary = self.report()
		self.assertEqual(set(rows), {self.p, self.q})  # V's run of P is before the range
		p = rows[self.p]
		self.assertEqual(p["trigger"], "No Touchpoint")
		# Started A, B, C; closed A (10.5 days) and B (50.5 days): 2 / 3, median (10.5 + 50.5) / 2 = 30.5.
		self.assertEqual((p["runs_started"], p["runs_closed"]), (3, 2))
		self.assertEqual(p["completion_rate"], 66.67)
		self.assertEqual(p["median_days_to_close"], 30.5)
		self.assertEqual((p["saved"], p["churned"], p["no_effect"]), (1, 1, 0))

		# Comparison of A and B (P, S1, Critical): Critical on S1 are A, B, X (01-01), Y (2016-12-15, 26 days
		# old), U (01-10, the run of Q does not count for P), V; not W (40 days old) nor Z (At Risk). P reached
		# A, B and V (70 days before): left X, Y, U.
		#   30 days: X 52 - 42 = +10, Y 20 - 35 = -15, U 58 - 48 = +10: 5/3; churned Y (01-20): 1/3
		#   90 days: X 50 - 42 = +8, U 50 - 48 = +2, Y none: 5; churned Y: 1/3
		# Comparison of C (P, S2, Critical): C (05-01) and X (05-10); P reached C: left X, 40 - 44 = -4,
		# no churn.
		# 30 days, n = 3 (A, B, C): A 55 - 40 = +15, B no later snapshot, C 35 - 45 = -10 (its snapshot
		# score; the stored 0 has no band): (15 - 10) / 2 = 2.5. Churn: B on 03-01, after day 30: 0 %.
		# Comparison, each run the same weight: (5/3 + 5/3 - 4) / 3 = -0.22; (1/3 + 1/3 + 0) / 3 = 22.22 %.
		self.assertEqual(p["n_30"], 3)
		self.assertEqual(p["health_change_30"], 2.5)
		self.assertEqual(p["churn_rate_30"], 0)
		self.assertEqual(p["comparison_health_change_30"], -0.2)
		self.assertEqual(p["comparison_churn_rate_30"], 22.22)
		# 90 days, n = 2 (C's window ends 08-13): A 60 - 40 = +20, B none: 20. Churn: B: 50 %.
		# Comparison: (5 + 5) / 2 = 5; (1/3 + 1/3) / 2 = 33.33 %. Difference 50 - 33.33 = 16.7 points.
		self.assertEqual(p["n_90"], 2)
		self.assertEqual(p["health_change_90"], 20)
		self.assertEqual(p["churn_rate_90"], 50)
		self.assertEqual(p["comparison_health_change_90"], 5)
		self.assertEqual(p["comparison_churn_rate_90"], 33.33)
		self.assertEqual(p["churn_difference_90"], 16.7)

		# Q: U from 01-20, Critical, score 48. Comparison: Critical on 01-20 are A (01-10), B (01-08), X
		# (01-01), Y (01-15), V (01-05), U; Q reached U: left A, B, X, Y, V.
		#   30 days (to 02-19): A 55 - 40 = +15, X 52 - 42 = +10, V 90 - 30 = +60, B and Y none: 85/3 =
		#   28.3; churned: nobody (Y churned on 01-20 itself, not after it): 0 %
		#   90 days (to 04-20, snapshots from 03-20 on): A 60 - 40 = +20, X 50 - 42 = +8: 14; churned: B
		#   (03-01): 1/5 = 20 %
		# U itself: 30 days 58 - 48 = +10; 90 days: 03-20, 31 days before 04-20, the oldest that counts:
		# 50 - 48 = +2.
		q = rows[self.q]
		self.assertEqual((q["runs_started"], q["runs_closed"], q["completion_rate"]), (1, 0, 0))
		self.assertIsNone(q["median_days_to_close"])
		self.assertEqual((q["n_30"], q["health_change_30"], q["churn_rate_30"]), (1, 10, 0))
		self.assertEqual((q["comparison_health_change_30"], q["comparison_churn_rate_30"]), (28.3, 0))
		self.assertEqual(q["n_90"], 1)
		self.assertEqual(q["health_change_90"], 2)
		self.assertEqual(q["churn_rate_90"], 0)
		self.assertEqual((q["comparison_health_change_90"], q["comparison_churn_rate_90"]), (14, 20))
		self.assertEqual(q["churn_difference_90"], -20)

		# All runs: 4 started, 2 closed: 50 %. 90 days: A, B, U: churned B: 33.33 %; comparison
		# (33.33 + 33.33 + 20) / 3 = 28.89 %.
		cards = {card["label"]: card for card in summary}
		self.assertEqual(cards["Runs Started"]["value"], 4)
		self.assertEqual(cards["Completion Rate"]["value"], 50)
		self.assertEqual(cards["Churn % at 90 Days"]["value"], 33.33)
		self.assertEqual(cards["Comparison Churn % at 90 Days"]["value"], 28.89)
		self.assertEqual(cards["Churn % at 90 Days"]["indicator"], "Red")  # more churn than the comparison
		self.assertIn("did not enrol within 90 days", message)
		# Plays by name: P, then Q.
		self.assertEqual(chart["data"]["labels"], [self.p, self.q])
		self.assertEqual([dataset["values"] for dataset in chart["data"]["datasets"]], [[50, 0], [33.33, 20]])

	def test_one_play_and_windows_that_have_not_passed(self):
		_columns, rows, _message, _chart, summary = self.report(play=self.q)
		self.assertEqual(list(rows), [self.q])
		self.assertEqual({card["label"]: card["value"] for card in summary}["Runs Started"], 1)
		# As of 2017-02-15 (runs up to that day) only A's and B's 30-day windows (to 02-09) have ended; U's
		# (to 02-19) has not, nor any 90-day one.
		_columns, rows, _message, chart, _summary = self.report(on=D(2017, 2, 15), to_date=D(2017, 2, 15))
		p, q = rows[self.p], rows[self.q]
		self.assertEqual((p["runs_started"], p["n_30"], p["n_90"]), (2, 2, 0))
		# A +15, B none; comparison X, Y, U: 5/3 and 1/3.
		self.assertEqual((p["health_change_30"], p["churn_rate_30"]), (15, 0))
		self.assertEqual((p["comparison_health_change_30"], p["comparison_churn_rate_30"]), (1.7, 33.33))
		for key in ("health_change_90", "churn_rate_90", "comparison_churn_rate_90", "churn_difference_90"):
			self.assertIsNone(p[key], key)
		self.assertEqual(q["n_30"], 0)
		self.assertIsNone(q["churn_rate_30"])
		self.assertIsNone(chart)  # no 90-day figures to draw

	def test_execute_today_counts_every_window_of_2017(self):
		columns, rows, _message, _chart, _summary = execute(
			{"from_date": "2017-01-01", "to_date": "2017-06-30", "play": self.p}
		)
		self.assertIn("churn_difference_90", [column["fieldname"] for column in columns])
		(p,) = rows
		# C's 90-day window has ended by now: no snapshot in it (from 07-13 to 08-13), no churn. Its
		# comparison X has none either and did not churn: 0 %. Churn 1/3; comparison (1/3 + 1/3 + 0) / 3.
		self.assertEqual(p["n_90"], 3)
		self.assertEqual(p["health_change_90"], 20)
		self.assertEqual(p["churn_rate_90"], 33.33)
		self.assertEqual(p["comparison_churn_rate_90"], 22.22)
		self.assertEqual(p["comparison_health_change_90"], 5)


# The stored pool (cs_success/health/band_outcomes.py) against the full computation, on the same scenario
# plus a play R reaching N, whose band on S1 is No Data; M is No Data on S1 too and churns inside the 30
# days. Neither is Critical or At Risk: P's and Q's figures stay those worked out by hand above.
NO_DATA = "No Data"
MORE_SNAPSHOTS = {
	"N": [(D(2017, 1, 5), 0, NO_DATA), (D(2017, 2, 5), 0, NO_DATA)],
	"M": [(D(2017, 1, 9), 0, NO_DATA)],
}
MORE_CHURNED = {"M": D(2017, 1, 25)}
S1, S2 = D(2017, 1, 10), D(2017, 5, 15)


class MorePlanted(PlantedScenario):
	"""The scenario plus R, N and M above."""

	def setUp(self):
		super().setUp()
		self.r = make_play("R").name
		base = self.plant(MORE_SNAPSHOTS, MORE_CHURNED)
		insert_rows(
			"Play Run",
			[*STANDARD, "play", "customer", "status", "enrolled_on", "band_at_start", "score_at_start"],
			[
				(
					frappe.generate_hash(length=20),
					*base,
					self.r,
					self.c["N"],
					"Open",
					datetime(2017, 1, 10),
					NO_DATA,
					0,
				)
			],
		)


class TestStoredBandOutcomes(MorePlanted):
	"""The same figures from the stored pool as from every customer's snapshots, whichever days are stored."""

	def both_ways(self, on=AS_OF, **filters):
		"""The report from the stored pool (nothing computed on the fly unless `on_the_fly`) and in full."""
		filters = {"from_date": D(2017, 1, 1), "to_date": D(2017, 6, 30), **filters}
		return report_as_of(filters, on), report_as_of(filters, on, stored=False)

	def stored(self, day, band, window):
		return frappe.db.get_value(
			"Health Band Outcome",
			{"start_day": day, "band": band, "window_days": window},
			["customers", "churned", "change_sum", "changes"],
		)

	def test_the_stored_pool_gives_the_full_computations_figures(self):
		from unittest.mock import patch

		from cs_success.health import band_outcomes

		# As of 2017-07-01 the last 400 start days: S1's both windows are final, S2's 30 days only.
		band_outcomes.fill_due(on=AS_OF)
		windows = band_outcomes.stored_windows(S1, S2)
		self.assertEqual((windows[S1], windows[S2]), ({30, 90}, {30}))
		# S1, Critical, 30 days: A, B, X, Y, U, V (not W, 40 days old; not Z, At Risk). Churned: Y on 01-20.
		# Changes: A 55 - 40 = +15, X 52 - 42 = +10, Y 20 - 35 = -15, U 58 - 48 = +10, V 90 - 30 = +60, B none:
		# 80 over 5.
		self.assertEqual(self.stored(S1, CRITICAL, 30), (6, 1, 80, 5))
		# S1, No Data: N and M, no score; M churned on 01-25.
		self.assertEqual(self.stored(S1, NO_DATA, 30), (2, 1, 0, 0))

		# Every figure comes from the stored rows: computing a day on the fly would fail.
		with patch.object(band_outcomes, "compute", side_effect=AssertionError("computed on the fly")):
			stored = report_as_of({"from_date": D(2017, 1, 1), "to_date": D(2017, 6, 30)}, AS_OF)
		full = report_as_of({"from_date": D(2017, 1, 1), "to_date": D(2017, 6, 30)}, AS_OF, stored=False)
		self.assertEqual(stored, full)
		rows = {row["play"]: row for row in stored[1]}
		# P's comparison at 30 days, by hand (the first test): A's and B's group (S1, Critical) is the stored
		# 6 less A, B and V, whom P reached: X, Y, U, +5/3 and 1/3 churned; C's (S2) is X: -4, none. Each run
		# the same weight: (5/3 + 5/3 - 4) / 3 = -0.22, and (1/3 + 1/3 + 0) / 3 = 22.22 %.
		self.assertEqual(rows[self.p]["comparison_health_change_30"], -0.2)
		self.assertEqual(rows[self.p]["comparison_churn_rate_30"], 22.22)
		# C's 90-day window had not passed on 2017-07-01: n = 2 (A, B).
		self.assertEqual(rows[self.p]["n_90"], 2)
		# R: N's group is S1's No Data, N and M, less N: M, who churned at day 15 and has no score.
		r = rows[self.r]
		self.assertEqual(
			(r["n_30"], r["comparison_churn_rate_30"], r["comparison_churn_rate_90"]), (1, 100, 100)
		)
		self.assertIsNone(r["comparison_health_change_30"])
		self.assertIsNone(r["health_change_30"])

	def test_days_not_stored_are_computed_on_the_fly(self):
		from cs_success.health import band_outcomes

		band_outcomes.fill_due(on=AS_OF)
		full = report_as_of({"from_date": D(2017, 1, 1), "to_date": D(2017, 6, 30)}, AS_OF, stored=False)
		# A back-filled snapshot of 2017-04-01 can change the start days from 90 days before it to 31 after:
		# S1 goes, S2 stays.
		band_outcomes.forget_snapshot_days(D(2017, 4, 1), D(2017, 4, 1))
		windows = band_outcomes.stored_windows(D(2016, 1, 1), AS_OF)
		self.assertNotIn(S1, windows)
		self.assertNotIn(D(2017, 5, 2), windows)
		self.assertIn(D(2017, 5, 3), windows)
		self.assertIn(D(2016, 12, 31), windows)
		self.assertEqual(report_as_of({"from_date": D(2017, 1, 1), "to_date": D(2017, 6, 30)}, AS_OF), full)
		# Nothing stored: all on the fly, the same again.
		band_outcomes.forget()
		self.assertEqual(report_as_of({"from_date": D(2017, 1, 1), "to_date": D(2017, 6, 30)}, AS_OF), full)

	def test_the_daily_run_stores_the_days_whose_windows_passed(self):
		from cs_success.health import band_outcomes

		self.assertEqual(band_outcomes.fill_due(on=AS_OF, keep_days=400), 400 - 30)
		# A day later: 06-01's 30 days (to 07-01) and 04-02's 90 days (to 07-01) have passed, nothing else.
		self.assertEqual(band_outcomes.fill_due(on=D(2017, 7, 2)), 2)
		windows = band_outcomes.stored_windows(D(2017, 4, 1), D(2017, 7, 1))
		self.assertEqual((windows[D(2017, 4, 2)], windows[D(2017, 6, 1)]), ({30, 90}, {30}))
		self.assertNotIn(D(2017, 6, 2), windows)
		# A day no customer had a band on is stored as such, and not computed again.
		self.assertEqual(self.stored(D(2016, 7, 1), "", 90), (0, 0, 0, 0))
		self.assertEqual(band_outcomes.fill_due(on=D(2017, 7, 2)), 0)
		# Days before the last 400 are deleted: 2017-07-02 less 400 days is 2016-05-28, the oldest kept.
		self.assertEqual(band_outcomes.stored_windows(D(2015, 1, 1), D(2016, 5, 27)), {})
		self.assertIn(D(2016, 5, 28), band_outcomes.stored_windows(D(2015, 1, 1), D(2016, 5, 28)))

	def test_a_restricted_user_gets_the_full_computation_over_their_customers(self):
		from cs_success.health import band_outcomes
		from cs_success.tests.utils import make_user, restrict_user

		band_outcomes.fill_due(on=AS_OF)
		user = make_user("CS Manager")
		for label in ("A", "B", "C", "X"):
			restrict_user(user, "Customer", self.c[label])
		frappe.set_user(user)
		try:
			stored, full = self.both_ways(play=self.p)
		finally:
			frappe.set_user("Administrator")
		self.assertEqual(stored, full)
		(p,) = stored[1]
		# Only A, B, C and X: A's and B's group is X alone (+10 at 30 days, +8 at 90, no churn), C's is X
		# (-4): (10 + 10 - 4) / 3 = 5.3 and 0 %; at 90 days (8 + 8) / 2 = 8. The stored pool, of everyone,
		# would have said -0.2 and 22.22 %.
		self.assertEqual((p["comparison_health_change_30"], p["comparison_churn_rate_30"]), (5.3, 0))
		self.assertEqual(p["comparison_health_change_90"], 8)


@contextmanager
def snapshot_queries():
	"""Every query on the snapshot table meanwhile, recorded (the database object's own sql, wrapped)."""
	seen = []
	db = frappe.local.db
	real = db.sql

	def spy(query, *args, **kwargs):
		if "Customer Health Snapshot" in str(query):
			seen.append(str(query))
		return real(query, *args, **kwargs)

	with patch.object(db, "sql", side_effect=spy):
		yield seen


JANUARY = {"from_date": D(2017, 1, 1), "to_date": D(2017, 1, 31)}


class TestStoredPlayOutcomes(MorePlanted):
	"""The plays' reached sums (Play Band Outcome) and the runs' own facts, stored once a start day is
	final: the report then reads no snapshot for that day, and gives the full computation's figures."""

	def run_of(self, label, play=None):
		return frappe.db.get_value("Play Run", {"customer": self.c[label], "play": play or self.p})

	def reached(self, play, day, band, window):
		return frappe.db.get_value(
			"Play Band Outcome",
			{"play": play, "start_day": day, "band": band, "window_days": window},
			["customers", "churned", "change_sum", "changes"],
		)

	def add_run(self, label, enrolled_on, play=None):
		now, user = frappe.utils.now_datetime(), frappe.session.user
		insert_rows(
			"Play Run",
			[*STANDARD, "play", "customer", "status", "enrolled_on", "band_at_start", "score_at_start"],
			[
				(frappe.generate_hash(length=20), now, now, user, user, 0, play or self.p, self.c[label],
				"Open", enrolled_on, None, 0)
			],
		)  # fmt: skip

	def test_final_days_are_read_without_any_snapshot(self):
		from cs_success.engine.play_effectiveness import facts_from_text
		from cs_success.health import band_outcomes
		from cs_success.playbooks import effectiveness

		band_outcomes.fill_due(on=AS_OF)
		# S1 (01-10) and Q's 01-20 are final on 07-01 (their 90 days and MATCH_DAYS ended in April); S2 not.
		# P reached A, B and V around S1: 30 days A +15, V +60, B none: 75 over 2, nobody churned; 90 days
		# A +20: churned B (03-01).
		self.assertEqual(self.reached(self.p, S1, CRITICAL, 30), (3, 0, 75, 2))
		self.assertEqual(self.reached(self.p, S1, CRITICAL, 90), (3, 1, 20, 1))
		self.assertEqual(self.reached(self.r, S1, NO_DATA, 30), (1, 0, 0, 0))  # N
		self.assertFalse(frappe.db.exists("Play Band Outcome", {"start_day": S2}))
		a = frappe.db.get_value(
			"Play Run", self.run_of("A"), ["effect_day", "effect_customer", "effect_facts"]
		)
		self.assertEqual((a[0], a[1]), (S1, self.c["A"]))
		facts = facts_from_text(a[2])
		self.assertEqual(
			(facts.band, facts.score, facts.later, facts.churned), (CRITICAL, 40, (55, 60), (False, False))
		)
		self.assertIsNone(frappe.db.get_value("Play Run", self.run_of("C"), "effect_day"))

		filters = {"from_date": D(2017, 1, 1), "to_date": D(2017, 3, 31)}
		with snapshot_queries() as seen:
			stored = report_as_of(filters, AS_OF)
		self.assertEqual(seen, [])
		self.assertEqual(stored, report_as_of(filters, AS_OF, stored=False))
		# The whole half year: only S2 is not final, and only C (its run, the one P reached around it) is
		# read, over S2's span.
		whole = {"from_date": D(2017, 1, 1), "to_date": D(2017, 6, 30)}
		with patch.object(
			effectiveness, "snapshot_histories", wraps=effectiveness.snapshot_histories
		) as reads:
			stored = report_as_of(whole, AS_OF)
		reads.assert_called_once_with(D(2017, 4, 14), AS_OF, [self.c["C"]])
		self.assertEqual(stored, report_as_of(whole, AS_OF, stored=False))

	def test_a_later_enrolment_within_the_match_days_is_not_served_stale(self):
		from cs_success.health import band_outcomes

		# On 04-01, S1's 30 days have passed but not its 90 nor MATCH_DAYS (04-10): P's runs may still reach
		# customers around it, so nothing of P's is stored for S1, and no run's facts.
		band_outcomes.fill_due(on=D(2017, 4, 1))
		self.assertEqual(band_outcomes.stored_windows(S1, S1), {S1: {30}})
		self.assertFalse(frappe.db.exists("Play Band Outcome", {"start_day": S1}))
		self.assertIsNone(frappe.db.get_value("Play Run", self.run_of("A"), "effect_day"))
		# And so it does: P enrols X on 04-05, 85 days after S1. X leaves S1's comparison.
		self.add_run("X", datetime(2017, 4, 5, 10))
		on = D(2017, 4, 15)
		stored, full = (
			report_as_of({**JANUARY, "play": self.p}, on),
			report_as_of({**JANUARY, "play": self.p}, on, stored=False),
		)
		self.assertEqual(stored, full)
		(p,) = stored[1]
		# A's and B's comparison: Critical on S1 less A, B, V and now X: Y -15 and U +10, Y churned: -2.5
		# and 50 % at 30 days; at 90 days U +2 (Y none), Y churned: 2 and 50 %.
		self.assertEqual((p["comparison_health_change_30"], p["comparison_churn_rate_30"]), (-2.5, 50))
		self.assertEqual((p["comparison_health_change_90"], p["comparison_churn_rate_90"]), (2, 50))

		# On 04-15 S1 is final: the daily run stores it with X, and the report reads no snapshot for it.
		band_outcomes.fill_due(on=on)
		self.assertEqual(self.reached(self.p, S1, CRITICAL, 30)[0], 4)  # A, B, V, X
		with snapshot_queries() as seen:
			stored = report_as_of({**JANUARY, "play": self.p}, on)
		self.assertEqual(seen, [])
		self.assertEqual(stored, full)

	def test_a_run_deleted_or_moved_after_its_day_was_stored_is_not_served_stale(self):
		from cs_success.health import band_outcomes

		band_outcomes.fill_due(on=AS_OF)
		filters = {**JANUARY, "play": self.p}
		before = report_as_of(filters, AS_OF)
		# V's run of 2016-11-01 deleted: V is back in S1's comparison. The stored (P, S1) no longer matches
		# the runs there are: computed on the fly, the full computation's figures.
		frappe.db.delete("Play Run", {"name": self.run_of("V")})
		stored, full = report_as_of(filters, AS_OF), report_as_of(filters, AS_OF, stored=False)
		self.assertEqual(stored, full)
		self.assertNotEqual(stored, before)
		(p,) = stored[1]
		# X +10, Y -15, U +10, V +60: 65 / 4 = 16.25, shown 16.2; Y churned: 25 %.
		self.assertEqual((p["comparison_health_change_30"], p["comparison_churn_rate_30"]), (16.2, 25))
		# The next daily run replaces it (A and B alone now) and reads none of S1's snapshots for the report.
		band_outcomes.fill_due(on=AS_OF)
		self.assertEqual(self.reached(self.p, S1, CRITICAL, 30)[0], 2)
		with snapshot_queries() as seen:
			self.assertEqual(report_as_of(filters, AS_OF), full)
		self.assertEqual(seen, [])
		# A's run moved to Z, as a customer merge moves runs: its stored facts were A's, not used for Z.
		frappe.db.set_value("Play Run", self.run_of("A"), "customer", self.c["Z"], update_modified=False)
		self.assertEqual(report_as_of(filters, AS_OF), report_as_of(filters, AS_OF, stored=False))
		band_outcomes.fill_due(on=AS_OF)
		self.assertEqual(frappe.db.get_value("Play Run", self.run_of("Z"), "effect_customer"), self.c["Z"])
		with snapshot_queries() as seen:
			self.assertEqual(report_as_of(filters, AS_OF), report_as_of(filters, AS_OF, stored=False))
		# only the full computation's own read
		self.assertEqual(len(seen), 1)

	def test_forgetting_clears_the_plays_sums_and_the_runs_facts(self):
		from cs_success.health import band_outcomes

		band_outcomes.fill_due(on=AS_OF)
		self.assertTrue(frappe.db.exists("Play Band Outcome", {"start_day": S1}))
		band_outcomes.forget_snapshot_days(D(2017, 4, 1), D(2017, 4, 1))
		self.assertFalse(frappe.db.exists("Play Band Outcome", {"start_day": S1}))
		self.assertIsNone(frappe.db.get_value("Play Run", self.run_of("A"), "effect_day"))
		self.assertEqual(report_as_of(JANUARY, AS_OF), report_as_of(JANUARY, AS_OF, stored=False))
		band_outcomes.fill_due(on=AS_OF)
		self.assertEqual(frappe.db.get_value("Play Run", self.run_of("A"), "effect_day"), S1)
		band_outcomes.forget()
		self.assertEqual(frappe.db.count("Play Band Outcome"), 0)
		self.assertIsNone(frappe.db.get_value("Play Run", self.run_of("A"), "effect_day"))


class TestSnapshotHistoryIndex(FrappeTestCase):
	"""A customer's snapshot history is read from one covering index, and the (snapshot_date, kind) index that
	repeated `validation_index`'s first columns is gone (patches/snapshot_history_index.py)."""

	DOCTYPE = "Customer Health Snapshot"

	def test_the_history_index_covers_the_history_read(self):
		# health/snapshots.py daily_history reads customer, snapshot_date, score and band by customer and kind.
		self.assertEqual(
			index_columns(self.DOCTYPE, "customer_history_index"),
			["customer", "kind", "snapshot_date", "score", "band"],
		)
		self.assertEqual(index_columns(self.DOCTYPE, "snapshot_date_kind_index"), [])

	def test_the_patch_adds_the_history_index_drops_the_repeated_one_and_runs_twice(self):
		from cs_success.patches import snapshot_history_index

		# A site as it was before: the repeated index there, the history index not (migrate does not run
		# on_doctype_update for a doctype whose JSON is unchanged).
		frappe.db.sql_ddl(f"ALTER TABLE `tab{self.DOCTYPE}` DROP INDEX `customer_history_index`")
		frappe.db.sql_ddl(
			f"ALTER TABLE `tab{self.DOCTYPE}` ADD INDEX `snapshot_date_kind_index` (snapshot_date, kind)"
		)
		self.assertEqual(index_columns(self.DOCTYPE, "customer_history_index"), [])
		snapshot_history_index.execute()
		self.assertEqual(index_columns(self.DOCTYPE, "snapshot_date_kind_index"), [])
		self.assertEqual(
			index_columns(self.DOCTYPE, "customer_history_index"),
			["customer", "kind", "snapshot_date", "score", "band"],
		)
		snapshot_history_index.execute()
		self.assertEqual(index_columns(self.DOCTYPE, "customer_history_index")[0], "customer")

	def test_a_history_cut_by_the_server_is_an_error_not_a_shorter_history(self):
		from cs_success.health import snapshots

		customer = make_customer("CS-PE-HISTORY-CUT")
		self.addCleanup(frappe.db.rollback)
		now, user = frappe.utils.now_datetime(), frappe.session.user
		insert_rows(
			"Customer Health Snapshot",
			[*STANDARD, "customer", "snapshot_date", "kind", "score", "band"],
			[
				(
					frappe.generate_hash(length=20),
					now,
					now,
					user,
					user,
					0,
					customer,
					day,
					"Daily",
					score,
					band,
				)
				for day, score, band in [
					(date(2026, 3, 1), 72.5, "Healthy"),
					(date(2026, 3, 2), 0, "No Data"),  # the column is never null
					(date(2026, 3, 3), 40.0, "At Risk"),
				]
			],
		)
		history = dict(snapshots.daily_history(date(2026, 3, 1), date(2026, 3, 3), [customer]))
		self.assertEqual(
			history[customer],
			[
				(date(2026, 3, 1), 72.5, "Healthy"),
				(date(2026, 3, 2), 0.0, "No Data"),
				(date(2026, 3, 3), 40.0, "At Risk"),
			],
		)
		# Each entry is about 20 bytes ("739946 72.500000000 Healthy"): 30 bytes keep one and a piece.
		with patch.object(snapshots, "HISTORY_TEXT_LIMIT", 30), self.assertRaises(ValueError):
			list(snapshots.daily_history(date(2026, 3, 1), date(2026, 3, 3), [customer]))
