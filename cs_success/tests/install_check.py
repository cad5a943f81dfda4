"""Checks for the install / uninstall round trip that .ci/run drives on a scratch site.

Run with `bench --site S execute cs_success.tests.install_check.verify_installed` (and
`verify_uninstalled` after `uninstall-app`); a failed check raises, so the command exits non-zero.
"""

import frappe

from cs_success.engine.measures import MEASURES
from cs_success.engine.survey_templates import STANDARD_TEMPLATES
from cs_success.install import ROLES

OUR_DOCTYPES = (
	"CS Settings",
	"Health Measure",
	"Health Scorecard",
	"Health Scorecard Measure",
	"Health Scorecard Version",
	"Customer Health",
	"Customer Health Measure",
	"Customer Health Snapshot",
	"Customer Health Change",
	"Customer Health Alert",
	"Customer Usage Record",
	"Survey Template",
	"Survey Question",
	"Survey Campaign",
	"Survey Invitation",
	"Survey Response",
	"Survey Answer",
	"Survey Opt Out",
	"CS Demo Record",
	"MRR Interval",
	"MRR Movement",
	"Customer Active Span",
	"Customer Lifecycle Event",
	"Agreement Renewal",
	"Churn Reason",
	"CS One-off Item Group",
)


def verify_installed():
	for role in ROLES:
		assert frappe.db.exists("Role", role), f"role {role} missing"
	assert frappe.db.count("Health Measure") == len(MEASURES), "measure registry incomplete"
	assert frappe.db.exists("Health Scorecard", {"is_default": 1}), "no default scorecard"
	assert frappe.db.count("Churn Reason") >= 5, "standard churn reasons missing"
	assert frappe.db.has_column("Contract", "cs_contract_value"), "Contract value field missing"
	assert frappe.db.count("Survey Template", {"is_standard": 1}) == len(STANDARD_TEMPLATES)
	assert frappe.db.exists("Web Form", "survey"), "survey web form missing"
	assert frappe.db.has_column("Contact", "cs_no_surveys"), "Contact opt-out field missing"
	assert frappe.db.has_index("tabContract", "cs_success_party_name"), "Contract party index missing"
	enabled = frappe.db.count("Customer", {"disabled": 0})
	scored = frappe.db.count("Customer Health")
	assert scored == enabled, f"{scored} health records for {enabled} customers"
	assert frappe.db.exists("Scheduled Job Type", {"method": "cs_success.health.recompute.recompute_all"})
	# A host document saves and its customer gets scored through the hooks.
	from cs_success.health.queue import drain

	customer = _make_customer()
	frappe.db.commit()  # hands the customer to the queue, as a request would
	drain()  # what the background worker would run
	frappe.db.commit()
	assert frappe.db.exists("Customer Health", customer), "new customer was not scored"
	frappe.delete_doc("Customer", customer, force=True)
	frappe.db.commit()
	print(f"installed: {len(ROLES)} roles, {len(MEASURES)} measures, {scored} customers scored")


def verify_uninstalled():
	for doctype in OUR_DOCTYPES:
		assert not frappe.db.exists("DocType", doctype), f"doctype {doctype} left behind"
		assert not frappe.db.table_exists(doctype), f"table of {doctype} left behind"
	for role in ROLES:
		assert not frappe.db.exists("Role", role), f"role {role} left behind"
	assert not frappe.db.exists("Custom Field", {"fieldname": ("like", "cs_%")}), "custom fields left behind"
	assert not frappe.db.exists("Web Form", "survey"), "survey web form left behind"
	assert not frappe.db.exists("Scheduled Job Type", {"method": ("like", "cs_success.%")}), (
		"jobs left behind"
	)
	assert "cs_success" not in frappe.get_installed_apps()
	assert not frappe.db.has_index("tabContract", "cs_success_party_name"), "index left behind"
	# ERPNext still works: a Customer and an Issue save and delete.
	customer = _make_customer()
	issue = frappe.get_doc(
		{"doctype": "Issue", "subject": "_CS Test after uninstall", "customer": customer}
	).insert()
	frappe.delete_doc("Issue", issue.name, force=True)
	frappe.delete_doc("Customer", customer, force=True)
	frappe.db.commit()
	print("uninstalled: no doctypes, tables, roles, custom fields or jobs left; ERPNext saves work")


def _make_customer() -> str:
	return (
		frappe.get_doc(
			{
				"doctype": "Customer",
				"customer_name": f"_CS Install Check {frappe.generate_hash(length=6)}",
				"customer_group": frappe.db.get_value("Customer Group", {"is_group": 0}, "name"),
				"territory": frappe.db.get_value("Territory", {"is_group": 0}, "name"),
			}
		)
		.insert()
		.name
	)
