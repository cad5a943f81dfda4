"""Tier 2: the benchmark suite leaves a site's models as it found them. Benchmarks 7 and 8 fit churn risk and
expansion models on their BENCH- data, and each fit makes its model current. Before, a run left those fitted
models current after deleting the data they were fitted on, and benchmark 7 deleted every Churn Risk Model
of the site, its own included (a run with --force is on a site with its own)."""

import frappe
from frappe.tests.utils import FrappeTestCase

from cs_success.benchmarks.data import MODEL_DOCTYPES, restore_site_models, site_models


def model(doctype: str, current: bool, horizon: int = 90) -> str:
	doc = frappe.get_doc({"doctype": doctype, "is_current": int(current), "verdict": "Usable"})
	if doctype == "Churn Risk Model":
		doc.horizon_days = horizon
	doc.db_insert()  # a row as a fit leaves it; the fit itself is tested in test_churn_risk
	return doc.name


def is_current(doctype: str, name: str) -> int | None:
	return frappe.db.get_value(doctype, name, "is_current")


class TestBenchmarkLeavesSiteModels(FrappeTestCase):
	def setUp(self):
		frappe.set_user("Administrator")
		for doctype in MODEL_DOCTYPES:
			frappe.db.delete(doctype)  # rolled back

	def tearDown(self):
		frappe.db.rollback()

	def test_fitted_models_go_and_the_sites_own_are_current_again(self):
		own_90 = model("Churn Risk Model", current=True, horizon=90)
		own_old = model("Churn Risk Model", current=False, horizon=90)
		own_30 = model("Churn Risk Model", current=True, horizon=30)
		own_expansion = model("Expansion Propensity Model", current=True)
		found = site_models()

		# What the run does: benchmark 7 times a recompute without a current model, then its fits and
		# benchmark 8's first run make new ones current.
		frappe.db.set_value("Churn Risk Model", {"is_current": 1}, "is_current", 0)
		frappe.db.set_value("Expansion Propensity Model", {"is_current": 1}, "is_current", 0)
		fitted_90 = model("Churn Risk Model", current=True, horizon=90)
		fitted_30 = model("Churn Risk Model", current=True, horizon=30)
		fitted_expansion = model("Expansion Propensity Model", current=True)

		# Three fitted models deleted: 2 churn risk + 1 expansion.
		self.assertEqual(restore_site_models(found), 3)
		for doctype, name in (
			("Churn Risk Model", fitted_90),
			("Churn Risk Model", fitted_30),
			("Expansion Propensity Model", fitted_expansion),
		):
			self.assertFalse(frappe.db.exists(doctype, name))
		self.assertEqual(is_current("Churn Risk Model", own_90), 1)
		self.assertEqual(is_current("Churn Risk Model", own_30), 1)
		self.assertEqual(is_current("Churn Risk Model", own_old), 0)
		self.assertEqual(is_current("Expansion Propensity Model", own_expansion), 1)

	def test_a_site_without_models_is_left_without(self):
		found = site_models()
		model("Churn Risk Model", current=True)
		model("Expansion Propensity Model", current=True)
		self.assertEqual(restore_site_models(found), 2)
		for doctype in MODEL_DOCTYPES:
			self.assertEqual(frappe.db.count(doctype), 0)
