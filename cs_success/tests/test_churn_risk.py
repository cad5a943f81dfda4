"""Tier 2, issue 22: churn risk learned from a planted history. Where low usage precedes churn the model finds
it (test AUC above 0.75), customers get a probability and their driver in words; where churn is random the
model says it is no better than chance and no customer shows a probability. A CS Manager, and only one,
may refit."""

from datetime import date
from unittest.mock import patch

import frappe
from frappe.tests.utils import FrappeTestCase

from cs_success.risk.model import current_models, fit
from cs_success.risk.scoring import score_customers
from cs_success.tests.test_score_validation import plant_history
from cs_success.tests.utils import make_customer, make_user, reset_health_queue, run_pending_recomputes

# The planted history's month starts are in the first half of 2016: by October every 90 days have passed.
AS_OF = date(2016, 10, 1)


def usage_drives_churn(rng, soon):
	"""Messages sent in the month: few before a churn; NPS is noise. (score, scores, raw values)"""
	messages = rng.randint(0, 6) if soon else rng.randint(4, 80)
	nps = rng.uniform(-100, 100)
	raw = {"usage": float(messages), "account_nps": nps}
	return 50.0, {"usage": min(100.0, messages), "account_nps": (nps + 100) / 2}, raw


def random_churn(rng, soon):
	messages = rng.randint(0, 80)
	return 50.0, {"usage": float(messages)}, {"usage": float(messages)}


def pay(customers, mrr: float, until: dict | None = None) -> None:
	"""MRR at the default company from 2015 (when the planted customers began) to `until` (a churn)."""
	from cs_success.tests.utils import company, ledger_rows

	ledger_rows(
		"MRR Interval",
		["customer", "company", "from_date", "to_date", "mrr"],
		[(c, company(), date(2015, 1, 1), (until or {}).get(c), mrr) for c in customers],
	)


def pay_until_churn(customers, mrr: float = 100) -> dict:
	"""The planted customers pay `mrr` a month until their churn (the interval's last day is the day before
	it). Returns customer -> churn date."""
	churns = dict(
		frappe.get_all(
			"Customer Lifecycle Event",
			filters={"customer": ("in", customers), "event_type": "Churned"},
			fields=["customer", "event_date"],
			as_list=True,
		)
	)
	pay(customers, mrr, {c: frappe.utils.add_days(d, -1) for c, d in churns.items()})
	return churns


class ChurnRiskTestCase(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()
		# Only the planted history: this transaction forgets every other snapshot and model (rolled back).
		frappe.db.delete("Customer Health Snapshot")
		frappe.db.delete("Churn Risk Model")

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()

	def customer_with(self, raw: dict) -> str:
		customer = make_customer("Risk")
		run_pending_recomputes()
		frappe.db.set_value(
			"Customer Health",
			customer,
			"contributions",
			frappe.as_json({key: [value, 50, 0] for key, value in raw.items()}),
			update_modified=False,
		)
		return customer


class TestPlantedUsage(ChurnRiskTestCase):
	def test_the_model_finds_usage_and_customers_show_it(self):
		plant_history(400, 120, usage_drives_churn, seed=3)
		name = fit(90, AS_OF)
		model = frappe.get_doc("Churn Risk Model", name)
		self.assertEqual(model.verdict, "Usable")
		self.assertEqual(model.is_current, 1)
		self.assertGreater(model.auc, 0.75)
		self.assertGreater(model.auc_low, 0.5)
		self.assertLess(model.brier, model.brier_base_rate)
		# 6 month starts: 4 train (Jan-Apr), 2 test (May, Jun)
		self.assertEqual((str(model.train_to), str(model.test_from)), ("2016-04-01", "2016-05-01"))
		calibration = frappe.parse_json(model.calibration)
		self.assertEqual(len(calibration), 10)
		self.assertEqual(sum(b["observations"] for b in calibration), model.n_test)

		light, heavy = self.customer_with({"usage": 1, "account_nps": 0}), self.customer_with({"usage": 60})
		self.assertEqual(score_customers([light, heavy], AS_OF), 2)
		risk = {
			c: frappe.db.get_value(
				"Customer Health",
				c,
				["has_churn_risk_90", "churn_risk_90", "churn_risk_drivers"],
				as_dict=True,
			)
			for c in (light, heavy)
		}
		self.assertEqual(risk[light].has_churn_risk_90, 1)
		self.assertGreater(risk[light].churn_risk_90, 2 * risk[heavy].churn_risk_90)
		(first, *_rest) = frappe.parse_json(risk[light].churn_risk_drivers)
		self.assertEqual((first["measure"], first["kind"]), ("usage", "lower"))
		self.assertGreater(first["percent"], 50)
		# No 30-day model was fitted: that risk is unknown, not 0.
		self.assertEqual(frappe.db.get_value("Customer Health", light, "has_churn_risk_30"), 0)
		# The badges (Desk and Helpdesk) get the 90-day risk; a customer nobody scored gets None.
		from cs_success.api.health import get_customer_health

		self.assertEqual(get_customer_health(light)["churn_risk"], risk[light].churn_risk_90)
		unscored = make_customer("Risk Unscored")
		frappe.db.delete("Customer Health", {"name": unscored})
		self.assertIsNone(get_customer_health(unscored)["churn_risk"])

	def test_the_report_shows_calibration_beside_what_happened(self):
		from cs_success.cs_success.report.churn_risk.churn_risk import execute

		plant_history(400, 120, usage_drives_churn, seed=3)
		model = frappe.get_doc("Churn Risk Model", fit(90, AS_OF))
		_columns, rows, message, chart, summary = execute({"horizon": "90"})
		self.assertIn("Usable", message)
		self.assertEqual(len(rows), 10)
		calibration = frappe.parse_json(model.calibration)
		for row, stored in zip(rows, calibration, strict=True):
			self.assertAlmostEqual(row["observed"], 100 * stored["observed"])
			self.assertAlmostEqual(row["difference"], 100 * (stored["mean_predicted"] - stored["observed"]))
		# Sorted by predicted risk: the riskiest decile churns more than the safest.
		self.assertGreater(rows[-1]["observed"], rows[0]["observed"])
		self.assertEqual(len(chart["data"]["datasets"]), 2)
		by_label = {item["label"]: item for item in summary}
		self.assertAlmostEqual(by_label["AUC (Test Dates)"]["value"], model.auc)
		self.assertEqual(by_label["Verdict"]["indicator"], "Green")
		# No 30-day model: the report says so rather than showing zeros.
		_columns, rows, message, *_rest = execute({"horizon": "30"})
		self.assertEqual(rows, [])
		self.assertIn("No churn risk model yet", message)

	def test_every_recompute_scores_the_risk_of_its_batch(self):
		"""The pipeline tells the risk scorer of each batch it scores (hooks.py cs_success_customers_scored)."""
		plant_history(400, 120, usage_drives_churn, seed=3)
		fit(90, AS_OF)
		customer = make_customer("Risk Pipeline")
		run_pending_recomputes()  # the drain: ledger, health, then the listeners
		self.assertEqual(frappe.db.get_value("Customer Health", customer, "has_churn_risk_90"), 1)
		# Without a usable model the next recompute takes the risk back to unknown.
		frappe.db.set_value("Churn Risk Model", {"is_current": 1}, "verdict", "No Better Than Chance")
		frappe.get_doc({"doctype": "Issue", "subject": "_CS risk", "customer": customer}).insert(
			ignore_permissions=True
		)
		run_pending_recomputes()
		self.assertEqual(frappe.db.get_value("Customer Health", customer, "has_churn_risk_90"), 0)

	def test_a_refit_replaces_the_current_model(self):
		plant_history(400, 120, usage_drives_churn, seed=3)
		first, second = fit(90, AS_OF), fit(90, AS_OF)
		self.assertEqual(frappe.db.get_value("Churn Risk Model", first, "is_current"), 0)
		self.assertEqual(frappe.db.get_value("Churn Risk Model", second, "is_current"), 1)
		self.assertEqual(list(current_models()), [90])


class TestRandomChurn(ChurnRiskTestCase):
	def test_no_better_than_chance_and_no_probability(self):
		plant_history(400, 120, random_churn, seed=5)
		name = fit(90, AS_OF)
		model = frappe.get_doc("Churn Risk Model", name)
		self.assertEqual(model.verdict, "No Better Than Chance")
		self.assertLessEqual(model.auc_low, 0.5)
		self.assertEqual(current_models(), {})
		from cs_success.cs_success.report.churn_risk.churn_risk import execute

		_columns, _rows, message, _chart, summary = execute({"horizon": "90"})
		self.assertIn("No better than chance", message)
		self.assertEqual({item["label"]: item for item in summary}["Verdict"]["indicator"], "Red")
		customer = self.customer_with({"usage": 1})
		self.assertEqual(score_customers([customer], AS_OF), 0)
		row = frappe.db.get_value(
			"Customer Health",
			customer,
			["has_churn_risk_30", "has_churn_risk_90", "churn_risk_drivers"],
			as_dict=True,
		)
		self.assertEqual((row.has_churn_risk_30, row.has_churn_risk_90, row.churn_risk_drivers), (0, 0, None))


class TestWithoutAModel(ChurnRiskTestCase):
	def test_only_a_risk_still_shown_is_cleared(self):
		"""Without a usable model a recompute takes a shown risk back to unknown, and a batch that shows
		none writes nothing for the risk (the listener reads what is shown from the rows scored)."""
		from cs_success.health.recompute import recompute_customers

		customer = make_customer("Risk Unknown")
		run_pending_recomputes()
		clears = []
		sql = frappe.db.sql

		def counting(query, *args, **kwargs):
			if "SET has_churn_risk_30 = 0" in str(query):
				clears.append(query)
			return sql(query, *args, **kwargs)

		with patch.object(frappe.db, "sql", counting):
			recompute_customers([customer])
		self.assertEqual(clears, [])
		# A risk left from a model since retired: shown, so the next recompute clears it.
		frappe.db.set_value(
			"Customer Health",
			customer,
			{"has_churn_risk_90": 1, "churn_risk_90": 42.0},
			update_modified=False,
		)
		with patch.object(frappe.db, "sql", counting):
			recompute_customers([customer])
		self.assertEqual(len(clears), 1)
		row = frappe.db.get_value(
			"Customer Health", customer, ["has_churn_risk_90", "churn_risk_90"], as_dict=True
		)
		self.assertEqual((row.has_churn_risk_90, row.churn_risk_90), (0, 0))


class TestRevenueForecast(ChurnRiskTestCase):
	def test_the_back_test_compares_each_month_starts_forecast_with_what_stayed(self):
		from cs_success.cs_success.report.revenue_forecast.revenue_forecast import execute

		names = plant_history(400, 120, usage_drives_churn, seed=3)
		churns = pay_until_churn(names, 100)
		fit(90, AS_OF)
		_columns, rows, message, _chart, summary = execute({"view": "Back-Test", "horizon": "90"})
		self.assertIn("known by then", message)
		# A month start's outcome is known on D when its 90 days ended before D. 2016 is a leap year: Jan 1 +
		# 90 days = Mar 31, before Apr 1, so April's forecast learns from January; Feb 1 + 90 = May 1, not
		# before May 1, so May's still from January alone; June's from January to March (Mar 1 + 90 = May 30).
		# February and March know nothing yet and are left out.
		self.assertEqual([str(row["day"]) for row in rows], ["2016-04-01", "2016-05-01", "2016-06-01"])
		january = frappe.db.count("Customer Health Snapshot", {"snapshot_date": date(2016, 1, 1)})
		self.assertEqual(rows[0]["train_observations"], january)
		self.assertEqual(rows[1]["train_observations"], january)
		for row in rows:
			day = frappe.utils.getdate(row["day"])
			observed = frappe.get_all(
				"Customer Health Snapshot",
				filters={"snapshot_date": day, "customer": ("in", names)},
				pluck="customer",
			)
			horizon_end = frappe.utils.add_days(day, 90)
			# by hand: 100 for every customer observed that day whose churn did not fall within 90 days
			stayed = 100.0 * sum(1 for c in observed if not (c in churns and day < churns[c] <= horizon_end))
			self.assertEqual(row["observations"], len(observed))
			self.assertAlmostEqual(row["mrr"], 100.0 * len(observed))
			self.assertAlmostEqual(row["retained"], stayed)
			# The ledger agrees: their MRR 90 days later is what stayed.
			self.assertAlmostEqual(row["ledger_mrr_after"], stayed)
			self.assertAlmostEqual(row["error"], row["forecast"] - row["retained"])
			self.assertLess(abs(row["error_percent"]), 10)
		self.assertIsNotNone(summary[0]["value"])

	def test_the_forecast_is_mrr_times_the_chance_of_staying(self):
		from cs_success.cs_success.report.revenue_forecast.revenue_forecast import execute
		from cs_success.tests.utils import make_customer_group

		plant_history(400, 120, usage_drives_churn, seed=3)
		fit(90, AS_OF)
		group = make_customer_group("Forecast")
		low, high, unknown = (make_customer(f"Forecast {i}", customer_group=group) for i in range(3))
		run_pending_recomputes()
		for customer, mrr, risk, known in ((low, 100, 20.0, 1), (high, 300, 50.0, 1), (unknown, 50, 0, 0)):
			pay([customer], mrr)
			frappe.db.set_value(
				"Customer Health",
				customer,
				{"has_churn_risk_90": known, "churn_risk_90": risk},
				update_modified=False,
			)
		_columns, rows, _message, _chart, summary = execute(
			{"view": "Forecast", "horizon": "90", "customer_group": group}
		)
		(row,) = rows
		# 100 x (1 - 0.20) + 300 x (1 - 0.50) = 80 + 150 = 230 of the 400 with a known risk; 50 unknown
		self.assertEqual((row["customers"], row["mrr"]), (3, 450))
		self.assertAlmostEqual(row["expected_mrr"], 230)
		self.assertAlmostEqual(row["expected_loss"], 170)
		self.assertAlmostEqual(row["expected_loss_rate"], 42.5)
		self.assertEqual(row["unknown_mrr"], 50)
		self.assertAlmostEqual(summary[1]["value"], 230)

	def test_the_back_test_is_for_users_who_see_every_customer(self):
		from frappe.permissions import add_user_permission

		from cs_success.cs_success.report.revenue_forecast.revenue_forecast import execute

		plant_history(400, 120, usage_drives_churn, seed=3)
		fit(90, AS_OF)
		user = make_user("CS Manager", "Accounts User")
		add_user_permission("Customer", make_customer("Risk Allowed"), user)
		frappe.set_user(user)
		self.assertRaises(frappe.PermissionError, execute, {"view": "Back-Test", "horizon": "90"})

	def test_no_usable_model_no_forecast_and_revenue_needs_invoices(self):
		from cs_success.cs_success.report.revenue_forecast.revenue_forecast import execute

		_columns, rows, message, *_rest = execute({"view": "Forecast", "horizon": "90"})
		self.assertEqual(rows, [])
		self.assertIn("No forecast", message)
		frappe.set_user(make_user("CS Agent"))
		self.assertRaises(frappe.PermissionError, execute, {"view": "Forecast", "horizon": "90"})


class TestAtRiskByChurnRisk(ChurnRiskTestCase):
	def test_sorted_by_risk_with_unknown_last_and_empty(self):
		from cs_success.cs_success.report.at_risk_customers.at_risk_customers import execute
		from cs_success.tests.utils import make_customer_group

		group = make_customer_group("At Risk by Risk")
		a, b, c = (make_customer(f"Sort {i}", customer_group=group) for i in range(3))
		run_pending_recomputes()
		for customer, score, risk, known in ((a, 30, 20.0, 1), (b, 45, 65.0, 1), (c, 10, 0, 0)):
			frappe.db.set_value(
				"Customer Health",
				customer,
				{"band": "At Risk", "score": score, "has_churn_risk_90": known, "churn_risk_90": risk},
				update_modified=False,
			)
		_columns, by_score, *_ = execute({"customer_group": group})
		self.assertEqual([r["customer"] for r in by_score], [c, a, b])  # worst score first
		_columns, by_risk, *_ = execute({"customer_group": group, "sort_by": "Churn Risk"})
		self.assertEqual([r["customer"] for r in by_risk], [b, a, c])  # 65 %, 20 %, unknown last
		self.assertEqual([r["churn_risk_90"] for r in by_risk], [65.0, 20.0, None])


class TestChurnRiskTrigger(ChurnRiskTestCase):
	def test_a_play_starts_for_risks_at_or_above_its_percent_only(self):
		from cs_success.playbooks.evaluation import run_daily
		from cs_success.tests.utils import make_play

		high, edge, low, unknown = (
			make_customer(f"Risk {label}") for label in ("High", "Edge", "Low", "Unknown")
		)
		run_pending_recomputes()
		for customer, risk, known in ((high, 72.5, 1), (edge, 50.0, 1), (low, 49.9, 1), (unknown, 90.0, 0)):
			frappe.db.set_value(
				"Customer Health",
				customer,
				{"has_churn_risk_90": known, "churn_risk_90": risk},
				update_modified=False,
			)
		play = make_play("Churn Risk Above", percent=50)
		run_daily()
		runs = dict(
			frappe.get_all(
				"Play Run", filters={"play": play.name}, fields=["customer", "reason"], as_list=True
			)
		)
		# 50.0 is at the threshold; 49.9 is below; a risk nobody knows (the stored 90 is not a risk) is never found.
		self.assertEqual(set(runs), {high, edge})
		self.assertIn("72.5%", runs[high])

	def test_the_trigger_needs_its_percent(self):
		from cs_success.cs_success.doctype.play.play import PlayConfigurationError
		from cs_success.tests.utils import make_play

		self.assertRaises(PlayConfigurationError, make_play, "Churn Risk Above")


class TestTooLittleData(ChurnRiskTestCase):
	def test_nobody_churned_on_the_test_dates_shows_no_auc(self):
		from cs_success.cs_success.report.churn_risk.churn_risk import execute

		plant_history(400, 120, usage_drives_churn, seed=3)
		model = frappe.get_doc("Churn Risk Model", fit(90, AS_OF))
		model.db_set({"verdict": "Too Little Data", "events_test": 0, "auc": 0, "lift": 0})
		_columns, _rows, message, _chart, summary = execute({"horizon": "90"})
		self.assertIn("Too little history", message)
		by_label = {item["label"]: item for item in summary}
		self.assertIsNone(by_label["AUC (Test Dates)"]["value"])  # not the 0 stored
		self.assertIsNone(by_label["Lift of the Riskiest Decile"]["value"])
		self.assertEqual(by_label["Verdict"]["indicator"], "Grey")


class TestRefitPermission(ChurnRiskTestCase):
	def test_only_a_cs_manager_may_refit(self):
		from cs_success.api.risk import refit

		frappe.set_user(make_user("CS Agent"))
		self.assertRaises(frappe.PermissionError, refit)
		frappe.set_user(make_user("CS Manager"))
		refit()  # runs at once in tests: no history here, so no model
		self.assertEqual(frappe.db.count("Churn Risk Model"), 0)
