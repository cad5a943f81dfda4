"""Who may see which customers and revenue: the user's User Permissions (Customer, Company, Territory,
Customer Group) and the revenue rule (read permission on Sales Invoice), in one place for every report,
number card, list, audience and REST read of the ledger."""

from __future__ import annotations

import frappe
from frappe import _


def segment_customers(filters) -> list[str] | None:
	"""Customers in the chosen customer group and territory (with their children), and among those the
	user's User Permissions allow (on Customer, Territory and Customer Group); None: no filter at all."""
	conditions = customer_restrictions() or []
	if filters.get("customer_group"):
		conditions.append(["customer_group", "descendants of (inclusive)", filters.customer_group])
	if filters.get("territory"):
		conditions.append(["territory", "descendants of (inclusive)", filters.territory])
	if not conditions:
		return None
	return frappe.get_all("Customer", filters=conditions, pluck="name")


# Disabled customers. Recompute skips them, but their last Customer Health row (and snapshots) stay
# as history; the present-tense surfaces (number cards, health reports, survey audiences) leave them
# out through these two helpers, one for get_all filters and one for SQL. The ledger and revenue
# reports are history and keep them.


def enabled_customers_only(filters: dict | list | None = None, field: str = "customer") -> list:
	"""get_all filters (a dict or a list) plus: `field` is not a disabled Customer. Disabled customers
	are few, so a NOT IN list is cheap and needs no join."""
	if isinstance(filters, dict):
		filters = [
			[key, *value] if isinstance(value, list | tuple) else [key, "=", value]
			for key, value in filters.items()
		]
	filters = list(filters or [])
	disabled = frappe.get_all("Customer", filters={"disabled": 1}, pluck="name")
	if disabled:
		filters.append([field, "not in", disabled])
	return filters


def enabled_customer_condition(column: str) -> str:
	"""SQL: ` AND <column> is a Customer that is not disabled` (a semi-join on the primary key)."""
	return f" AND {column} IN (SELECT name FROM `tabCustomer` WHERE disabled = 0)"


# User Permissions. Frappe applies a restriction on Customer, Territory or Customer Group to a document
# through its own link fields; our reads (SQL and get_all, for speed) apply all three to the customer here,
# in one place, and a restriction on Company to the money (company_filter, report_company). Strict: a
# customer without a territory or group is outside a restriction on it.
CUSTOMER_RESTRICTIONS = {"Customer": "name", "Territory": "territory", "Customer Group": "customer_group"}


def permitted_values(doctype: str, user: str | None = None) -> list[str] | None:
	"""The records of `doctype` the user (default: the session user) is restricted to by User Permissions;
	None: none set. For Customer: the customers its restrictions on Customer, Territory and Customer Group
	allow together."""
	if doctype == "Customer":
		return permitted_customers(user)
	return _restricted_to(doctype, user)


def _restricted_to(doctype: str, user: str | None = None) -> list[str] | None:
	from frappe.permissions import get_user_permissions

	restrictions = get_user_permissions(user or frappe.session.user).get(doctype)
	return [row.get("doc") for row in restrictions] if restrictions else None


def customer_restrictions(user: str | None = None) -> list[list] | None:
	"""get_all filters on Customer for the user's restrictions on Customer, Territory and Customer Group
	(their descendants included, as Frappe lists them); None: unrestricted."""
	conditions = []
	for doctype, field in CUSTOMER_RESTRICTIONS.items():
		allowed = _restricted_to(doctype, user)
		if allowed is not None:
			conditions.append([field, "in", allowed or [""]])
	return conditions or None


def permitted_customers(user: str | None = None) -> list[str] | None:
	conditions = customer_restrictions(user)
	if conditions is None:
		return None
	return frappe.get_all("Customer", filters=conditions, pluck="name")


def customer_scope_condition(column: str, user: str | None = None, percent: bool = True) -> str:
	"""SQL: ` AND <column> is a customer the user's restrictions allow`, or "" when unrestricted. A
	semi-join, so a restriction to a large territory costs no long IN list. `percent`: the query is run
	with parameters, so a literal % is doubled."""
	parts = []
	for doctype, field in CUSTOMER_RESTRICTIONS.items():
		allowed = _restricted_to(doctype, user)
		if allowed is not None:
			values = ", ".join(frappe.db.escape(value, percent=percent) for value in allowed or [""])
			parts.append(f"`{field}` IN ({values})")
	if not parts:
		return ""
	return f" AND {column} IN (SELECT name FROM `tabCustomer` WHERE {' AND '.join(parts)})"


def visible_customers_only(filters: dict | list | None = None, field: str = "customer") -> list:
	"""enabled_customers_only, and of those only the customers the session user's User Permissions allow:
	what the number cards count."""
	filters = enabled_customers_only(filters, field)
	allowed = permitted_customers()
	if allowed is not None:
		filters.append([field, "in", allowed or [""]])
	return filters


def may_see_revenue(user: str | None = None) -> bool:
	"""Revenue per customer is Sales Invoice data: only for users who may read Sales Invoices."""
	return bool(frappe.has_permission("Sales Invoice", "read", user=user))


def require_revenue_access() -> None:
	if not may_see_revenue():
		raise frappe.PermissionError(
			_("This report shows revenue per customer: it needs permission to read Sales Invoices.")
		)


# The ledger doctypes whose every row is revenue (MRR Interval, MRR Movement, Agreement Renewal) follow the
# revenue reports' rule on every path: REST, frappe.client, report view and Desk forms (hooks.py). Frappe
# itself applies the User Permissions on the rows' Company and Customer links.


def revenue_permission(
	doc, ptype: str | None = None, user: str | None = None, debug: bool = False
) -> bool | None:
	"""has_permission hook: False for a user who may not read Sales Invoices, or whose restrictions on
	Territory or Customer Group leave out the row's customer; None (no objection) otherwise."""
	if not may_see_revenue(user):
		return False
	allowed = permitted_customers(user)
	if allowed is not None and doc.get("customer") not in allowed:
		return False
	return None


def revenue_query_conditions(user: str | None = None, doctype: str | None = None) -> str:
	"""permission_query_conditions hook: no rows at all without Sales Invoice read (an empty list, as
	Frappe answers for rows a user may not see), else only the customers the user's restrictions allow."""
	if not may_see_revenue(user):
		return "1=0"
	# Frappe runs list queries without parameters: a % stays single.
	return customer_scope_condition(f"`tab{doctype}`.`customer`", user, percent=False).removeprefix(" AND ")


def customer_filter(column: str, customers: list[str] | None) -> tuple[str, dict]:
	if customers is None:
		return "", {}
	return f" AND {column} IN %(segment)s", {"segment": tuple(customers) or ("",)}


def company_filter(column: str) -> tuple[str, dict]:
	"""Only the companies the user's User Permissions allow, when they restrict Company."""
	companies = permitted_values("Company")
	if companies is None:
		return "", {}
	return f" AND {column} IN %(permitted_companies)s", {"permitted_companies": tuple(companies)}


def require_any_role(roles, message: str) -> None:
	"""A PermissionError with `message` unless the session user has one of `roles`. Not frappe.only_for: it
	lets everyone through while tests run, so the check could not be tested."""
	if set(roles).isdisjoint(frappe.get_roles()):
		raise frappe.PermissionError(message)
