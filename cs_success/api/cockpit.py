"""The CSM cockpit (Desk page csm-cockpit): one account manager's customers by health band, open play
runs, open tasks, renewals coming up, customers nobody has talked to lately and those with room to grow.

Each section is one or two set-based reads for all of the user's customers, never a query per customer.
Permissions: a doctype-level read check for every doctype a section shows, the session user's User
Permissions on Customer applied by hand (as the reports do, cs_success.analytics), and revenue only for
users who may read Sales Invoices."""

import html
from datetime import date

import frappe
from frappe import _
from frappe.utils import add_days, getdate, now_datetime, strip_html, today

from cs_success.analytics import customer_attributes
from cs_success.base.permissions import (
	enabled_customers_only,
	may_see_revenue,
	permitted_values,
	require_any_role,
)
from cs_success.base.roles import CS_AGENT, MANAGER_ROLES, SYSTEM_MANAGER
from cs_success.engine.health_score import BANDS, NO_DATA
from cs_success.ledger.queries import PENDING, mrr_company, mrr_now, renewals_due
from cs_success.touchpoints.record import last_team_contact

COCKPIT_ROLES = (CS_AGENT, *MANAGER_ROLES)
NOT_CLOSED = ("Open", "Held", "Snoozed")
TOP_PER_BAND = 10
SORT_BY_RISK = "risk"
# Each list stops here; the page says when one did (`truncated`).
LIST_LIMIT = 100
RENEWAL_DAYS = 90
QUIET_DAYS = 30
DESCRIPTION_CHARS = 200
EXPANSION_FIELDS = (
	"name", "expansion_signals", "has_expansion_propensity", "expansion_propensity", "has_expansion_uplift",
	"expansion_uplift_mrr", "expansion_opportunity",
)  # fmt: skip
RENEWAL_FIELDS = ("name", "customer", "company", "agreement_type", "agreement", "due_date", "mrr")
# ToDos of another user a manager sees: about these documents (when the manager may read them), besides
# what Frappe's own ToDo rules show them. A private ToDo about anything else stays private.
CS_TASK_DOCTYPES = ("Play Run", "Survey Response", "Customer Health Alert")


@frappe.whitelist()
def get_cockpit(user: str | None = None, sort_by: str | None = None) -> dict:
	"""The cockpit of `user` (default: the session user). Only a CS Manager or System Manager may look at
	someone else's. `sort_by` "risk": each band's customers by churn risk in 90 days, highest first."""
	user = _cockpit_user(user)
	for doctype in ("Customer Health", "Play Run", "Agreement Renewal", "Touchpoint"):
		frappe.has_permission(doctype, "read", throw=True)
	show_mrr = may_see_revenue()
	# The one rule for "MRR now" (ledger/queries.py): for the person looking, their default company.
	company = mrr_company(user=frappe.session.user)
	customers = _my_customers(user)
	mrr = mrr_now(list(customers), company) if show_mrr and company else {}
	truncated = []

	def capped(section: str, rows: list) -> list:
		if len(rows) > LIST_LIMIT:
			truncated.append(section)
		return rows[:LIST_LIMIT]

	return {
		"user": user,
		"user_name": frappe.utils.get_fullname(user),
		"may_choose_user": _is_manager(),
		"show_mrr": show_mrr,
		"currency": frappe.get_cached_value("Company", company, "default_currency")
		if show_mrr and company
		else None,
		"customers_by_band": _customers_by_band(customers, mrr, by_risk=sort_by == SORT_BY_RISK),
		"sort_by": SORT_BY_RISK if sort_by == SORT_BY_RISK else None,
		"runs": capped("runs", _runs(user)),
		"tasks": capped("tasks", _tasks(user)),
		"renewals": capped("renewals", _renewals(customers, show_mrr)),
		"quiet_customers": capped("quiet_customers", _quiet_customers(customers)),
		"expansion": capped("expansion", _expansion(customers, show_mrr)),
		"expansion_doctype": _expansion_doctype(),
		"truncated": truncated,
	}


def _is_manager() -> bool:
	return not set(MANAGER_ROLES).isdisjoint(frappe.get_roles())


def _cockpit_user(user: str | None) -> str:
	require_any_role(COCKPIT_ROLES, _("The CSM cockpit is for CS Agents and CS Managers."))
	if not user or user == frappe.session.user:
		return frappe.session.user
	if not _is_manager():
		raise frappe.PermissionError(_("Only a CS Manager may open another user's cockpit."))
	if not frappe.db.exists("User", user):
		frappe.throw(_("User {0} does not exist.").format(user), frappe.DoesNotExistError)
	return user


def _my_customers(user: str) -> dict[str, dict]:
	"""customer -> {customer_name, band, score}: the enabled customers `user` is Account Manager of, among
	those the session user's User Permissions allow. No Customer Health record: band No Data."""
	filters = enabled_customers_only({"account_manager": user}, field="name")
	allowed = permitted_values("Customer")
	if allowed is not None:
		filters.append(["name", "in", allowed or [""]])
	customers = {
		row.name: {"customer_name": row.customer_name, "band": NO_DATA, "score": None, "churn_risk": None}
		for row in frappe.get_all("Customer", filters=filters, fields=["name", "customer_name"])
	}
	if customers:
		for row in frappe.get_all(
			"Customer Health",
			filters={"name": ("in", list(customers))},
			fields=["name", "band", "score", "has_churn_risk_90", "churn_risk_90"],
		):
			customers[row.name].update(
				band=row.band or NO_DATA,
				score=row.score,
				# Unknown (no usable model) is None, never 0 %.
				churn_risk=row.churn_risk_90 if row.has_churn_risk_90 else None,
			)
	return customers


def _customers_by_band(
	customers: dict[str, dict], mrr: dict[str, float], by_risk: bool = False
) -> list[dict]:
	"""Every band, in BANDS order, with its count, total MRR (None: nobody in it has MRR, or revenue is
	hidden) and its top customers: the most MRR at stake first, then the weakest score; or (by_risk) the
	highest churn risk first, customers without a known risk after them."""
	bands = {band: [] for band in BANDS}
	for name, row in customers.items():
		bands.setdefault(row["band"], []).append(
			{
				"customer": name,
				"customer_name": row["customer_name"],
				"score": row["score"],
				"churn_risk": row["churn_risk"],
				"mrr": mrr.get(name),
			}
		)
	result = []
	for band, rows in bands.items():
		rows.sort(
			key=lambda r: (
				-(r["mrr"] or 0),
				r["score"] if r["score"] is not None else float("inf"),
				r["customer_name"] or "",
			)
		)
		if by_risk:
			rows.sort(key=lambda r: -r["churn_risk"] if r["churn_risk"] is not None else float("inf"))
		amounts = [r["mrr"] for r in rows if r["mrr"] is not None]
		result.append(
			{
				"band": band,
				"count": len(rows),
				"mrr": sum(amounts) if amounts else None,
				"customers": rows[:TOP_PER_BAND],
			}
		)
	return result


def _runs(user: str) -> list[dict]:
	"""Runs `user` owns that are not closed, by due date (none last), for whichever customer."""
	filters = [["run_owner", "=", user], ["status", "in", NOT_CLOSED]]
	allowed = permitted_values("Customer")
	if allowed is not None:
		filters.append(["customer", "in", allowed or [""]])
	runs = frappe.get_all(
		"Play Run",
		filters=filters,
		fields=["name", "play", "customer", "reason", "status", "due_date", "snoozed_until"],
		order_by="due_date is null, due_date asc, enrolled_on asc, name asc",
		limit=LIST_LIMIT + 1,
	)
	names = customer_attributes({run.customer for run in runs}, fields=("customer_name",))
	for run in runs:
		run["customer_name"] = names[run.customer].customer_name if run.customer in names else run.customer
	return runs


def _tasks(user: str) -> list[dict]:
	"""`user`'s open ToDos by date (none last), the description as plain text. Someone else's cockpit shows
	what Frappe's ToDo rules let the viewer see (a System Manager: all; others: what they assigned) and
	the tasks about play runs, survey answers and alerts, which a manager may read."""
	or_filters = None
	if user != frappe.session.user and SYSTEM_MANAGER not in frappe.get_roles():
		readable = [doctype for doctype in CS_TASK_DOCTYPES if frappe.has_permission(doctype, "read")]
		or_filters = [["reference_type", "in", readable or [""]], ["assigned_by", "=", frappe.session.user]]
	tasks = frappe.get_all(
		"ToDo",
		filters={"allocated_to": user, "status": "Open"},
		or_filters=or_filters,
		fields=["name", "description", "date", "priority", "reference_type", "reference_name"],
		order_by="`date` is null, `date` asc, creation asc",
		limit=LIST_LIMIT + 1,
	)
	customers = _task_customers(tasks)
	names = customer_attributes(set(customers.values()), fields=("customer_name",))
	for task in tasks:
		task["description"] = plain_text(task.description)
		task["customer"] = customers.get((task.reference_type, task.reference_name))
		task["customer_name"] = names[task.customer].customer_name if task.customer in names else None
	return tasks


def _task_customers(tasks: list[dict]) -> dict[tuple[str, str], str]:
	"""(reference_type, reference_name) -> customer, for tasks about play runs, answers and alerts: the page
	says whose task it is rather than a run's hash. One read per doctype."""
	customers = {}
	for doctype in CS_TASK_DOCTYPES:
		names = [task.reference_name for task in tasks if task.reference_type == doctype]
		if names:
			for name, customer in frappe.get_all(
				doctype, filters={"name": ("in", names)}, fields=["name", "customer"], as_list=True
			):
				customers[(doctype, name)] = customer
	return customers


def plain_text(description: str | None, limit: int = DESCRIPTION_CHARS) -> str:
	"""A ToDo's HTML description as one line of text, cut at `limit` characters. The page escapes it."""
	text = " ".join(html.unescape(strip_html(description or "")).split())
	if len(text) > limit:
		text = text[: limit - 1].rstrip() + "…"
	return text


def _renewals(customers: dict[str, dict], show_mrr: bool) -> list[dict]:
	"""Pending renewals of the user's customers due from today to RENEWAL_DAYS ahead, by due date."""
	if not customers:
		return []
	start = getdate(today())
	rows = renewals_due(
		start,
		add_days(start, RENEWAL_DAYS),
		outcome=PENDING,
		customers=list(customers),
		limit=LIST_LIMIT + 1,
		fields=RENEWAL_FIELDS,
	)
	for row in rows:
		row["customer_name"] = customers[row.customer]["customer_name"]
		row["currency"] = row.company and frappe.get_cached_value("Company", row.company, "default_currency")
		if not show_mrr:
			row["mrr"] = None
	return rows


def _expansion(customers: dict[str, dict], show_mrr: bool) -> list[dict]:
	"""The user's customers with room to grow (growth/signals.py) or an open expansion opportunity: the
	signals in words, the propensity (None: no usable model), the uplift (revenue readers only); highest
	propensity first, then the largest uplift."""
	from cs_success.growth.opportunities import signal_texts
	from cs_success.growth.signals import signal_summary

	if not customers:
		return []
	rows = frappe.get_all(
		"Customer Health",
		filters={"name": ("in", list(customers)), "has_expansion_signal": 1},
		fields=list(EXPANSION_FIELDS),
	)
	found = [
		{
			"customer": row.name,
			"customer_name": customers[row.name]["customer_name"],
			"signals": signal_texts(signal_summary(row.expansion_signals)),
			"propensity": row.expansion_propensity if row.has_expansion_propensity else None,
			"uplift_mrr": row.expansion_uplift_mrr if show_mrr and row.has_expansion_uplift else None,
			"opportunity": row.expansion_opportunity,
		}
		for row in rows
	]
	found.sort(key=lambda r: (-(r["propensity"] or -1), -(r["uplift_mrr"] or 0), r["customer_name"] or ""))
	return found


def _expansion_doctype() -> str:
	"""Where the expansion opportunities are: an ERPNext Opportunity, or a CRM Deal with Frappe CRM."""
	from cs_success.growth.pipeline import sales_pipeline

	return sales_pipeline().doctype


def _quiet_customers(customers: dict[str, dict]) -> list[dict]:
	"""The user's customers with no touchpoint by the team in the last QUIET_DAYS days: never contacted
	first, then the longest silent."""
	if not customers:
		return []
	last = last_team_contact(customers)  # the health measure's contact: tickets and answers are not it
	cutoff = add_days(now_datetime(), -QUIET_DAYS)
	quiet = [
		{
			"customer": name,
			"customer_name": row["customer_name"],
			"band": row["band"],
			"last_touchpoint": getdate(last[name]) if last.get(name) else None,
		}
		for name, row in customers.items()
		if not last.get(name) or last[name] < cutoff
	]
	quiet.sort(key=lambda r: (r["last_touchpoint"] or date.min, r["customer_name"] or "", r["customer"]))
	return quiet
