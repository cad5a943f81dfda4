"""Tier 2: the Score Validation report on planted histories (ledger rows and snapshots inserted directly).

Histories are placed in 2016, where no other test writes, and each test rolls back its rows."""

import json
import random
from datetime import date

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, add_months

from cs_success.base.bulk import insert_rows
from cs_success.cs_success.report.score_validation.score_validation import execute
from cs_success.engine.health_score import BAND_ORDER
from cs_success.ledger.snapshot_outcomes import refresh_snapshot_outcomes

DATES = [date(2016, month, 1) for month in range(1, 7)]
SPAN_START = date(2015, 1, 1)


def band_for(score: float) -> str:
	return BAND_ORDER[0] if score >= 75 else BAND_ORDER[1] if score >= 50 else BAND_ORDER[2]


def plant_history(
	customers: int, churners: int, score_for, seed: int = 1, dates=DATES, scorecard: str | None = None
) -> list[str]:
	"""`customers` active from 2015; `churners` of them churn 10-80 days after a random observation
	date. score_for(rng, will_churn_within_90_days) -> (score, {measure: score}) per snapshot."""
	rng = random.Random(seed)
	tag = frappe.generate_hash(length=6)
	names = [f"_CS Test VAL {tag} {i:04d}" for i in range(customers)]
	churn_on = {
		name: add_days(rng.choice(dates), rng.randint(10, 80)) for name in rng.sample(names, churners)
	}
	now, user = frappe.utils.now_datetime(), frappe.session.user
	base = (now, now, user, user, 0)
	standard = ["creation", "modified", "owner", "modified_by", "docstatus"]
	spans, events, snapshots = [], [], []
	for name in names:
		churned = churn_on.get(name)
		spans.append((frappe.generate_hash(length=20), *base, name, SPAN_START, churned))
		if churned:
			events.append((frappe.generate_hash(length=20), *base, name, churned, "Churned"))
		for day in dates:
			if churned and churned <= day:
				break
			soon = bool(churned and churned <= add_days(day, 90))
			# (score, {measure: score}) or, with the measures' raw values, (score, scores, {measure: raw})
			score, measures, *raw = score_for(rng, soon)
			raw = raw[0] if raw else {}
			snapshots.append(
				(
					frappe.generate_hash(length=20), *base, name, day, "Daily",
					round(score, 1), band_for(score), round(score, 1), 100,
					json.dumps({key: [raw.get(key), value, 0] for key, value in measures.items()}), scorecard,
				)
			)  # fmt: skip
	insert_rows("Customer Active Span", ["name", *standard, "customer", "from_date", "to_date"], spans)
	insert_rows(
		"Customer Lifecycle Event", ["name", *standard, "customer", "event_date", "event_type"], events
	)
	insert_rows(
		"Customer Health Snapshot",
		[
			"name", *standard, "customer", "snapshot_date", "kind", "score", "band", "computed_score",
			"data_coverage", "measure_scores", "scorecard",
		],
		snapshots,
	)  # fmt: skip
	# What followed each snapshot, from the ledger rows just planted (as a ledger rebuild would).
	refresh_snapshot_outcomes(names)
	return names


def planted(rng, soon):
	"""Churn follows open tickets: its measure scores low before churn; NPS is noise."""
	tickets = rng.uniform(0, 45) if soon else rng.uniform(40, 100)
	nps = rng.uniform(0, 100)
	return (tickets + nps) / 2, {"open_tickets": tickets, "account_nps": nps}


def noise(rng, soon):
	score = rng.uniform(0, 100)
	return score, {"open_tickets": rng.uniform(0, 100)}


def run_report(**filters):
	_columns, rows, message, _chart, summary = execute(
		{"horizon": 90, "from_date": DATES[0], "to_date": DATES[-1], **filters}
	)
	return rows, message, summary


class TestScoreValidationReport(FrappeTestCase):
	def tearDown(self):
		frappe.db.rollback()

	def section(self, rows, name):
		return [row for row in rows if row["section"] == name]

	def test_planted_churn_is_found(self):
		plant_history(150, 25, planted)
		rows, message, summary = run_report()
		overall = self.section(rows, "Overall")[0]
		self.assertGreater(overall["auc"], 0.8)
		self.assertTrue(rows[0]["item"].startswith("Predicts churn well (AUC 0."), rows[0]["item"])
		self.assertIn("at 90 days", rows[0]["item"])
		self.assertIn("Predicts churn well", message)
		self.assertEqual(summary[0]["indicator"], "Green")
		# Churn falls from the worst band to the best.
		bands = {row["item"]: row for row in self.section(rows, "Churn by band")}
		self.assertGreater(bands["Critical"]["churn_rate"], bands["Healthy"]["churn_rate"] or 0)
		self.assertEqual(sum(row["customers"] for row in bands.values()), overall["customers"])
		deciles = self.section(rows, "Score decile")
		self.assertEqual(len(deciles), 10)
		self.assertGreater(deciles[0]["churn_rate"], deciles[-1]["churn_rate"])
		# The planted measure predicts churn, the noise does not.
		measures = {row["item"]: row for row in self.section(rows, "Measure")}
		tickets = next(row for label, row in measures.items() if "Ticket" in label)
		self.assertGreater(tickets["auc"], 0.85)
		self.assertTrue(tickets["direction"].startswith("Predicts churn"))
		nps = next(row for label, row in measures.items() if "Ticket" not in label)
		self.assertLess(abs(nps["auc"] - 0.5), 0.15)
		by_label = {item["label"]: item for item in summary}
		self.assertIsNotNone(by_label["Precision of At Risk or worse"]["value"])
		self.assertGreater(by_label["Worst-decile lift"]["value"], 2)

	def test_random_churn_is_no_better_than_chance(self):
		plant_history(160, 30, noise, seed=7)
		rows, _message, summary = run_report()
		verdict = rows[0]["item"]
		self.assertTrue(verdict.startswith("No better than chance") or verdict.startswith("Weak"), verdict)
		self.assertLess(self.section(rows, "Overall")[0]["auc"], 0.7)
		self.assertNotEqual(summary[0].get("indicator"), "Green")

	def test_too_little_history(self):
		plant_history(60, 20, planted, seed=3)
		rows, _message, summary = run_report()
		self.assertRegex(
			rows[0]["item"],
			r"^Too little history to tell: 60 customers, \d+ churn events \(needs 100 and 10\)$",
		)
		self.assertIsNone(summary[0].get("indicator"))
		self.assertIsNone(summary[1].get("indicator"))

	def test_no_data_is_empty_not_zero(self):
		rows, _message, summary = run_report(from_date=date(2014, 1, 1), to_date=date(2014, 6, 1))
		self.assertEqual(len(rows), 1)
		self.assertTrue(rows[0]["item"].startswith("Too little history to tell: 0 customers"))
		by_label = {item["label"]: item for item in summary}
		for label in ("AUC at 90 days", "Worst-decile lift", "Precision of At Risk or worse", "Churn events"):
			self.assertIsNone(by_label[label]["value"], label)
			self.assertNotIn("indicator", by_label[label])

	def test_only_dates_whose_horizon_has_passed(self):
		today = frappe.utils.getdate()
		_rows, message, _summary = run_report(from_date=add_months(today, -2), to_date=today)
		self.assertIn("no observation date whose 90 days have passed", message)


class TestSnapshotMeasureScores(FrappeTestCase):
	def tearDown(self):
		frappe.db.rollback()

	def test_recompute_stores_breakdown_and_scorecard_version(self):
		from cs_success.health.recompute import recompute_customers
		from cs_success.health.score_validation import measure_scores
		from cs_success.tests.utils import make_customer, make_issue

		customer = make_customer("Validation")
		make_issue(customer)
		recompute_customers([customer], raise_alerts=False)
		health = frappe.db.get_value(
			"Customer Health", customer, ["scorecard", "contributions", "computed_score"], as_dict=True
		)
		snapshot = frappe.db.get_value(
			"Customer Health Snapshot",
			{"customer": customer, "kind": "Daily"},
			["scorecard", "scorecard_version", "is_backfilled", "measure_scores", "computed_score"],
			as_dict=True,
		)
		self.assertEqual(snapshot.scorecard, health.scorecard)
		self.assertEqual(
			snapshot.scorecard_version, frappe.db.get_value("Health Scorecard", health.scorecard, "version")
		)
		self.assertGreaterEqual(snapshot.scorecard_version, 1)
		self.assertEqual(snapshot.is_backfilled, 0)
		scores = measure_scores(snapshot.measure_scores)
		self.assertEqual(scores, measure_scores(health.contributions))
		self.assertEqual(scores["open_tickets"], 80.0)  # one open ticket: 0 -> 100, 5 -> 0


def one_measure_drives_churn(rng, soon):
	"""Only overdue invoices tell churn; the scorecard weighs mostly the two measures that do not."""
	overdue = rng.uniform(0, 40) if soon else rng.uniform(30, 100)
	measures = {
		"overdue_invoices": overdue,
		"account_nps": rng.uniform(0, 100),
		"touchpoints_90d": rng.uniform(0, 100),
	}
	score = (10 * overdue + 45 * measures["account_nps"] + 45 * measures["touchpoints_90d"]) / 100
	return score, measures


class TestSuggestedWeights(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		self.scorecard = (
			frappe.get_doc(
				{
					"doctype": "Health Scorecard",
					"scorecard_name": f"_CS Test Fit {frappe.generate_hash(length=5)}",
					"enabled": 0,  # never picked for scoring: the fit reads only its snapshots
					"measures": [
						{"measure": "overdue_invoices", "enabled": 1, "weight": 10, "scoring_method": "Linear", "score_100_at": 0, "score_0_at": 3},
						{"measure": "account_nps", "enabled": 1, "weight": 45, "scoring_method": "Linear", "score_100_at": 10, "score_0_at": 0},
						{"measure": "touchpoints_90d", "enabled": 1, "weight": 45, "scoring_method": "Linear", "score_100_at": 6, "score_0_at": 0},
						# No data in the history: no suggestion, and applying keeps its weight.
						{"measure": "usage", "enabled": 1, "weight": 20, "scoring_method": "Linear", "score_100_at": 80, "score_0_at": 10},
					],
				}
			)
			.insert(ignore_permissions=True)
			.name
		)  # fmt: skip
		plant_history(220, 40, one_measure_drives_churn, seed=11, scorecard=self.scorecard)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def call(self, method, **kwargs):
		from cs_success.api import validation

		return getattr(validation, method)(
			scorecard=self.scorecard, horizon=90, from_date=str(DATES[0]), to_date=str(DATES[-1]), **kwargs
		)

	def test_weight_concentrates_on_the_measure_that_predicts(self):
		suggestion = self.call("suggest_weights")
		self.assertIsNone(suggestion["reason"])
		self.assertEqual(suggestion["test_dates"], [str(day) for day in DATES[4:]])
		weights = {row["measure"]: row for row in suggestion["weights"]}
		self.assertGreater(weights["overdue_invoices"]["suggested"], 60)
		self.assertEqual(weights["overdue_invoices"]["current"], 10)
		self.assertEqual((weights["usage"]["current"], weights["usage"]["suggested"]), (20, None))
		self.assertGreaterEqual(suggestion["suggested_auc"], suggestion["current_auc"])
		self.assertGreater(suggestion["suggested_auc"], 0.8)
		# Each weight beside the measure's own AUC: only overdue invoices tell churners apart on their own,
		# the two measures churn does not depend on get no weight at all.
		self.assertTrue(weights["overdue_invoices"]["signal"])
		self.assertGreater(weights["overdue_invoices"]["auc"], 0.8)
		for measure in ("account_nps", "touchpoints_90d"):
			self.assertFalse(weights[measure]["signal"], measure)
			self.assertEqual(weights[measure]["suggested"], 0, measure)
		self.assertTrue(suggestion["offered"])
		# Suggesting changes nothing.
		self.assertEqual(frappe.db.get_value("Health Scorecard", self.scorecard, "version"), 1)

	def test_apply_makes_a_new_version_and_keeps_the_old(self):
		suggestion = self.call("suggest_weights")
		applied = self.call("apply_suggested_weights", expected_version=suggestion["version"])
		self.assertEqual(applied["version"], 2)
		doc = frappe.get_doc("Health Scorecard", self.scorecard)
		self.assertEqual(doc.version, 2)
		suggested = {row["measure"]: row["suggested"] for row in suggestion["weights"]}
		for row in doc.measures:
			expected = 20 if suggested[row.measure] is None else suggested[row.measure]
			self.assertAlmostEqual(row.weight, expected, places=1)
		versions = {
			row.version: row
			for row in frappe.get_all(
				"Health Scorecard Version",
				filters={"scorecard": self.scorecard},
				fields=["version", "source", "measures", "suggested_auc", "current_auc"],
			)
		}
		self.assertEqual(set(versions), {1, 2})
		self.assertEqual(versions[1].source, "Manual")
		self.assertEqual(versions[2].source, "Suggested Weights")
		old = {row["measure"]: row["weight"] for row in json.loads(versions[1].measures)}
		self.assertEqual(old, {"overdue_invoices": 10, "account_nps": 45, "touchpoints_90d": 45, "usage": 20})
		self.assertAlmostEqual(versions[2].suggested_auc, suggestion["suggested_auc"], places=3)
		# A stale suggestion is refused.
		self.assertRaises(frappe.ValidationError, self.call, "apply_suggested_weights", expected_version=1)

	def test_weights_no_better_than_the_current_are_not_offered(self):
		# Weigh overdue invoices alone, as the fit would: what it finds again is no better.
		doc = frappe.get_doc("Health Scorecard", self.scorecard)
		for row in doc.measures:
			row.weight = 100 if row.measure == "overdue_invoices" else 0
		doc.save()
		suggestion = self.call("suggest_weights")
		self.assertEqual(suggestion["reason"], "not_better")
		self.assertFalse(suggestion["offered"])
		self.assertIn("no better", suggestion["reason_text"])
		self.assertAlmostEqual(suggestion["suggested_auc"], suggestion["current_auc"], places=3)
		self.assertRaises(
			frappe.ValidationError, self.call, "apply_suggested_weights", expected_version=doc.version
		)

	def test_cs_manager_only(self):
		from cs_success.tests.utils import make_user

		frappe.set_user(make_user("CS Agent"))
		self.assertRaises(frappe.PermissionError, self.call, "suggest_weights")
		self.assertRaises(frappe.PermissionError, self.call, "apply_suggested_weights", expected_version=1)


class TestBackfill(FrappeTestCase):
	def tearDown(self):
		frappe.db.rollback()

	def test_monthly_snapshots_as_of_each_day(self):
		from frappe.utils import get_first_day, getdate, now_datetime

		from cs_success.health.backfill import backfill, backfill_dates
		from cs_success.health.score_validation import measure_scores
		from cs_success.tests.utils import make_customer, make_issue, make_sales_invoice, pay_invoice

		day0, day1, day2 = backfill_dates(3)
		self.assertEqual(day2, getdate(get_first_day(add_days(frappe.utils.today(), -1))))
		customer = make_customer("Backfill")
		now, user = now_datetime(), frappe.session.user
		insert_rows(
			"Customer Active Span",
			["name", "creation", "modified", "owner", "modified_by", "docstatus", "customer", "from_date"],
			[(frappe.generate_hash(length=20), now, now, user, user, 0, customer, add_days(day0, -200))],
		)
		# A ticket open on day1 only: opened 10 days before it, resolved 5 days after it.
		issue = make_issue(customer)
		frappe.db.set_value(
			"Issue",
			issue.name,
			{
				"opening_date": add_days(day1, -10),
				"status": "Closed",
				"sla_resolution_date": add_days(day1, 5),
			},
			update_modified=False,
		)
		# Billing as of each day: an invoice (a year of service, so the ledger keeps the customer active)
		# posted 20 days before day0, due 5 days before it, paid 3 days before day1.
		invoice = make_sales_invoice(
			customer,
			100,
			add_days(day0, -20),
			add_days(day0, -5),
			period=(add_days(day0, -20), add_days(day0, 345)),
		)
		pay_invoice(invoice.name, add_days(day1, -3))
		# Usage recorded 3 days before day1 exists on day1 and day2 (within 30 days), not on day0.
		frappe.get_doc(
			{"doctype": "Customer Usage Record", "customer": customer, "metric": "usage", "value": 45,
			 "recorded_on": f"{add_days(day1, -3)} 12:00:00"}
		).insert(ignore_permissions=True)  # fmt: skip
		# A snapshot recorded live on day2 is never overwritten.
		frappe.get_doc(
			{"doctype": "Customer Health Snapshot", "customer": customer, "snapshot_date": day2,
			 "kind": "Daily", "score": 12.3, "band": "Critical"}
		).insert(ignore_permissions=True)  # fmt: skip

		for _run in range(2):  # twice: the second run refreshes, it does not duplicate
			written = backfill(3)
		self.assertEqual(list(written), [day0, day1, day2])

		rows = {
			row.snapshot_date: row
			for row in frappe.get_all(
				"Customer Health Snapshot",
				filters={"customer": customer, "kind": "Daily"},
				fields=[
					"snapshot_date",
					"score",
					"is_backfilled",
					"measure_scores",
					"scorecard",
					"scorecard_version",
				],
			)
		}
		self.assertEqual(set(rows), {day0, day1, day2})
		self.assertEqual((rows[day2].score, rows[day2].is_backfilled), (12.3, 0))
		default = frappe.db.get_value(
			"Health Scorecard", {"is_default": 1}, ["name", "version"], as_dict=True
		)
		for day in (day0, day1):
			self.assertEqual(rows[day].is_backfilled, 1)
			self.assertEqual(
				(rows[day].scorecard, rows[day].scorecard_version), (default.name, default.version)
			)
		self.assertEqual(measure_scores(rows[day0].measure_scores)["open_tickets"], 100.0)
		self.assertEqual(measure_scores(rows[day1].measure_scores)["open_tickets"], 80.0)
		self.assertEqual(measure_scores(rows[day1].measure_scores)["renewal_standing"], 100.0)

		def raw(day, key):
			return json.loads(rows[day].measure_scores)[key][0]

		# day0: the invoice was overdue (unpaid, due 5 days before): 1 invoice, and all of it is
		# overdue against what was billed (100 %); not yet paid, so no lateness yet.
		self.assertEqual((raw(day0, "overdue_invoices"), raw(day0, "overdue_share")), (1.0, 100.0))
		self.assertIsNone(raw(day0, "avg_days_paid_late"))
		self.assertIsNone(raw(day0, "usage"))
		# day1: paid 3 days before it, (day1 - 3) - (day0 - 5) = days between the month starts + 2 late.
		self.assertEqual((raw(day1, "overdue_invoices"), raw(day1, "overdue_share")), (0.0, 0.0))
		self.assertEqual(raw(day1, "avg_days_paid_late"), (day1 - day0).days + 2)
		self.assertEqual(raw(day1, "usage"), 45.0)
		# Latest activity before day0 is the invoice, 20 days before it; before day1, the usage record.
		self.assertEqual(raw(day0, "days_since_activity"), 20.0)
		self.assertEqual(raw(day1, "days_since_activity"), 3.0)

		# The back-fill reads billing for several days at once: the same values as a day at a time, the
		# live day (nothing settled after it) among them. The payment after day0 is taken back on day0 only.
		from cs_success.health.measure_data import billing_measures, billing_measures_on

		live = getdate(frappe.utils.today())
		together = billing_measures_on([customer], [day1, live, day0])
		for day in (day0, day1, live):
			self.assertEqual(dict(together[day]), dict(billing_measures([customer], day)), day)
		self.assertEqual(together[day0][customer]["overdue_invoices"], 1.0)
		self.assertEqual(together[live][customer]["avg_days_paid_late"], (day1 - day0).days + 2)


class TestSnapshotOutcomes(FrappeTestCase):
	"""What followed a snapshot comes from the ledger and moves with it: recorded live, back-filled, and
	after the documents change."""

	def tearDown(self):
		frappe.db.rollback()

	def test_live_backfilled_and_rebuilt(self):
		from frappe.utils import get_first_day, getdate, today

		from cs_success.health.backfill import backfill, backfill_dates
		from cs_success.health.recompute import recompute_customers
		from cs_success.ledger.build import rebuild_customers
		from cs_success.tests.utils import make_customer, make_monthly_invoices, make_sales_invoice

		this_month = getdate(get_first_day(today()))
		start = getdate(add_months(this_month, -4))
		customer = make_customer("Outcome")
		# Monthly invoices for the four months before this one: active from `start` through the end of
		# last month, churned on this month's first day (no invoice for it).
		make_monthly_invoices(customer, 100, start, 4)
		rebuild_customers([customer])
		backfill(3, customers=[customer])
		recompute_customers([customer], raise_alerts=False)  # today's snapshot, recorded live

		def outcomes():
			return {
				row.snapshot_date: (row.active_in_ledger, row.churned_on, row.is_backfilled)
				for row in frappe.get_all(
					"Customer Health Snapshot",
					filters={"customer": customer, "kind": "Daily"},
					fields=["snapshot_date", "active_in_ledger", "churned_on", "is_backfilled"],
				)
			}

		# Back-filled: the month starts before this one among the last three (this month's own is back-filled
		# only after its first day, and it had churned by then: no snapshot). So two, and three on a
		# month's first day, when the three are the ones before it.
		month = [day for day in backfill_dates(3) if day < this_month]
		today_ = getdate(today())
		expected = {day: (1, this_month, 1) for day in month}
		# Today the customer has churned: the live snapshot is not an active customer's, nothing follows.
		expected[today_] = (0, None, 0)
		self.assertEqual(outcomes(), expected)

		# Two more invoices (this month and the next): the churn moves two months on, today is active again,
		# and every snapshot of the customer follows, live and back-filled alike.
		make_sales_invoice(
			customer,
			100,
			posting_date=this_month,
			period=(this_month, add_days(add_months(this_month, 1), -1)),
		)
		following = getdate(add_months(this_month, 1))
		make_sales_invoice(
			customer, 100, posting_date=following, period=(following, add_days(add_months(following, 1), -1))
		)
		rebuild_customers([customer])
		moved = getdate(add_months(this_month, 2))
		expected = {day: (1, moved, 1) for day in month}
		expected[today_] = (1, moved, 0)
		self.assertEqual(outcomes(), expected)


class TestScorecardVersions(FrappeTestCase):
	def tearDown(self):
		frappe.db.rollback()

	def test_changing_weights_is_a_new_version_and_the_old_one_is_kept(self):
		doc = frappe.get_doc(
			{
				"doctype": "Health Scorecard",
				"scorecard_name": f"_CS Test Versions {frappe.generate_hash(length=5)}",
				"enabled": 0,
				"measures": [
					{"measure": "open_tickets", "enabled": 1, "weight": 50, "scoring_method": "Linear", "score_100_at": 0, "score_0_at": 5},
					{"measure": "account_nps", "enabled": 1, "weight": 50, "scoring_method": "Linear", "score_100_at": 10, "score_0_at": 0},
				],
			}
		).insert(ignore_permissions=True)  # fmt: skip
		self.assertEqual(doc.version, 1)
		doc.description = "Only the description changes"
		doc.save(ignore_permissions=True)
		self.assertEqual(doc.version, 1)
		doc.measures[0].weight = 70
		doc.save(ignore_permissions=True)
		self.assertEqual(doc.version, 2)
		versions = frappe.get_all(
			"Health Scorecard Version",
			filters={"scorecard": doc.name},
			fields=["version", "source", "measures"],
			order_by="version",
		)
		self.assertEqual([(row.version, row.source) for row in versions], [(1, "Manual"), (2, "Manual")])
		self.assertEqual(
			[[row["weight"] for row in json.loads(version.measures)] for version in versions],
			[[50, 50], [70, 50]],
		)

	def test_report_runs_through_the_desk(self):
		from frappe.desk.query_report import run

		plant_history(120, 15, planted, seed=5)
		result = run(
			"Score Validation", {"horizon": "90", "from_date": str(DATES[0]), "to_date": str(DATES[-1])}
		)
		self.assertTrue(result["result"][0]["item"].startswith("Predicts churn well"))
		self.assertIn("Predicts churn well", result["message"])
