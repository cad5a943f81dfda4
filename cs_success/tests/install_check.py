"""Checks for the install / uninstall round trip that .ci/run drives on a scratch site.

Run with `bench --site S execute cs_success.tests.install_check.verify_installed` (and
`verify_uninstalled` after `uninstall-app`); a failed check raises, so the command exits non-zero.
"""

import frappe

from cs_success.engine.measures import MEASURES
from cs_success.engine.survey_templates import STANDARD_TEMPLATES
from cs_success.install import (
	CREATED_ROLES_KEY,
	GRANTED_READS_KEY,
	GRANTS,
	GROWTH_RECORDS,
	INDEXES,
	ROLES,
	created_roles,
)

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
	"Churn Risk Model",
	"Expansion Propensity Model",
	"Advocacy Ask",
	"Health Band Outcome",
	"Play Band Outcome",
)
# What the round trip leaves in ERPNext's pipeline: an expansion Opportunity and a referred Lead, made
# while the app was installed; uninstall must leave them, and the type and source they use.
KEPT_OPPORTUNITY_TITLE = "_CS Install Check Expansion"
KEPT_LEAD_NAME = "_CS Install Check Referral"


def verify_installed():
	for role in ROLES:
		assert frappe.db.exists("Role", role), f"role {role} missing"
	assert created_roles() == set(ROLES), f"roles recorded as ours: {created_roles()}"
	assert frappe.db.count("Health Measure") == len(MEASURES), "measure registry incomplete"
	assert frappe.db.exists("Health Scorecard", {"is_default": 1}), "no default scorecard"
	assert frappe.db.count("Churn Reason") >= 5, "standard churn reasons missing"
	assert frappe.db.has_column("Contract", "cs_contract_value"), "Contract value field missing"
	assert frappe.db.count("Survey Template", {"is_standard": 1}) == len(STANDARD_TEMPLATES)
	assert frappe.db.exists("Web Form", "survey"), "survey web form missing"
	assert frappe.db.has_column("Contact", "cs_no_surveys"), "Contact opt-out field missing"
	for doctype, _columns, index in INDEXES:
		assert frappe.db.has_index(f"tab{doctype}", index), f"{doctype} index {index} missing"
	for doctype in GRANTS:
		if not frappe.db.exists("DocType", doctype):
			continue  # another app's (Frappe CRM's), not installed on this site
		readers = {p.role for p in frappe.get_meta(doctype).permissions if not p.permlevel and p.read}
		assert set(ROLES) <= readers, f"{doctype} not readable by {set(ROLES) - readers}"
	for doctype, name in GROWTH_RECORDS:
		if not frappe.db.exists("DocType", doctype):
			continue
		assert frappe.db.exists(doctype, name), f"{doctype} {name} missing"
	enabled = frappe.db.count("Customer", {"disabled": 0})
	scored = frappe.db.count("Customer Health")
	assert scored == enabled, f"{scored} health records for {enabled} customers"
	assert frappe.db.exists("Scheduled Job Type", {"method": "cs_success.jobs.daily"})
	# A host document saves and its customer gets scored through the hooks.
	from cs_success.jobs import drain

	customer = _make_customer()
	frappe.db.commit()  # hands the customer to the queue, as a request would
	drain()  # what the background worker would run
	frappe.db.commit()
	assert frappe.db.exists("Customer Health", customer), "new customer was not scored"
	frappe.delete_doc("Customer", customer, force=True)
	frappe.db.commit()
	_make_pipeline_documents()
	print(f"installed: {len(ROLES)} roles, {len(MEASURES)} measures, {scored} customers scored")


def verify_uninstalled():
	for doctype in OUR_DOCTYPES:
		assert not frappe.db.exists("DocType", doctype), f"doctype {doctype} left behind"
		assert not frappe.db.table_exists(doctype), f"table of {doctype} left behind"
	for role in ROLES:
		assert not frappe.db.exists("Role", role), f"role {role} left behind"
	assert not frappe.db.exists("DefaultValue", {"defkey": CREATED_ROLES_KEY}), (
		"record of our roles left behind"
	)
	assert not frappe.db.exists("Custom Field", {"fieldname": ("like", "cs_%")}), "custom fields left behind"
	assert not frappe.db.exists("Web Form", "survey"), "survey web form left behind"
	assert not frappe.db.exists("Scheduled Job Type", {"method": ("like", "cs_success.%")}), (
		"jobs left behind"
	)
	assert "cs_success" not in frappe.get_installed_apps()
	for doctype, _columns, index in INDEXES:
		assert not frappe.db.has_index(f"tab{doctype}", index), f"{doctype} index {index} left behind"
	for doctype in GRANTS:
		assert not frappe.db.exists("Custom DocPerm", {"parent": doctype, "role": ("in", ROLES)}), (
			f"our rule on {doctype} left behind"
		)
	_check_pipeline_documents_kept()
	assert not frappe.db.exists("DefaultValue", {"defkey": GRANTED_READS_KEY}), (
		"record of our grants left behind"
	)
	# ERPNext still works: a Customer and an Issue save and delete.
	customer = _make_customer()
	issue = frappe.get_doc(
		{"doctype": "Issue", "subject": "_CS Test after uninstall", "customer": customer}
	).insert()
	frappe.delete_doc("Issue", issue.name, force=True)
	frappe.delete_doc("Customer", customer, force=True)
	frappe.db.commit()
	print("uninstalled: no doctypes, tables, roles, custom fields or jobs left; ERPNext saves work")
	verify_a_role_that_was_there_before_stays()


def _make_pipeline_documents() -> None:
	from cs_success.growth.pipeline import CS_SOURCE, EXPANSION_TYPE

	customer = _make_customer()
	# The setup wizard's Sales Stage: this scratch site skipped the wizard (and has no company, which an
	# Opportunity asks for: the document's data is what the check is about, not ERPNext's validation).
	if not frappe.db.exists("Sales Stage", "Prospecting"):
		frappe.get_doc({"doctype": "Sales Stage", "stage_name": "Prospecting"}).insert()
	company = frappe.defaults.get_global_default("company") or frappe.db.get_value("Company", {}, "name")
	frappe.get_doc(
		{
			"doctype": "Opportunity",
			"opportunity_from": "Customer",
			"party_name": customer,
			"title": KEPT_OPPORTUNITY_TITLE,
			"opportunity_type": EXPANSION_TYPE,
			"source": CS_SOURCE,
			"company": company,
			"probability": 20,
			"opportunity_amount": 1200,
		}
	).insert(ignore_mandatory=not company)
	frappe.get_doc(
		{"doctype": "Lead", "first_name": KEPT_LEAD_NAME, "source": CS_SOURCE, "company_name": "_CS Check"}
	).insert()
	frappe.db.commit()


def _check_pipeline_documents_kept() -> None:
	"""ERPNext's Opportunity and Lead data stay as they were, with the type and source they use; then the
	check removes them."""
	opportunity = frappe.db.get_value(
		"Opportunity",
		{"title": KEPT_OPPORTUNITY_TITLE},
		["name", "opportunity_type", "source", "probability", "party_name"],
		as_dict=True,
	)
	assert opportunity, "expansion Opportunity lost on uninstall"
	assert (opportunity.opportunity_type, opportunity.source, opportunity.probability) == (
		"Expansion",
		"Customer Success",
		20,
	), f"Opportunity changed on uninstall: {opportunity}"
	lead = frappe.db.get_value("Lead", {"first_name": KEPT_LEAD_NAME}, ["name", "source"], as_dict=True)
	assert lead and lead.source == "Customer Success", f"Lead lost or changed on uninstall: {lead}"
	for doctype, name in GROWTH_RECORDS:
		if not frappe.db.exists("DocType", doctype):
			continue
		assert frappe.db.exists(doctype, name), f"{doctype} {name} removed while in use"
	frappe.delete_doc("Opportunity", opportunity.name, force=True)
	frappe.delete_doc("Lead", lead.name, force=True)
	frappe.delete_doc("Customer", opportunity.party_name, force=True)
	frappe.db.commit()


# A role of ours that the site had before the app: someone else's, with a user and a permission.
PREEXISTING_ROLE = "CS Agent"


def verify_a_role_that_was_there_before_stays():
	"""A second round trip, on the site the first one left uninstalled: with a CS Agent role that was there
	before the app (a user has it, and it may read Issues), install and uninstall leave the role, its user
	and its permission, and remove the CS Manager role the app made. Leaves the site uninstalled."""
	from frappe.installer import install_app, remove_app

	assert "cs_success" not in frappe.get_installed_apps()
	assert not frappe.db.exists("Role", PREEXISTING_ROLE), f"{PREEXISTING_ROLE} left by an earlier run"
	frappe.get_doc({"doctype": "Role", "role_name": PREEXISTING_ROLE, "desk_access": 1}).insert()
	user = frappe.get_doc(
		{
			"doctype": "User",
			"email": f"cs-install-check-{frappe.generate_hash(length=6)}@example.com",
			"first_name": "Install Check",
			"send_welcome_email": 0,
			"roles": [{"role": PREEXISTING_ROLE}],
		}
	).insert()
	permission = frappe.get_doc(
		{
			"doctype": "Custom DocPerm",
			"parent": "Issue",
			"parenttype": "DocType",
			"parentfield": "permissions",
			"role": PREEXISTING_ROLE,
			"permlevel": 0,
			"read": 1,
		}
	).insert()
	frappe.db.commit()
	try:
		install_app("cs_success")
		frappe.db.commit()
		assert created_roles() == set(ROLES) - {PREEXISTING_ROLE}, f"recorded as ours: {created_roles()}"
		remove_app("cs_success", yes=True, no_backup=True)
		frappe.db.commit()
		assert frappe.db.exists("Role", PREEXISTING_ROLE), (
			f"{PREEXISTING_ROLE}, there before the app, deleted"
		)
		assert frappe.db.exists("Has Role", {"parent": user.name, "role": PREEXISTING_ROLE}), (
			"its user lost it"
		)
		assert frappe.db.exists("Custom DocPerm", permission.name), "its permission on Issue deleted"
		for role in set(ROLES) - {PREEXISTING_ROLE}:
			assert not frappe.db.exists("Role", role), f"role {role} left behind"
		print(
			f"uninstalled again: {PREEXISTING_ROLE}, there before the app, kept with its user and permission"
		)
	finally:
		frappe.db.rollback()
		if "cs_success" in frappe.get_installed_apps():
			remove_app("cs_success", yes=True, no_backup=True)
		frappe.db.delete("Custom DocPerm", {"name": permission.name})
		frappe.clear_cache(doctype="Issue")
		frappe.delete_doc("User", user.name, force=True, delete_permanently=True)
		frappe.delete_doc("Role", PREEXISTING_ROLE, force=True, delete_permanently=True)
		frappe.db.commit()


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
