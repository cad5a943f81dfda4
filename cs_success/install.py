"""Install and uninstall, kept symmetric: what after_install adds, before_uninstall removes."""

from __future__ import annotations

import json

import click

import frappe
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

from cs_success.base.roles import CS_AGENT, CS_MANAGER, ROLES, SYSTEM_MANAGER
from cs_success.engine.measures import MEASURES, default_rules
from cs_success.growth.pipeline import CRM_APP, CRM_CUSTOMER_FIELD, CS_SOURCE, EXPANSION_TYPE

DEFAULT_SCORECARD = "Default"
# Above this many customers the first scoring runs in a background job, not in the install.


# The band on a ticket is for agents: whoever raises a ticket can read it and name any customer on it.
# A level of its own, so the read granted below covers this field only, not fields an administrator
# put at level 1.
HEALTH_BAND_PERMLEVEL = 5
# Read at that level, for those of these roles that may read the ticket at all (Frappe refuses a higher
# level for a role without level 0): Helpdesk's agents, ERPNext's support team, our roles, managers.
HEALTH_BAND_READERS = ("Agent", "Agent Manager", "Support Team", CS_AGENT, CS_MANAGER, SYSTEM_MANAGER)
HEALTH_BAND_FIELD = {
	"fieldname": "cs_health_band",
	"permlevel": HEALTH_BAND_PERMLEVEL,
	"fieldtype": "Select",
	"label": "Customer Health",
	"options": "\nHealthy\nAt Risk\nCritical\nInsufficient Data\nChurned\nNo Data",
	"insert_after": "customer",
	"read_only": 1,
	"in_list_view": 1,
	"in_standard_filter": 1,
	"no_copy": 1,
	"description": "The customer's health band, kept current by CS Success.",
}


def get_custom_fields() -> dict[str, list[dict]]:
	fields: dict[str, list[dict]] = {
		"Contact": [
			{
				"fieldname": "cs_no_surveys",
				"fieldtype": "Check",
				"label": "Do Not Send Surveys",
				"insert_after": "unsubscribed",
				"description": "Set when the contact opts out from a survey email.",
			}
		],
		"Issue": [HEALTH_BAND_FIELD],
		"Customer": [
			{
				"fieldname": "cs_billing_period",
				"fieldtype": "Select",
				"label": "Billing Period",
				"options": "\nMonthly\nQuarterly\nSix-monthly\nAnnual",
				"insert_after": "payment_terms",
				"description": "How often this customer is invoiced, when its invoices carry no period of their own. "
				"Empty: detected from the invoices' rhythm. Used by the revenue ledger to spread each invoice.",
			}
		],
		"Contract": [
			{
				"fieldname": "cs_contract_value",
				"fieldtype": "Currency",
				"label": "Contract Value",
				"insert_after": "end_date",
				"allow_on_submit": 1,
				"description": "Total value over the contract's term, in the company's currency. Counts as "
				"recurring revenue only while no invoice of the customer covers the term.",
			}
		],
	}
	if "helpdesk" in frappe.get_installed_apps():
		fields["HD Customer"] = [
			{
				"fieldname": "cs_customer",
				"fieldtype": "Link",
				"label": "ERPNext Customer",
				"options": "Customer",
				"insert_after": "domain",
				"description": "Customer whose health this helpdesk customer's tickets count toward.",
			}
		]
		fields["HD Ticket"] = [HEALTH_BAND_FIELD]
	if CRM_APP in frappe.get_installed_apps():
		fields["CRM Deal"] = [
			{
				"fieldname": CRM_CUSTOMER_FIELD,
				"fieldtype": "Link",
				"label": "ERPNext Customer",
				"options": "Customer",
				"read_only": 1,
				"insert_after": "organization",
				"description": "The customer an expansion deal from customer success is about.",
			}
		]
	return fields


HELPDESK_FORM_SCRIPT = "CS Success Health Badge"


def after_install() -> None:
	create_roles()
	sync_health_measures()
	create_default_scorecard()
	create_custom_fields(get_custom_fields(), ignore_validate=True)
	grant_health_band_read()
	grant_segment_read()
	sync_standard_survey_templates()
	sync_standard_plan_templates()
	sync_churn_reasons()
	sync_standard_plays()
	create_helpdesk_form_script()
	add_indexes()
	create_growth_records()
	score_existing_customers()


def after_migrate() -> None:
	set_missing_settings_defaults()
	sync_health_measures()
	offer_new_measures_on_default_scorecard()
	create_custom_fields(get_custom_fields(), ignore_validate=True)
	grant_health_band_read()
	grant_segment_read()
	sync_standard_survey_templates()
	sync_standard_plan_templates()
	sync_churn_reasons()
	sync_standard_plays()
	create_helpdesk_form_script()
	add_indexes()
	create_growth_records()


def after_app_install(app_name: str) -> None:
	"""Helpdesk installed after us: add the HD Customer -> Customer link. Frappe CRM: the deal's customer
	field, its source and our roles' rule on deals."""
	if app_name == "helpdesk":
		create_custom_fields(get_custom_fields(), ignore_validate=True)
		grant_health_band_read()
		create_helpdesk_form_script()
	if app_name == CRM_APP:
		create_custom_fields(get_custom_fields(), ignore_validate=True)
		create_growth_records()
		grant_segment_read()


def before_app_uninstall(app_name: str) -> None:
	if app_name == "helpdesk":
		fields = get_custom_fields()
		delete_custom_fields({doctype: fields.get(doctype, []) for doctype in ("HD Customer", "HD Ticket")})
		revoke_health_band_read(["HD Ticket"])
		delete_helpdesk_form_script()
	if app_name == CRM_APP:
		delete_custom_fields({"CRM Deal": get_custom_fields().get("CRM Deal", [])})
		revoke_segment_read(["CRM Deal"])
		delete_unused_growth_records(["CRM Lead Source"])


def before_uninstall() -> None:
	revoke_health_band_read(health_band_doctypes())
	revoke_segment_read()
	delete_custom_fields(get_custom_fields())
	drop_indexes()
	delete_helpdesk_form_script()
	delete_scheduled_jobs()
	delete_unused_growth_records()
	delete_roles()
	clear_queue()


# What expansion opportunities are filed under in ERPNext's pipeline (growth/opportunities.py): the
# Opportunity Type and the Lead Source. Made on install and migrate; on uninstall removed only when no
# document uses them, so ERPNext's Opportunities and Leads keep what they say.
GROWTH_RECORDS = (
	("Opportunity Type", EXPANSION_TYPE),
	("Lead Source", CS_SOURCE),
	("CRM Lead Source", CS_SOURCE),  # Frappe CRM's, where it is installed
)
GROWTH_LINKS = {
	"CRM Lead Source": (("CRM Deal", "source"), ("CRM Lead", "source")),
	"Opportunity Type": (("Opportunity", "opportunity_type"),),
	"Lead Source": (("Opportunity", "source"), ("Lead", "source")),
}
CREATED_GROWTH_RECORDS_KEY = "cs_success_created_growth_records"


def create_growth_records() -> None:
	created = {tuple(pair) for pair in _recorded(CREATED_GROWTH_RECORDS_KEY) or []}
	for doctype, name in GROWTH_RECORDS:
		if not frappe.db.exists("DocType", doctype):
			continue  # another app's, not installed
		if not frappe.db.exists(doctype, name):
			doc = frappe.new_doc(doctype)
			if doctype in ("Lead Source", "CRM Lead Source"):
				doc.source_name = name
			else:
				doc.name = name
				doc.description = "Growth found by customer success (cs_success)"
			doc.insert(ignore_permissions=True)
			created.add((doctype, name))
	frappe.db.set_default(CREATED_GROWTH_RECORDS_KEY, json.dumps(sorted(created)))


def delete_unused_growth_records(doctypes: list[str] | None = None) -> None:
	"""The records install made (of these doctypes, or all), where no document uses them."""
	recorded = {tuple(pair) for pair in _recorded(CREATED_GROWTH_RECORDS_KEY) or []}
	removed = set()
	for doctype, name in recorded:
		if doctypes is not None and doctype not in doctypes:
			continue
		removed.add((doctype, name))
		if not frappe.db.exists("DocType", doctype) or not frappe.db.exists(doctype, name):
			continue
		in_use = any(
			frappe.db.exists(linking, {field: name})
			for linking, field in GROWTH_LINKS.get(doctype, ())
			if frappe.db.exists("DocType", linking)
		)
		if not in_use:
			frappe.delete_doc(doctype, name, ignore_permissions=True, force=True)
	if doctypes is None:
		frappe.defaults.clear_default(key=CREATED_GROWTH_RECORDS_KEY, parent="__default")
	else:
		frappe.db.set_default(CREATED_GROWTH_RECORDS_KEY, json.dumps(sorted(recorded - removed)))


def set_missing_settings_defaults() -> None:
	"""A settings field added in an upgrade starts at its default, not at empty (Frappe applies
	defaults to a Single only while it has no saved values at all)."""
	saved = set(frappe.db.sql_list("SELECT field FROM `tabSingles` WHERE doctype = 'CS Settings'"))
	if not saved:
		return
	for df in frappe.get_meta("CS Settings").fields:
		if df.default is not None and df.fieldname not in saved:
			frappe.db.set_single_value("CS Settings", df.fieldname, df.default)


# Per-customer lookups on ERPNext tables that ERPNext does not index for them: (doctype, columns, index).
# Sales Invoice and Issue: the first and latest invoice and the latest ticket of each customer (age and
# days since activity) read from the index alone, not from every row; at 10,000 customers those three
# scans take about 0.07 s each instead of 0.35 s (BENCHMARKS.md). Sales Invoice (customer, modified): a
# customer's latest invoice change, the fingerprint under which its billing values are kept for the day
# (health/measure_data.py invoice_fingerprints), one index entry per customer. Dropped on uninstall.
INDEXES = (
	("Contract", ("party_name",), "cs_success_party_name"),
	("Subscription", ("party",), "cs_success_party"),
	("Sales Invoice", ("customer", "docstatus", "posting_date"), "cs_success_customer_posting"),
	("Sales Invoice", ("customer", "modified"), "cs_success_customer_modified"),
	("Issue", ("customer", "opening_date"), "cs_success_customer_opening"),
)


def add_indexes() -> None:
	for doctype, columns, index in INDEXES:
		frappe.db.add_index(doctype, list(columns), index)


def drop_indexes() -> None:
	for doctype, _columns, index in INDEXES:
		if frappe.db.has_index(f"tab{doctype}", index):
			frappe.db.sql_ddl(f"ALTER TABLE `tab{doctype}` DROP INDEX `{index}`")


def create_helpdesk_form_script() -> None:
	"""The health badge in Helpdesk's agent UI, through its own extension point (HD Form Script)."""
	if not frappe.db.table_exists("HD Form Script") or "helpdesk" not in frappe.get_installed_apps():
		return
	with open(frappe.get_app_path("cs_success", "public", "js", "helpdesk_health_badge.js")) as script:
		values = {"dt": "HD Ticket", "apply_to": "Form", "enabled": 1, "script": script.read()}
	if frappe.db.exists("HD Form Script", HELPDESK_FORM_SCRIPT):
		frappe.db.set_value("HD Form Script", HELPDESK_FORM_SCRIPT, values)
	else:
		frappe.get_doc({"doctype": "HD Form Script", "name": HELPDESK_FORM_SCRIPT, **values}).insert(
			ignore_permissions=True, set_name=HELPDESK_FORM_SCRIPT
		)


def delete_helpdesk_form_script() -> None:
	if frappe.db.table_exists("HD Form Script"):
		frappe.db.delete("HD Form Script", {"name": HELPDESK_FORM_SCRIPT})


# The roles this app created on the site, as a site default (a JSON list; it outlives our doctypes until
# the uninstall has used it): a CS Manager or CS Agent role that was there before the app stays.
CREATED_ROLES_KEY = "cs_success_created_roles"


def before_install() -> None:
	"""Which of our roles the site lacks, recorded before Frappe syncs our doctypes: their permissions
	create the roles they name, so by after_install every role exists, ours or not. (A record left by an
	install that failed halfway is kept: the roles it created are still ours.)"""
	recorded = _recorded_roles() or set()
	_record_roles(recorded | {role for role in ROLES if not frappe.db.exists("Role", role)})


def create_roles(roles: tuple[str, ...] = ROLES) -> None:
	created = created_roles()
	for role in roles:
		if not frappe.db.exists("Role", role):
			frappe.get_doc({"doctype": "Role", "role_name": role, "desk_access": 1}).insert(
				ignore_permissions=True
			)
			created.add(role)
	_record_roles(created)


def delete_roles(roles: tuple[str, ...] = ROLES) -> None:
	"""The roles the app created go, with their assignments and permissions. One that was there before
	keeps its users and its permissions elsewhere; only its rows on our doctypes go with them."""
	created = created_roles()
	ours = frappe.get_all(
		"DocType", filters={"module": ("in", frappe.get_module_list("cs_success"))}, pluck="name"
	)
	if ours:  # Custom DocPerm is no child of DocType: the uninstall would leave them behind
		frappe.db.delete("Custom DocPerm", {"parent": ("in", ours)})
	for role in roles:
		if role not in created:
			continue
		frappe.db.delete("Has Role", {"role": role})
		frappe.db.delete("Custom DocPerm", {"role": role})
		if frappe.db.exists("Role", role):
			frappe.delete_doc("Role", role, ignore_permissions=True, force=True)
	if remaining := created - set(roles):
		_record_roles(remaining)
	else:
		frappe.defaults.clear_default(key=CREATED_ROLES_KEY, parent="__default")


def created_roles() -> set[str]:
	"""The roles the app created, as recorded. A site installed before they were recorded: each of ours
	created no earlier than the app's Module Def (the install makes it first, then syncs the doctypes
	that create the roles), which a role that was there before the app was not."""
	recorded = _recorded_roles()
	if recorded is not None:
		return recorded
	installed = frappe.db.sql("SELECT MIN(creation) FROM `tabModule Def` WHERE app_name = 'cs_success'")[0][0]
	return {
		role
		for role in ROLES
		if installed and (created := frappe.db.get_value("Role", role, "creation")) and created >= installed
	}


def _recorded_roles() -> set[str] | None:
	"""None: nothing recorded."""
	recorded = _recorded(CREATED_ROLES_KEY)
	return None if recorded is None else set(recorded)


def _recorded(key: str) -> list | None:
	"""A list install recorded as a site default, read past the defaults cache (None: nothing recorded)."""
	recorded = frappe.db.get_value("DefaultValue", {"parent": "__default", "defkey": key}, "defvalue")
	return None if recorded is None else json.loads(recorded or "[]")


def _record_roles(roles: set[str]) -> None:
	frappe.db.set_default(CREATED_ROLES_KEY, json.dumps(sorted(roles)))


def sync_health_measures() -> None:
	"""The registry of built-in measures, as records scorecards can link to."""
	for measure in MEASURES:
		values = {
			"label": measure.label,
			"category": measure.category,
			"unit": measure.unit,
			"description": measure.description,
			"default_weight": measure.default_weight,
			"default_score_100_at": measure.score_100_at,
			"default_score_0_at": measure.score_0_at,
			"usage_metric": measure.usage_metric or None,
			"is_standard": 1,
		}
		if frappe.db.exists("Health Measure", measure.key):
			frappe.db.set_value("Health Measure", measure.key, values, update_modified=False)
		else:
			doc = frappe.get_doc({"doctype": "Health Measure", "measure_key": measure.key, **values})
			doc.flags.from_registry = True
			doc.insert(ignore_permissions=True)


def offer_new_measures_on_default_scorecard() -> None:
	"""Measures added by an upgrade appear on the default scorecard disabled, with their default
	thresholds: visible to the admin, without silently moving anyone's score."""
	name = frappe.db.get_value("Health Scorecard", {"is_default": 1})
	if not name:
		return
	scorecard = frappe.get_doc("Health Scorecard", name)
	present = {row.measure for row in scorecard.measures}
	missing = [rule for rule in default_rules() if rule.key not in present]
	if not missing:
		return
	for rule in missing:
		scorecard.append(
			"measures",
			{
				"measure": rule.key,
				"enabled": 0,
				"weight": rule.weight,
				"scoring_method": rule.method,
				"score_100_at": rule.score_100_at,
				"score_0_at": rule.score_0_at,
			},
		)
	scorecard.flags.ignore_permissions = True
	scorecard.save()


def create_default_scorecard() -> None:
	if frappe.db.exists("Health Scorecard", {"is_default": 1}):
		return
	frappe.get_doc(
		{
			"doctype": "Health Scorecard",
			"scorecard_name": DEFAULT_SCORECARD,
			"is_default": 1,
			"enabled": 1,
			"priority": 100,
			"description": "Built-in weights and thresholds; adjust them to your business.",
			"measures": [
				{
					"measure": rule.key,
					"enabled": 1,
					"weight": rule.weight,
					"scoring_method": rule.method,
					"score_100_at": rule.score_100_at,
					"score_0_at": rule.score_0_at,
				}
				for rule in default_rules()
			],
		}
	).insert(ignore_permissions=True)


def sync_standard_survey_templates() -> None:
	"""Standard templates are created once; an admin's edits to them are kept."""
	from cs_success.engine.survey_templates import STANDARD_TEMPLATES

	for template in STANDARD_TEMPLATES:
		if frappe.db.exists("Survey Template", template.name):
			continue
		frappe.get_doc(
			{
				"doctype": "Survey Template",
				"template_name": template.name,
				"is_standard": 1,
				"introduction": template.introduction,
				"questions": [
					{
						"question": q.question,
						"question_type": q.question_type,
						"options": "\n".join(q.options),
						"is_required": int(q.is_required),
					}
					for q in template.questions
				],
			}
		).insert(ignore_permissions=True)


def sync_churn_reasons() -> None:
	"""The standard churn reasons, the exit survey's answers, created once: edited or deleted ones are
	left as the team has them."""
	from cs_success.engine.survey_templates import EXIT_REASONS

	if frappe.db.count("Churn Reason"):
		return
	for reason in EXIT_REASONS:
		frappe.get_doc({"doctype": "Churn Reason", "reason": reason}).insert(ignore_permissions=True)


def sync_standard_plays() -> None:
	"""The band alerts' and the unhappy answers' follow-up tasks, as plays (created once; a team's edits
	are kept). On a site whose band alerts were switched off, the band plays start paused."""
	from cs_success.playbooks.standard import STANDARD_PLAYS

	alerts_on = frappe.db.get_single_value("CS Settings", "enable_alerts")
	for play in STANDARD_PLAYS:
		if frappe.db.exists("Play", play["play_name"]):
			continue
		paused = play["trigger"] == "Health Band Entered" and alerts_on is not None and not int(alerts_on)
		frappe.get_doc({"doctype": "Play", "is_standard": 1, "is_paused": int(paused), **play}).insert(
			ignore_permissions=True
		)


def sync_standard_plan_templates() -> None:
	"""Standard success plan templates are created once; an admin's edits to them are kept."""
	from cs_success.engine.plan_templates import STANDARD_PLAN_TEMPLATES

	for template in STANDARD_PLAN_TEMPLATES:
		if frappe.db.exists("Success Plan Template", template.name):
			continue
		frappe.get_doc(
			{
				"doctype": "Success Plan Template",
				"template_name": template.name,
				"is_standard": 1,
				"description": template.description,
				"duration_days": template.duration_days,
				"objectives": [
					{"objective": o, "metric": m, "due_after_days": d} for o, m, d in template.objectives
				],
				"milestones": [{"milestone": m, "due_after_days": d} for m, d in template.milestones],
				"tasks": [
					{"task": t, "milestone": m, "side": side, "due_after_days": d}
					for t, m, side, d in template.tasks
				],
			}
		).insert(ignore_permissions=True)


def score_existing_customers() -> None:
	"""A site with history shows true figures from the first screen: the ledger, everyone's score and a
	year of back-filled history (cs_success/jobs.py first_run), inline on a small site, else in a background
	job whose progress the workspace shows."""
	from cs_success.jobs import start_first_run

	count = frappe.db.count("Customer", {"disabled": 0})
	if start_first_run():
		click.secho(
			f"cs_success: building the ledger, scores and history of {count} customers in a background job "
			"(progress in the Customer Success workspace)",
			fg="yellow",
		)
	else:
		click.secho(
			f"cs_success: built the ledger, scored {count} customers and back-filled their history",
			fg="green",
		)


def health_band_doctypes() -> list[str]:
	return [doctype for doctype, fields in get_custom_fields().items() if HEALTH_BAND_FIELD in fields]


def grant_health_band_read() -> None:
	"""Read at HEALTH_BAND_PERMLEVEL for the agent roles. Frappe keeps a doctype's rules either in its
	JSON or, once anyone changes them, all in Custom DocPerm: `add_permission` copies the standard ones
	there first, as Role Permissions Manager does (and as Helpdesk does for HD Ticket itself)."""
	from frappe.permissions import add_permission

	for doctype in health_band_doctypes():
		level_zero = {p.role for p in frappe.get_meta(doctype).permissions if not p.permlevel and p.read}
		for role in HEALTH_BAND_READERS:
			if role in level_zero and not frappe.db.exists(
				"Custom DocPerm", {"parent": doctype, "role": role, "permlevel": HEALTH_BAND_PERMLEVEL}
			):
				add_permission(doctype, role, HEALTH_BAND_PERMLEVEL)


# The segments our reports filter by and scorecards apply to: our roles may pick them (read and select at
# level 0), or a CS Manager without a sales role could not use a report's Customer Group filter.
SEGMENT_DOCTYPES = ("Customer Group", "Territory")
# What our roles get at level 0 beyond read, per ERPNext doctype. Opportunity: they make expansion
# opportunities (growth/opportunities.py) and see and edit those they made (if_owner); sales sees them all.
GRANTS = {
	"Customer Group": {"select": 1},
	"Territory": {"select": 1},
	"Opportunity": {"create": 1, "write": 1, "if_owner": 1},
	# Frappe CRM's, where it is installed: expansion deals instead of Opportunities.
	"CRM Deal": {"create": 1, "write": 1, "if_owner": 1},
}
# Which of those rules install granted, so that uninstall takes back only those.
GRANTED_READS_KEY = "cs_success_granted_reads"


def grant_segment_read() -> None:
	from frappe.permissions import add_permission, update_permission_property

	granted = _granted_reads()
	for doctype, rights in GRANTS.items():
		if not frappe.db.exists("DocType", doctype):
			continue  # another app's, not installed
		readers = {p.role for p in frappe.get_meta(doctype).permissions if not p.permlevel and p.read}
		for role in ROLES:
			# Granted once: a rule an administrator took away later stays away on migrate.
			if role not in readers and (doctype, role) not in granted:
				add_permission(doctype, role, 0)
				# Link fields search with "select"; "read" opens the record from a report row. if_owner last:
				# the rule is found by it.
				for right, value in sorted(rights.items(), key=lambda pair: pair[0] == "if_owner"):
					update_permission_property(doctype, role, 0, right, value)
				granted.add((doctype, role))
		frappe.clear_cache(doctype=doctype)
	frappe.db.set_default(GRANTED_READS_KEY, json.dumps(sorted(granted)))


def revoke_segment_read(doctypes: list[str] | None = None) -> None:
	"""Our grants go (on these doctypes, or all); so do the copied standard rules if nothing else was
	changed (as for the band)."""
	granted = _granted_reads()
	taken = {(doctype, role) for doctype, role in granted if doctypes is None or doctype in doctypes}
	for doctype, role in taken:
		frappe.db.delete("Custom DocPerm", {"parent": doctype, "role": role, "permlevel": 0})
	for doctype in doctypes if doctypes is not None else GRANTS:
		if frappe.db.exists("DocType", doctype):  # another app's may be gone, or never was
			_back_on_standard_rules(doctype)
	if doctypes is None:
		frappe.defaults.clear_default(key=GRANTED_READS_KEY, parent="__default")
	else:
		frappe.db.set_default(GRANTED_READS_KEY, json.dumps(sorted(granted - taken)))


def _granted_reads() -> set[tuple[str, str]]:
	return {tuple(pair) for pair in _recorded(GRANTED_READS_KEY) or []}


def revoke_health_band_read(doctypes: list[str]) -> None:
	"""Our rules go; so do the copied standard ones if nothing else was changed, which puts the
	doctype back on the rules in its JSON."""
	for doctype in doctypes:
		frappe.db.delete("Custom DocPerm", {"parent": doctype, "permlevel": HEALTH_BAND_PERMLEVEL})
		_back_on_standard_rules(doctype)


def _back_on_standard_rules(doctype: str) -> None:
	"""Frappe keeps a doctype's rules all in Custom DocPerm once any is added there: when those left are the
	copied standard ones, unchanged, they go, which puts the doctype back on the rules in its JSON."""
	if frappe.db.exists("DocType", doctype) and _rules("Custom DocPerm", doctype) == _rules(
		"DocPerm", doctype
	):
		frappe.db.delete("Custom DocPerm", {"parent": doctype})
	frappe.clear_cache(doctype=doctype)


def _rules(table: str, doctype: str) -> list[tuple]:
	from frappe.permissions import rights

	keys = ("role", "permlevel", "if_owner", *rights)
	rows = frappe.get_all(table, filters={"parent": doctype}, fields=list(keys))
	return sorted(tuple(row[key] or 0 for key in keys) for row in rows)


def delete_custom_fields(custom_fields: dict[str, list[dict]]) -> None:
	for doctype, fields in custom_fields.items():
		frappe.db.delete(
			"Custom Field", {"dt": doctype, "fieldname": ("in", [field["fieldname"] for field in fields])}
		)
		frappe.clear_cache(doctype=doctype)


def delete_scheduled_jobs() -> None:
	frappe.db.delete("Scheduled Job Type", {"method": ("like", "cs_success.%")})


def clear_queue() -> None:
	from cs_success.base.queue import PENDING_KEY, SCHEDULED_KEY, TASKS_KEY

	frappe.cache.delete_value([PENDING_KEY, SCHEDULED_KEY, TASKS_KEY])
