"""Browser: a CS Manager opens the Score Validation report and a Health Scorecard form, on a planted
history where churn follows open tickets (snapshots of the last year, scored by that scorecard), and
reads the verdict first on both."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, add_months, get_first_day, getdate, today
from frappe.utils.password import update_password

from cs_success.cs_success.report.score_validation.score_validation import execute
from cs_success.tests.browser import browser_page, live_server, screenshot
from cs_success.tests.test_score_validation import plant_history, planted
from cs_success.tests.utils import make_user

PASSWORD = "Cs-Validation-Passw0rd!"
PLANTED_TABLES = ("Customer Active Span", "Customer Lifecycle Event", "Customer Health Snapshot")


class TestScoreValidationInBrowser(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		cls.manager = make_user("CS Manager")
		update_password(cls.manager, PASSWORD)
		cls.scorecard = (
			frappe.get_doc(
				{
					"doctype": "Health Scorecard",
					"scorecard_name": f"_CS Test Browser Validation {frappe.generate_hash(length=5)}",
					"enabled": 0,  # never scores anyone: only the planted snapshots name it
					"measures": [
						{"measure": "open_tickets", "enabled": 1, "weight": 50, "scoring_method": "Linear", "score_100_at": 0, "score_0_at": 5},
						{"measure": "account_nps", "enabled": 1, "weight": 50, "scoring_method": "Linear", "score_100_at": 50, "score_0_at": -50},
					],
				}
			)
			.insert(ignore_permissions=True)
			.name
		)  # fmt: skip
		# Six month starts, 9 to 4 months ago: each one's 90 days have passed, all within the last year.
		first = getdate(get_first_day(add_months(getdate(today()), -9)))
		dates = [getdate(add_months(first, k)) for k in range(6)]
		assert add_days(dates[-1], 90) < getdate(today())
		cls.customers = plant_history(150, 25, planted, seed=5, dates=dates, scorecard=cls.scorecard)
		frappe.db.commit()
		# The planted history predicts churn (AUC about 0.8): the page must show the server's verdict.
		cls.verdict = execute({"scorecard": cls.scorecard, "horizon": 90})[1][0]["item"]
		assert cls.verdict.startswith(("Predicts churn well", "Useful")), cls.verdict
		cls.verdict_label = cls.verdict.split(" (AUC")[0].split(":")[0]

	@classmethod
	def tearDownClass(cls):
		frappe.set_user("Administrator")
		for doctype in PLANTED_TABLES:
			frappe.db.delete(doctype, {"customer": ("in", cls.customers)})
		frappe.delete_doc("Health Scorecard", cls.scorecard, force=True, ignore_permissions=True)
		frappe.db.delete("Health Scorecard Version", {"scorecard": cls.scorecard})
		frappe.delete_doc("User", cls.manager, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDownClass()

	def test_manager_reads_the_verdict_on_the_report_and_the_scorecard(self):
		with live_server() as base_url, browser_page(base_url, self.manager, PASSWORD) as page:
			page.goto(f"/app/query-report/Score Validation?scorecard={self.scorecard}")
			report = page.locator('.page-container[data-page-route="query-report"]:visible')
			report.locator(".dt-scrollable .dt-row").first.wait_for(timeout=30000)
			report.locator(".report-summary").first.wait_for(timeout=30000)
			table = report.locator(".dt-scrollable").inner_text()
			self.assertIn(self.verdict, table)
			self.assertIn("Churn by band", table)
			self.assertIn(self.verdict_label, report.locator(".report-summary").inner_text())
			# Churn by score decile, one bar each; and no "0" standing in for an empty cell (the verdict
			# row has no churn rate, the band rows no AUC).
			report.locator(".chart-wrapper .frappe-chart rect.bar").first.wait_for(timeout=30000)
			self.assertEqual(report.locator(".chart-wrapper .frappe-chart rect.bar").count(), 10)
			self.assertNotIn("0.000%", table.split("All observations")[0])
			screenshot(page, "score_validation_report")

			page.goto(f"/app/health-scorecard/{self.scorecard}")
			form = page.locator(".cs-scorecard-validation")
			form.wait_for(timeout=30000)
			self.assertIn(self.verdict, form.inner_text())
			self.assertEqual(form.get_attribute("data-indicator"), "green")
			measures = page.locator(".cs-scorecard-measures").inner_text()
			# Churn follows open tickets in the planted history; NPS is noise.
			self.assertIn("Open Tickets", measures)
			self.assertIn("Predicts churn (low score, more churn)", measures)
			screenshot(page, "health_scorecard_validation")
