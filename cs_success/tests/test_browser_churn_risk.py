"""Browser: a CS Manager opens a customer whose usage is low and reads its churn risk and the driver in words
(a measure label holding markup shows as text), then the Churn Risk report: the verdict, AUC and the
calibration table of ten deciles."""

import json

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils.password import update_password

from cs_success.risk.model import fit
from cs_success.risk.scoring import score_customers
from cs_success.tests.browser import browser_page, live_server, screenshot
from cs_success.tests.test_churn_risk import AS_OF, pay_until_churn, usage_drives_churn
from cs_success.tests.test_score_validation import plant_history
from cs_success.tests.utils import make_customer, make_user, run_pending_recomputes

PASSWORD = "Cs-Churn-Risk-Passw0rd!"
MARKUP = '"<img src=x onerror=window.__cs_xss=1>'


class TestChurnRiskInBrowser(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		cls.planted = plant_history(400, 120, usage_drives_churn, seed=3)
		pay_until_churn(cls.planted, 100)  # for the revenue back-test
		cls.model = fit(90, AS_OF)
		cls.customer = make_customer("Risk Browser")
		run_pending_recomputes()
		frappe.db.set_value(
			"Customer Health",
			cls.customer,
			"contributions",
			json.dumps({"usage": [1, 1, 0], "account_nps": [0, 50, 0]}),
			update_modified=False,
		)
		score_customers([cls.customer], AS_OF)
		# A measure label is text a manager typed: shown as text, never as markup.
		drivers = json.loads(frappe.db.get_value("Customer Health", cls.customer, "churn_risk_drivers"))
		drivers.append({"measure": "planted", "label": MARKUP, "kind": "missing", "percent": None})
		frappe.db.set_value("Customer Health", cls.customer, "churn_risk_drivers", json.dumps(drivers))
		# Sales User: the Customer form, for its badge; Accounts User: revenue (the forecast's back-test).
		cls.manager = make_user("CS Manager", "Sales User", "Accounts User")
		update_password(cls.manager, PASSWORD)
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		frappe.set_user("Administrator")
		for doctype in (
			"Customer Health Snapshot",
			"Customer Active Span",
			"Customer Lifecycle Event",
			"MRR Interval",
		):
			frappe.db.delete(doctype, {"customer": ("in", cls.planted)})
		frappe.db.delete("Churn Risk Model", {"name": cls.model})
		frappe.delete_doc("Customer", cls.customer, force=True, ignore_permissions=True)
		frappe.delete_doc("User", cls.manager, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDownClass()

	def test_manager_reads_the_risk_its_driver_and_the_calibration(self):
		risk = frappe.db.get_value("Customer Health", self.customer, "churn_risk_90")
		with live_server() as base_url, browser_page(base_url, self.manager, PASSWORD) as page:
			page.goto(f"/app/customer-health/{self.customer}")
			field = page.locator('.frappe-control[data-fieldname="churn_risk_90"]:visible')
			field.wait_for(timeout=30000)
			self.assertIn(f"{risk:.1f}%", field.inner_text())
			explained = page.locator('.frappe-control[data-fieldname="churn_risk_explained"]')
			explained.locator("li").first.wait_for(timeout=30000)
			text = explained.inner_text()
			self.assertIn("Product Usage", text)
			self.assertIn("below the typical customer", text)
			self.assertIn("for the typical customer", text)
			self.assertIn(MARKUP, text)  # the markup, as text
			self.assertEqual(explained.locator("img").count(), 0)
			self.assertIsNone(page.evaluate("window.__cs_xss"))
			screenshot(page, "churn_risk_customer")

			# The badge on the Customer form carries the risk too.
			page.goto(f"/app/customer/{self.customer}")
			badge = page.locator(".cs-health-badge .cs-health-risk")
			badge.wait_for(timeout=30000)
			self.assertEqual(badge.inner_text(), f"Churn risk {risk:.0f}% in 90 days")
			screenshot(page, "churn_risk_badge")

			page.goto("/app/query-report/Churn Risk?horizon=90")
			report = page.locator('.page-container[data-page-route="query-report"]:visible')
			report.locator(".report-summary .summary-item").first.wait_for(timeout=30000)
			summary = report.locator(".report-summary").inner_text()
			self.assertIn("Usable", summary)
			auc = frappe.db.get_value("Churn Risk Model", self.model, "auc")
			self.assertIn(f"{auc:.3f}", summary)
			report.locator(".dt-scrollable .dt-row").nth(9).wait_for(timeout=30000)
			self.assertEqual(report.locator(".dt-scrollable .dt-row").count(), 10)
			self.assertIn("Usable: on the later dates", report.locator(".form-message").first.inner_text())
			# Predicted beside observed, a bar each per decile.
			bars = report.locator("svg.frappe-chart .dataset-units rect")
			bars.nth(19).wait_for(timeout=30000)
			page.wait_for_timeout(1500)  # the bars grow in
			screenshot(page, "churn_risk_report")

			# The revenue back-test: April to June 2016, each forecast from what was known by then.
			page.goto("/app/query-report/Revenue Forecast?view=Back-Test&horizon=90")
			report = page.locator('.page-container[data-page-route="query-report"]:visible')
			report.locator(".dt-scrollable .dt-row").nth(2).wait_for(timeout=30000)
			table = report.locator(".dt-scrollable").inner_text()
			for day in ("04-01-2016", "05-01-2016", "06-01-2016"):
				self.assertIn(day, table)
			self.assertIn("known by then", report.locator(".form-message").first.inner_text())
			page.wait_for_timeout(1500)  # the chart draws in
			screenshot(page, "churn_risk_backtest")
