"""Tier 2, issue 23 (expansion): seat pressure raises the signal and one Opportunity with the amount and the
probability worked out by hand; a second evaluation makes no second one; an expansion after a won
opportunity is CS-sourced; the propensity finds seat pressure before upgrades (test AUC above 0.75) and
says so honestly when expansion is random; the endpoint checks who asks; names others typed are text."""

import json
import random
from datetime import date

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, getdate, today

from cs_success.base.bulk import insert_rows
from cs_success.growth.opportunities import create_expansion_opportunity, cs_sourced_expansion
from cs_success.growth.pipeline import EXPANSION_TYPE
from cs_success.growth.propensity import MODEL_DOCTYPE, fit
from cs_success.growth.signals import evaluate
from cs_success.tests.test_score_validation import DATES, plant_history
from cs_success.tests.utils import (
	company,
	make_customer,
	make_monthly_invoices,
	make_user,
	reset_health_queue,
	restrict_user,
	run_pending_recomputes,
)

SEATS_METRIC = "_cs_test_seats"
AS_OF = date(2016, 10, 1)


def item_group(label: str) -> str:
	name = f"_CS Test {label}"
	if not frappe.db.exists("Item Group", name):
		frappe.get_doc(
			{"doctype": "Item Group", "item_group_name": name, "parent_item_group": "All Item Groups"}
		).insert(ignore_permissions=True)
	return name


def item(code: str, group: str) -> str:
	if not frappe.db.exists("Item", code):
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": code,
				"item_name": code,
				"item_group": group,
				"stock_uom": "Nos",
				"is_stock_item": 0,
			}
		).insert(ignore_permissions=True)
	return code


def plan(name: str, item_code: str, cost: float, interval: str = "Month") -> str:
	if not frappe.db.exists("Subscription Plan", name):
		frappe.get_doc(
			{
				"doctype": "Subscription Plan",
				"plan_name": name,
				"item": item_code,
				"price_determination": "Fixed Rate",
				"cost": cost,
				"currency": frappe.get_cached_value("Company", company(), "default_currency"),
				"billing_interval": interval,
				"billing_interval_count": 1,
			}
		).insert(ignore_permissions=True)
	return name


def ladder() -> tuple[str, str]:
	"""Team at 300 a year a seat (25 a month), Pro at 40 a month a seat, in one item group."""
	group = item_group("SaaS Ladder")
	team = plan("_CS Test Team", item("_CS Test Team Seat", group), 300, "Year")
	pro = plan("_CS Test Pro", item("_CS Test Pro Seat", group), 40)
	return team, pro


def subscribe(customer: str, plan_name: str, qty: int) -> None:
	frappe.get_doc(
		{
			"doctype": "Subscription",
			"party_type": "Customer",
			"party": customer,
			"company": company(),
			"start_date": add_days(today(), -40),
			"plans": [{"plan": plan_name, "qty": qty}],
		}
	).insert(ignore_permissions=True)


def usage(customer: str, value: float, day=None, metric: str = SEATS_METRIC) -> None:
	frappe.get_doc(
		{
			"doctype": "Customer Usage Record",
			"customer": customer,
			"metric": metric,
			"value": value,
			"recorded_on": f"{day or today()} 09:00:00",
		}
	).insert(ignore_permissions=True)


def current_model(verdict: str, base_rate: float, intercept: float = 0.0) -> str:
	"""A stored propensity model: no features, so its probability is sigmoid(intercept) for everyone."""
	frappe.db.set_value(MODEL_DOCTYPE, {"is_current": 1}, "is_current", 0)
	return (
		frappe.get_doc(
			{
				"doctype": MODEL_DOCTYPE,
				"verdict": verdict,
				"is_current": 1,
				"base_rate": base_rate,
				"n_train": 1000,
				"auc": 0.8,
				"auc_low": 0.7,
				"auc_high": 0.9,
				"model": json.dumps({"intercept": intercept, "features": [], "coefficients": {}}),
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


class GrowthTestCase(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		reset_health_queue()
		frappe.db.set_single_value(
			"CS Settings", {"seat_usage_metric": SEATS_METRIC, "seat_pressure_share": 90}
		)
		frappe.clear_document_cache("CS Settings", "CS Settings")
		frappe.db.delete(MODEL_DOCTYPE)

	def tearDown(self):
		frappe.set_user("Administrator")
		frappe.db.rollback()
		frappe.clear_document_cache("CS Settings", "CS Settings")

	def seated_customer(self, used: float, seats: int = 10) -> str:
		team, _pro = ladder()
		customer = make_customer("Seats")
		subscribe(customer, team, seats)
		usage(customer, used)
		run_pending_recomputes()
		return customer


class TestSeatPressure(GrowthTestCase):
	def test_ninety_percent_of_seats_raises_the_signal_and_one_opportunity(self):
		# 9 of 10 seats: 90 %, at the threshold. Team is 300 a year = 25 a month a seat; the next plan up its
		# item group is Pro at 40: uplift (40 - 25) x 10 seats = 150 MRR, 1,800 a year.
		full = self.seated_customer(9)
		roomy = self.seated_customer(8)  # 80 %: no signal
		# An unusable model: no propensity shown; the opportunity takes its base rate, 12 %.
		current_model("No Better Than Chance", base_rate=12)
		self.assertEqual(evaluate([full, roomy]), 1)

		health = frappe.get_doc("Customer Health", full)
		self.assertEqual(health.has_expansion_signal, 1)
		[signal] = json.loads(health.expansion_signals)
		self.assertEqual((signal["kind"], signal["used"], signal["seats"]), ("seat_pressure", 9.0, 10.0))
		self.assertEqual(health.expansion_next_plan, "_CS Test Pro")
		self.assertEqual((health.has_expansion_uplift, health.expansion_uplift_mrr), (1, 150.0))
		self.assertEqual(health.has_expansion_propensity, 0)  # unknown, not 0
		self.assertEqual(frappe.db.get_value("Customer Health", roomy, "has_expansion_signal"), 0)

		name, created = create_expansion_opportunity(full)
		self.assertTrue(created)
		opportunity = frappe.get_doc("Opportunity", name)
		self.assertEqual((opportunity.opportunity_from, opportunity.party_name), ("Customer", full))
		self.assertEqual(opportunity.opportunity_type, EXPANSION_TYPE)
		self.assertEqual(opportunity.source, "Customer Success")
		self.assertEqual(opportunity.opportunity_amount, 1800.0)
		self.assertEqual(opportunity.probability, 12.0)  # never ERPNext's default of 100
		self.assertEqual(getdate(opportunity.expected_closing), getdate(add_days(today(), 90)))
		# The next plan's item for the seats, at a year of its price: 10 x 480.
		[line] = opportunity.items
		self.assertEqual((line.item_code, line.qty, line.rate), ("_CS Test Pro Seat", 10, 480.0))
		self.assertIn("9 of 10 seats in use (90%).", opportunity.notes[0].note)
		self.assertEqual(frappe.db.get_value("Customer Health", full, "expansion_opportunity"), name)

		# A second evaluation and a second click: still the one opportunity, now shown on the record.
		evaluate([full, roomy])
		self.assertEqual(create_expansion_opportunity(full), (name, False))
		self.assertEqual(
			frappe.db.count("Opportunity", {"party_name": full, "opportunity_type": EXPANSION_TYPE}), 1
		)
		self.assertEqual(frappe.db.get_value("Customer Health", full, "expansion_opportunity"), name)

	def test_a_usable_model_gives_the_propensity_and_the_probability(self):
		# Intercept only: log(1/3) -> sigmoid = 1 / (1 + 3) = 25 % for everyone.
		import math

		full = self.seated_customer(10)
		current_model("Usable", base_rate=12, intercept=math.log(1 / 3))
		evaluate([full])
		health = frappe.db.get_value(
			"Customer Health", full, ["has_expansion_propensity", "expansion_propensity"], as_dict=True
		)
		self.assertEqual((health.has_expansion_propensity, health.expansion_propensity), (1, 25.0))
		name, _created = create_expansion_opportunity(full)
		self.assertEqual(frappe.db.get_value("Opportunity", name, "probability"), 25.0)

	def test_no_signal_no_opportunity(self):
		roomy = self.seated_customer(3)
		evaluate([roomy])
		self.assertRaises(frappe.ValidationError, create_expansion_opportunity, roomy)

	def test_a_churned_customer_shows_no_signal(self):
		full = self.seated_customer(10)
		frappe.db.set_value("Customer Health", full, "band", "Churned", update_modified=False)
		self.assertEqual(evaluate([full]), 0)


class TestOtherSignals(GrowthTestCase):
	def test_white_space_from_peers_and_its_uplift(self):
		# Six customers in one segment. All buy SaaS; three of the five peers of `lagging` buy Storage
		# (60 %, above 30 %), paying 120, 240 and 600 a year for it: 10, 20 and 50 a month, median 20.
		group, territory = make_customer_group(), make_territory()
		saas, storage = item_group("WS SaaS"), item_group('WS Storage "A&B"')
		saas_item, storage_item = item("_CS Test WS SaaS", saas), item("_CS Test WS Storage", storage)
		customers = [make_customer("WS", customer_group=group, territory=territory) for _ in range(6)]
		lagging = customers[0]
		for customer in customers:
			make_sales_invoice_item(customer, saas_item, 100)
		for customer, yearly in zip(customers[1:4], (120, 240, 600), strict=True):
			make_sales_invoice_item(customer, storage_item, yearly)
		run_pending_recomputes()
		evaluate(customers)
		health = frappe.db.get_value(
			"Customer Health",
			lagging,
			["expansion_signals", "expansion_item_groups", "expansion_uplift_mrr", "has_expansion_uplift"],
			as_dict=True,
		)
		[signal] = json.loads(health.expansion_signals)
		self.assertEqual(
			(signal["kind"], signal["item_groups"], signal["peers"]), ("white_space", [storage], 5)
		)
		self.assertEqual(health.expansion_item_groups, storage)
		self.assertEqual((health.has_expansion_uplift, health.expansion_uplift_mrr), (1, 20.0))
		# A Storage buyer: its peers are the other five, of whom two buy Storage (40 %): nothing missing.
		self.assertEqual(frappe.db.get_value("Customer Health", customers[1], "has_expansion_signal"), 0)

		# The report shows the item group's name as text, escaped for the grid's HTML (Frappe refuses < and >
		# in names; quotes and ampersands it takes).
		from cs_success.cs_success.report.expansion_opportunities.expansion_opportunities import execute

		_columns, rows, _message, chart, _summary = execute({"company": company()})
		row = next(r for r in rows if r["customer"] == lagging)
		self.assertIn("WS Storage &quot;A&amp;B&quot;", row["signals"])
		self.assertIn("WS Storage &quot;A&amp;B&quot;", row["item_groups"])
		self.assertEqual((row["uplift_mrr"], row["uplift_arr"]), (20.0, 240.0))
		self.assertIsNone(row["propensity"])
		self.assertGreaterEqual(chart["data"]["datasets"][0]["values"][3], 1)  # White Space

	def test_promoter_only_from_the_decision_maker(self):
		from cs_success.tests.utils import make_contact

		promoter, bystander = make_customer("Promoter"), make_customer("Bystander")
		decision_maker = make_contact(promoter, is_primary_contact=1)
		frappe.db.set_value("Customer", promoter, "customer_primary_contact", decision_maker)
		someone = make_contact(bystander, is_primary_contact=0)
		run_pending_recomputes()
		for customer, contact in ((promoter, decision_maker), (bystander, someone)):
			frappe.get_doc(
				{
					"doctype": "Survey Response",
					"customer": customer,
					"contact": contact,
					"headline_type": "NPS",
					"headline_score": 10,
					"submitted_on": frappe.utils.now_datetime(),
				}
			).db_insert()
		self.assertEqual(evaluate([promoter, bystander]), 1)
		[signal] = json.loads(frappe.db.get_value("Customer Health", promoter, "expansion_signals"))
		self.assertEqual((signal["kind"], signal["score"]), ("promoter", 10))


def make_customer_group() -> str:
	from cs_success.tests.utils import make_customer_group as make

	return make("WS Group")


def make_territory() -> str:
	from cs_success.tests.utils import make_territory as make

	return make("WS Territory")


def make_sales_invoice_item(customer: str, item_code: str, amount: float):
	from cs_success.tests.utils import make_sales_invoice

	return make_sales_invoice(customer, amount, posting_date=add_days(today(), -20), item_code=item_code)


class TestCsSourcedExpansion(GrowthTestCase):
	def test_an_upgrade_after_a_won_opportunity_is_cs_sourced(self):
		from cs_success.ledger.build import rebuild_customers

		# Both pay 100 a month from six months ago; both upgrade to 250 for the last two months (+150 each).
		# Only `sourced` had an expansion opportunity, opened 70 days ago and won: 150 of 300 is CS-sourced.
		first = getdate(add_days(today(), -175)).replace(day=1)
		sourced, organic = make_customer("Sourced"), make_customer("Organic")
		for customer in (sourced, organic):
			make_monthly_invoices(customer, 100, str(first), 4)
			make_monthly_invoices(customer, 250, str(frappe.utils.add_months(first, 4)), 2)
		rebuild_customers([sourced, organic])
		run_pending_recomputes()
		frappe.db.set_value(
			"Customer Health",
			sourced,
			{"has_expansion_signal": 1, "expansion_signals": json.dumps([{"kind": "promoter", "score": 10}])},
		)
		current_model("No Better Than Chance", base_rate=5)
		name, _created = create_expansion_opportunity(sourced)
		frappe.db.set_value(
			"Opportunity", name, {"transaction_date": add_days(today(), -170), "status": "Converted"}
		)
		start, end = add_days(today(), -200), today()
		self.assertEqual(cs_sourced_expansion(start, end, company()), (150.0, 300.0))
		# Lost: the same upgrade is no longer credited to customer success.
		frappe.db.set_value("Opportunity", name, "status", "Lost")
		self.assertEqual(cs_sourced_expansion(start, end, company()), (0.0, 300.0))


class TestEndpoint(GrowthTestCase):
	def test_who_may_open_an_expansion_opportunity(self):
		from cs_success.api.growth import create_expansion_opportunity as endpoint

		full, other = self.seated_customer(10), self.seated_customer(10)
		current_model("No Better Than Chance", base_rate=5)
		evaluate([full, other])
		# A sales user without a CS role: refused, even though ERPNext lets them make Opportunities.
		frappe.set_user(make_user("Sales User"))
		self.assertRaises(frappe.PermissionError, endpoint, full)
		# A CS Agent restricted to another customer: refused on this one.
		agent = make_user("CS Agent")
		restrict_user(agent, "Customer", other)
		frappe.set_user(agent)
		self.assertRaises(frappe.PermissionError, endpoint, full)
		# On their own customer the grant install made lets them, and they see what they made.
		result = endpoint(other)
		self.assertTrue(result["created"])
		self.assertTrue(frappe.has_permission("Opportunity", "read", result["opportunity"]))
		frappe.set_user("Administrator")
		self.assertEqual(frappe.db.get_value("Opportunity", result["opportunity"], "owner"), agent)


class TestPropensity(GrowthTestCase):
	def plant(self, seat_pressure_precedes: bool, seed: int) -> None:
		"""400 customers with 10 seats from 2015; 120 expand 10-80 days after a random month start. Seats
		in use on each month start: 9-10 in the 90 days before an expansion when `seat_pressure_precedes`,
		else 2-10 at random."""
		rng = random.Random(seed)
		names = plant_history(400, 0, lambda rng, soon: (50.0, {"usage": rng.uniform(0, 100)}), seed=seed)
		team, _pro = ladder()
		expands = {n: add_days(rng.choice(DATES), rng.randint(10, 80)) for n in rng.sample(names, 120)}
		now, user = frappe.utils.now_datetime(), frappe.session.user
		base = (now, now, user, user, 0)
		subscriptions, plans, records, movements = [], [], [], []
		for name in names:
			sub = frappe.generate_hash(length=20)
			subscriptions.append((sub, *base, "Customer", name, company(), date(2015, 1, 1)))
			plans.append((frappe.generate_hash(length=20), *base, sub, "Subscription", "plans", 1, team, 10))
			for day in DATES:
				soon = name in expands and day < expands[name] <= add_days(day, 90)
				used = rng.randint(9, 10) if (soon and seat_pressure_precedes) else rng.randint(2, 10)
				records.append(
					(frappe.generate_hash(length=20), *base, name, SEATS_METRIC, used, f"{day} 08:00:00")
				)
			if name in expands:
				movements.append(
					(frappe.generate_hash(length=20), *base, name, company(), expands[name], "Expansion", 100)
				)
		standard = ["creation", "modified", "owner", "modified_by", "docstatus"]
		insert_rows(
			"Subscription", ["name", *standard, "party_type", "party", "company", "start_date"], subscriptions
		)
		insert_rows(
			"Subscription Plan Detail",
			["name", *standard, "parent", "parenttype", "parentfield", "idx", "plan", "qty"],
			plans,
		)
		insert_rows(
			"Customer Usage Record",
			["name", *standard, "customer", "metric", "value", "recorded_on"],
			records,
		)
		insert_rows(
			"MRR Movement",
			["name", *standard, "customer", "company", "movement_date", "movement_type", "amount"],
			movements,
		)

	def test_seat_pressure_before_upgrades_is_found(self):
		frappe.db.delete("Customer Health Snapshot")
		self.plant(seat_pressure_precedes=True, seed=5)
		model = frappe.get_doc(MODEL_DOCTYPE, fit(AS_OF))
		self.assertEqual(model.verdict, "Usable")
		self.assertGreater(model.auc, 0.75)
		self.assertGreater(model.auc_low, 0.5)
		features = [f["key"] for f in json.loads(model.model)["features"]]
		self.assertIn("seat_share", features)

	def test_random_expansion_gets_the_honest_verdict(self):
		frappe.db.delete("Customer Health Snapshot")
		self.plant(seat_pressure_precedes=False, seed=6)
		model = frappe.get_doc(MODEL_DOCTYPE, fit(AS_OF))
		self.assertIn(model.verdict, ("No Better Than Chance", "Too Little Data"))
		# And nobody shows a propensity from it.
		from cs_success.growth.propensity import propensities

		self.assertEqual(propensities([make_customer("Random")]), {})


class TestPlaysCockpitAndCards(GrowthTestCase):
	def test_a_play_opens_the_opportunity_for_its_owner_once(self):
		from cs_success.playbooks.evaluation import run_daily
		from cs_success.tests.utils import make_play

		manager = make_user("CS Manager")
		full, roomy = self.seated_customer(9), self.seated_customer(2)
		current_model("No Better Than Chance", base_rate=5)
		evaluate([full, roomy])
		play = make_play(
			"Expansion Signal",
			owner_user=manager,
			re_enrolment="Never",
			actions=[{"action_type": "Expansion Opportunity"}],
		)
		run_daily()
		runs = frappe.get_all("Play Run", filters={"play": play.name}, fields=["customer", "reason"])
		self.assertEqual([r.customer for r in runs], [full])
		self.assertIn("seats nearly full", runs[0].reason)
		opportunity = frappe.get_doc("Opportunity", {"party_name": full, "opportunity_type": EXPANSION_TYPE})
		# Made by the play's job (as Administrator) on behalf of the run's owner.
		self.assertEqual((opportunity.owner, opportunity.opportunity_owner), (manager, manager))
		self.assertEqual(opportunity.probability, 5.0)
		# The customer now has its opportunity: the trigger no longer finds it, and nothing doubles.
		evaluate([full, roomy])
		run_daily()
		self.assertEqual(frappe.db.count("Play Run", {"play": play.name}), 1)
		self.assertEqual(frappe.db.count("Opportunity", {"party_name": full}), 1)

	def test_cockpit_and_cards(self):
		from cs_success.api.cockpit import get_cockpit
		from cs_success.api.dashboard import cs_sourced_expansion_this_quarter, open_expansion_pipeline

		manager = make_user("CS Manager", "Accounts User")
		full = self.seated_customer(9)
		frappe.db.set_value("Customer", full, "account_manager", manager)
		current_model("No Better Than Chance", base_rate=5)
		evaluate([full])
		frappe.set_user(manager)
		# No expansion opportunity on the site yet: the pipeline card shows "-", not 0.
		frappe.db.delete("Opportunity", {"opportunity_type": EXPANSION_TYPE})
		self.assertEqual(open_expansion_pipeline(), "-")
		[row] = get_cockpit()["expansion"]
		self.assertEqual(row["customer"], full)
		self.assertEqual(row["signals"], ["9 of 10 seats in use (90%)."])
		self.assertIsNone(row["propensity"])  # no usable model: unknown, not 0
		self.assertEqual(row["uplift_mrr"], 150.0)
		self.assertIsNone(row["opportunity"])
		name, _created = create_expansion_opportunity(full)
		self.assertEqual(get_cockpit()["expansion"][0]["opportunity"], name)
		self.assertIn("1,800", open_expansion_pipeline())
		# No Expansion movement this quarter in this ledger: "-", not 0.
		frappe.db.delete("MRR Movement", {"movement_type": "Expansion"})
		self.assertEqual(cs_sourced_expansion_this_quarter(), "-")


class TestNpsBenchmark(GrowthTestCase):
	def test_campaign_nps_beside_the_benchmark_of_its_answers_groups(self):
		"""Parent group P has a benchmark of 30, its child C none of its own (so 30), group D -10, group N
		none. Answers: C 10, C 9, D 0, N 10. NPS = (3 promoters - 1 detractor) / 4 = 50. The benchmark counts
		the answers with one: (30 + 30 - 10) / 3 = 16.7; NPS vs benchmark = 33.3."""
		from cs_success.cs_success.report.survey_campaign_performance.survey_campaign_performance import (
			execute,
		)
		from cs_success.tests.utils import make_campaign

		parent = frappe.get_doc(
			{
				"doctype": "Customer Group",
				"customer_group_name": f"_CS Bench P {frappe.generate_hash(length=5)}",
				"parent_customer_group": "All Customer Groups",
				"is_group": 1,
			}
		).insert(ignore_permissions=True)
		child = frappe.get_doc(
			{
				"doctype": "Customer Group",
				"customer_group_name": f"_CS Bench C {frappe.generate_hash(length=5)}",
				"parent_customer_group": parent.name,
			}
		).insert(ignore_permissions=True)
		from cs_success.tests.utils import make_customer_group as group_named

		other, none = group_named("Bench D"), group_named("Bench N")
		settings = frappe.get_doc("CS Settings")
		settings.set("nps_benchmarks", [])
		settings.append("nps_benchmarks", {"customer_group": parent.name, "benchmark_nps": 30})
		settings.append("nps_benchmarks", {"customer_group": other, "benchmark_nps": -10})
		settings.save()
		campaign = make_campaign(customer_group=child.name)
		for group, score in ((child.name, 10), (child.name, 9), (other, 0), (none, 10)):
			frappe.get_doc(
				{
					"doctype": "Survey Response",
					"customer": make_customer("Bench", customer_group=group),
					"campaign": campaign.name,
					"headline_type": "NPS",
					"headline_score": score,
					"submitted_on": frappe.utils.now_datetime(),
				}
			).db_insert()
		_columns, rows, _message, _chart, _summary = execute({})
		row = next(r for r in rows if r["campaign"] == campaign.name)
		self.assertEqual(row["nps"], 50)
		self.assertAlmostEqual(row["nps_benchmark"], 50 / 3)
		self.assertAlmostEqual(row["nps_vs_benchmark"], 50 - 50 / 3)
		# A benchmark out of range is refused with the row named.
		settings.append("nps_benchmarks", {"customer_group": none, "benchmark_nps": 150})
		self.assertRaises(frappe.ValidationError, settings.save)

	def test_no_benchmark_is_empty_not_zero(self):
		from cs_success.api.dashboard import nps_vs_benchmark_last_90_days

		settings = frappe.get_doc("CS Settings")
		settings.set("nps_benchmarks", [])
		settings.save()
		self.assertEqual(nps_vs_benchmark_last_90_days(), "-")


class TestHostDocumentsStayFree(GrowthTestCase):
	def test_sales_may_delete_the_opportunity_and_the_plan_we_point_at(self):
		full = self.seated_customer(9)
		current_model("No Better Than Chance", base_rate=5)
		evaluate([full])
		name, _created = create_expansion_opportunity(full)
		# The health record names the opportunity and the next plan as text, not links: no link check holds
		# the Opportunity (or the plan) back from deletion.
		frappe.delete_doc("Opportunity", name)
		evaluate([full])
		self.assertFalse(frappe.db.get_value("Customer Health", full, "expansion_opportunity"))
		self.assertEqual(frappe.db.get_value("Customer Health", full, "expansion_next_plan"), "_CS Test Pro")
		frappe.delete_doc("Subscription Plan", "_CS Test Pro")

	def test_a_customer_with_advocacy_asks_can_be_deleted(self):
		from cs_success.tests.utils import make_advocacy_ask

		advocate, referred = make_customer("Advocate"), make_customer("Referred")
		run_pending_recomputes()
		ask = make_advocacy_ask(advocate, ask_type="Referral", status="Done", referred_customer=referred)
		own = make_advocacy_ask(referred)
		frappe.delete_doc("Customer", referred)
		# Its own ask went with it (a Deleted Document keeps a copy); the advocate's referral stays, unnamed.
		self.assertFalse(frappe.db.exists("Advocacy Ask", own))
		self.assertTrue(
			frappe.db.exists("Deleted Document", {"deleted_doctype": "Advocacy Ask", "deleted_name": own})
		)
		self.assertIsNone(frappe.db.get_value("Advocacy Ask", ask, "referred_customer"))
