"""Browser: a CS Manager who may read Sales Invoices opens MRR Movements and Cohort Retention and sees
the ledger's figures, with a chart and a heat-map table."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_months, get_first_day, getdate, today
from frappe.utils.password import update_password

from cs_success.ledger.build import rebuild_customers
from cs_success.tests.browser import browser_page, live_server, screenshot
from cs_success.tests.utils import delete_invoices, make_customer, make_sales_invoice, make_user

PASSWORD = "Cs-Ledger-Passw0rd!"


class TestLedgerReportsInBrowser(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		cls.manager = make_user("CS Manager", "Accounts User")
		update_password(cls.manager, PASSWORD)
		# Two customers billed monthly for the last six months, one of them for only the first three.
		first = get_first_day(add_months(getdate(today()), -6))
		cls.customers = [make_customer("Ledger Browser A"), make_customer("Ledger Browser B")]
		cls.invoices = []
		for customer, months in zip(cls.customers, (6, 3), strict=True):
			for month in range(months):
				cls.invoices.append(
					make_sales_invoice(customer, 500, posting_date=add_months(first, month)).name
				)
		rebuild_customers(cls.customers)
		frappe.db.commit()

	@classmethod
	def tearDownClass(cls):
		frappe.set_user("Administrator")
		delete_invoices(cls.invoices)
		for customer in cls.customers:
			frappe.delete_doc("Customer", customer, force=True, ignore_permissions=True)
		frappe.delete_doc("User", cls.manager, force=True, ignore_permissions=True)
		frappe.db.commit()
		super().tearDownClass()

	def test_manager_opens_mrr_movements_and_cohort_retention(self):
		with live_server() as base_url, browser_page(base_url, self.manager, PASSWORD) as page:
			for report, name in (
				("MRR Movements", "mrr_movements"),
				("Cohort Retention", "cohort_retention"),
			):
				page.goto(f"/app/query-report/{report}")
				current = page.locator('.page-container[data-page-route="query-report"]:visible')
				current.locator(".title-text", has_text=report).first.wait_for(timeout=30000)
				current.locator(".dt-scrollable .dt-row").first.wait_for(timeout=30000)
				text = current.locator(".dt-scrollable").inner_text()
				current.locator(".chart-wrapper .frappe-chart").first.wait_for(timeout=30000)
				if report == "MRR Movements":
					# Both customers' 500 came in as new MRR in the first month: 1,000 ending MRR then.
					self.assertIn("1,000", text)
				else:
					# B billed for three months: half the cohort is left at the end of month 3.
					self.assertIn("100.0%", text)
					self.assertIn("50.0%", text)
				# Frappe Charts draws its lines in over a moment: let the screenshot show them drawn.
				page.wait_for_timeout(1500)
				screenshot(page, name)
