"""Tier 2 test set-up and factories. Records are named `_CS Test ...` and rolled back with each class."""

from __future__ import annotations

import frappe
from frappe.utils import add_days, getdate, now_datetime, today

from cs_success.base.bulk import insert_rows
from cs_success.base.queue import flush

SERVICE_ITEM = "_CS Test Service"


def before_tests():
	from erpnext.setup.utils import before_tests as erpnext_before_tests

	erpnext_before_tests()
	from cs_success.install import after_install

	# A site that had the app before the test data existed still needs roles, measures, scorecard.
	after_install()
	reset_default_scorecard()
	ensure_fiscal_years()
	frappe.db.commit()


def ensure_fiscal_years() -> None:
	"""Tests post invoices up to two years back and a year ahead; a fresh site has only this year."""
	year = getdate(today()).year
	for fiscal_year in range(year - 3, year + 2):
		start, end = f"{fiscal_year}-01-01", f"{fiscal_year}-12-31"
		if frappe.db.exists("Fiscal Year", {"year_start_date": start}) or frappe.db.sql(
			"SELECT 1 FROM `tabFiscal Year` WHERE year_start_date <= %s AND year_end_date >= %s", (end, start)
		):
			continue
		frappe.get_doc(
			{
				"doctype": "Fiscal Year",
				"year": str(fiscal_year),
				"year_start_date": start,
				"year_end_date": end,
			}
		).insert(ignore_permissions=True)


def reset_default_scorecard():
	"""Tests expect the built-in weights: on a test site the Default scorecard is put back to them
	(an upgrade only ever adds new measures to it disabled)."""
	from cs_success.engine.measures import default_rules

	scorecard = frappe.get_doc("Health Scorecard", {"is_default": 1})
	scorecard.set(
		"measures",
		[
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
	)
	scorecard.save(ignore_permissions=True)


def reset_health_queue():
	"""Start a test with no pending recomputes and no drain marked as queued. (A web server run by an
	earlier browser test enqueues real jobs that no worker picks up in a test run.)"""
	from cs_success.base.queue import PENDING_KEY, SCHEDULED_KEY, TASKS_KEY

	frappe.flags.cs_health_pending = None
	frappe.flags.cs_deferred_tasks = None
	frappe.cache.delete_value([PENDING_KEY, SCHEDULED_KEY, TASKS_KEY])


def run_pending_recomputes():
	"""What commit does after a real request: hand the noted customers and deferred tasks to the
	(inline) drain."""
	flush()


def company() -> str:
	return (
		frappe.defaults.get_global_default("company") or frappe.get_all("Company", pluck="name", limit=1)[0]
	)


def make_customer(label: str = "Customer", **fields) -> str:
	doc = frappe.get_doc(
		{
			"doctype": "Customer",
			"customer_name": f"_CS Test {label} {frappe.generate_hash(length=6)}",
			"customer_group": fields.pop("customer_group", None)
			or frappe.db.get_value("Customer Group", {"is_group": 0}, "name"),
			"territory": fields.pop("territory", None)
			or frappe.db.get_value("Territory", {"is_group": 0}, "name"),
			**fields,
		}
	).insert(ignore_permissions=True)
	return doc.name


def make_issue(customer: str, status: str = "Open", **fields):
	return frappe.get_doc(
		{
			"doctype": "Issue",
			"subject": f"_CS Test issue {frappe.generate_hash(length=6)}",
			"customer": customer,
			"status": status,
			**fields,
		}
	).insert(ignore_permissions=True)


def service_item() -> str:
	if not frappe.db.exists("Item", SERVICE_ITEM):
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": SERVICE_ITEM,
				"item_name": SERVICE_ITEM,
				"item_group": frappe.db.get_value("Item Group", {"is_group": 0}, "name") or "All Item Groups",
				"stock_uom": "Nos",
				"is_stock_item": 0,
			}
		).insert(ignore_permissions=True)
	return SERVICE_ITEM


def make_sales_invoice(
	customer: str,
	amount: float = 100,
	posting_date=None,
	due_date=None,
	*,
	company_name: str | None = None,
	currency: str | None = None,
	conversion_rate: float | None = None,
	period: tuple | None = None,
	return_against: str | None = None,
	item_code: str | None = None,
	debit_to: str | None = None,
):
	"""A submitted invoice of one service line. `period`: the invoice's from/to dates; `return_against`:
	a credit note of `amount` against that invoice."""
	posting_date = posting_date or today()
	invoice = frappe.new_doc("Sales Invoice")
	invoice.customer = customer
	invoice.company = company_name or company()
	invoice.set_posting_time = 1
	invoice.posting_date = posting_date
	invoice.due_date = due_date or posting_date
	if currency:
		invoice.currency = currency
		invoice.conversion_rate = conversion_rate or 1
	if debit_to:
		invoice.debit_to = debit_to
	if period:
		invoice.from_date, invoice.to_date = period
	if return_against:
		invoice.is_return = 1
		invoice.return_against = return_against
	invoice.append(
		"items",
		{"item_code": item_code or service_item(), "qty": -1 if return_against else 1, "rate": amount},
	)
	invoice.insert(ignore_permissions=True)
	invoice.submit()
	return invoice


def make_monthly_invoices(customer: str, amount: float, first: str, months: int, **kwargs) -> None:
	"""One invoice a month for `months` months, posted on the day of the month of `first`."""
	start = getdate(first)
	for i in range(months):
		year, month = divmod(start.month - 1 + i, 12)
		make_sales_invoice(
			customer, amount, posting_date=start.replace(year=start.year + year, month=month + 1), **kwargs
		)


def delete_invoices(names) -> None:
	"""Committed test invoices: cancelled, their ledger entries (kept by ERPNext for cancelled
	documents) and the invoices removed, so the customer can go too."""
	for name in names:
		invoice = frappe.get_doc("Sales Invoice", name)
		if invoice.docstatus == 1:
			invoice.cancel()
		for ledger in ("GL Entry", "Payment Ledger Entry"):
			frappe.db.delete(ledger, {"voucher_type": "Sales Invoice", "voucher_no": name})
		frappe.delete_doc("Sales Invoice", name, force=True, ignore_permissions=True)


def pay_invoice(invoice_name: str, posting_date=None):
	from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry

	payment = get_payment_entry("Sales Invoice", invoice_name)
	payment.posting_date = posting_date or today()
	payment.reference_no = f"_CS Test {frappe.generate_hash(length=6)}"
	payment.reference_date = payment.posting_date
	payment.insert(ignore_permissions=True)
	payment.submit()
	return payment


def make_subscription(
	customer: str,
	start_date=None,
	*,
	cost: float = 100,
	interval: str = "Month",
	interval_count: int = 1,
	qty: int = 1,
	end_date=None,
):
	plan_name = f"_CS Test {cost:g} per {interval_count} {interval}"
	if not frappe.db.exists("Subscription Plan", plan_name):
		frappe.get_doc(
			{
				"doctype": "Subscription Plan",
				"plan_name": plan_name,
				"item": service_item(),
				"price_determination": "Fixed Rate",
				"cost": cost,
				"currency": frappe.get_cached_value("Company", company(), "default_currency"),
				"billing_interval": interval,
				"billing_interval_count": interval_count,
			}
		).insert(ignore_permissions=True)
	return frappe.get_doc(
		{
			"doctype": "Subscription",
			"party_type": "Customer",
			"party": customer,
			"company": company(),
			"start_date": start_date or add_days(today(), -10),
			"end_date": end_date,
			"plans": [{"plan": plan_name, "qty": qty}],
		}
	).insert(ignore_permissions=True)


def make_user(*roles: str) -> str:
	roles = [role for role in roles if role]
	email = (
		f"_cs_test_{frappe.scrub(roles[0] if roles else 'none')}_{frappe.generate_hash(length=5)}@example.com"
	)
	user = frappe.get_doc(
		{
			"doctype": "User",
			"email": email,
			"first_name": "CS Test",
			"send_welcome_email": 0,
			"roles": [{"role": role} for role in roles],
		}
	).insert(ignore_permissions=True)
	return user.name


def health(customer: str):
	return frappe.get_doc("Customer Health", customer)


def measure(customer: str, key: str):
	return next((row for row in health(customer).measures if row.measure == key), None)


def make_contact(customer: str, email: str | None = None, **fields) -> str:
	email = email or f"cs-test-{frappe.generate_hash(length=8)}@example.com"
	contact = frappe.get_doc(
		{
			"doctype": "Contact",
			"first_name": fields.pop("first_name", "Casey"),
			"email_ids": [{"email_id": email, "is_primary": 1}],
			"links": [{"link_doctype": "Customer", "link_name": customer}],
			**fields,
		}
	).insert(ignore_permissions=True)
	return contact.name


def ensure_outgoing_email_account() -> str:
	"""Invitations go to the email queue; nothing is sent in tests, but an account must exist."""
	name = "_CS Test Outgoing"
	if not frappe.db.exists("Email Account", name):
		frappe.get_doc(
			{
				"doctype": "Email Account",
				"email_account_name": name,
				"email_id": "cs-test-outgoing@example.com",
				"enable_outgoing": 1,
				"default_outgoing": 1,
				"smtp_server": "127.0.0.1",
				"no_smtp_authentication": 1,
			}
		).insert(ignore_permissions=True)
	return name


def make_campaign(template: str = "Net Promoter Score", **fields):
	return frappe.get_doc(
		{
			"doctype": "Survey Campaign",
			"campaign_name": f"_CS Test Campaign {frappe.generate_hash(length=6)}",
			"template": template,
			"purpose": fields.pop("purpose", "Periodic"),
			"audience": fields.pop("audience", "Customer Group"),
			"status": fields.pop("status", "Active"),
			**fields,
		}
	).insert(ignore_permissions=True)


def invitation_email_html(invitation: str) -> str:
	"""The HTML part of the queued email for an invitation, decoded."""
	import email

	message = frappe.db.get_value(
		"Email Queue", {"reference_doctype": "Survey Invitation", "reference_name": invitation}, "message"
	)
	parsed = email.message_from_string(message)
	for part in parsed.walk():
		if part.get_content_type() == "text/html":
			return part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8")
	raise AssertionError("no HTML part in the queued email")


def token_from_email(invitation: str) -> str:
	import re

	match = re.search(r"token=([A-Za-z0-9_-]{43})", invitation_email_html(invitation))
	assert match, "no survey link in the email"
	return match.group(1)


def make_contract(
	customer: str, start_date, end_date=None, signed: bool = True, value=None, submit: bool = True
):
	contract = frappe.get_doc(
		{
			"doctype": "Contract",
			"party_type": "Customer",
			"party_name": customer,
			"start_date": start_date,
			"end_date": end_date,
			"is_signed": int(signed),
			"signee": "CS Test Signee" if signed else None,
			"contract_terms": "Service as agreed.",
			"cs_contract_value": value,
		}
	).insert(ignore_permissions=True)
	if submit:
		contract.submit()
	return contract


def make_customer_group(label: str = "Group") -> str:
	return (
		frappe.get_doc(
			{
				"doctype": "Customer Group",
				"customer_group_name": f"_CS {label} {frappe.generate_hash(length=5)}",
				"parent_customer_group": "All Customer Groups",
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


def make_territory(label: str = "Territory", parent: str = "All Territories", is_group: int = 0) -> str:
	return (
		frappe.get_doc(
			{
				"doctype": "Territory",
				"territory_name": f"_CS {label} {frappe.generate_hash(length=5)}",
				"parent_territory": parent,
				"is_group": is_group,
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


def restrict_user(user: str, doctype: str, value: str) -> None:
	"""A User Permission: `user` sees only `value` of `doctype` (and its descendants in a tree)."""
	frappe.get_doc({"doctype": "User Permission", "user": user, "allow": doctype, "for_value": value}).insert(
		ignore_permissions=True
	)


# Our doctypes' standard columns, for rows written in bulk the way the ledger and health write them.
STANDARD = ["name", "creation", "modified", "owner", "modified_by", "docstatus"]


def make_play(trigger: str, **fields):
	return frappe.get_doc(
		{
			"doctype": "Play",
			"play_name": f"_CS Test Play {frappe.generate_hash(length=6)}",
			"trigger": trigger,
			"owner_rule": fields.pop("owner_rule", "User"),
			"owner_user": fields.pop("owner_user", "Administrator"),
			"re_enrolment": fields.pop("re_enrolment", "Every Time"),
			"actions": fields.pop("actions", [{"action_type": "Task", "subject": "Call them"}]),
			**fields,
		}
	).insert(ignore_permissions=True)


def ledger_rows(doctype: str, columns: list[str], rows: list[tuple]) -> None:
	now, user = now_datetime(), frappe.session.user
	insert_rows(
		doctype,
		[*STANDARD, *columns],
		[(frappe.generate_hash(length=20), now, now, user, user, 0, *r) for r in rows],
	)


def active_since(customer: str, day) -> None:
	ledger_rows("Customer Active Span", ["customer", "from_date"], [(customer, day)])


def make_survey_response(customer: str, headline_type: str, score: int) -> None:
	"""A stored answer. db_insert: a response is only ever created through a survey link; reports and cards
	read the stored row."""
	frappe.get_doc(
		{
			"doctype": "Survey Response",
			"customer": customer,
			"headline_type": headline_type,
			"headline_score": score,
			"submitted_on": now_datetime(),
		}
	).db_insert()


def make_nps_answer(customer: str, score: int, contact: str | None = None, submitted_on=None) -> str:
	"""A stored NPS answer of `contact` at `customer` (db_insert, as make_survey_response), on a given
	datetime (default: now)."""
	doc = frappe.get_doc(
		{
			"doctype": "Survey Response",
			"customer": customer,
			"contact": contact,
			"headline_type": "NPS",
			"headline_score": score,
			"submitted_on": submitted_on or now_datetime(),
		}
	)
	doc.db_insert()
	return doc.name


def make_advocacy_ask(customer: str, contact: str | None = None, asked_on=None, **fields) -> str:
	"""A stored ask (db_insert: the rules of a new ask are not what a test of an earlier ask is about)."""
	doc = frappe.get_doc(
		{
			"doctype": "Advocacy Ask",
			"customer": customer,
			"contact": contact,
			"ask_type": fields.pop("ask_type", "Review"),
			"status": fields.pop("status", "Asked"),
			"asked_on": asked_on or today(),
			**fields,
		}
	)
	doc.set_new_name()
	doc.db_insert()
	return doc.name


def index_columns(doctype: str, index: str) -> list[str]:
	"""The columns of one index of a doctype's table, in order; [] when there is no such index."""
	rows = frappe.db.sql(f"SHOW INDEX FROM `tab{doctype}` WHERE Key_name = %s", index, as_dict=True)
	return [row.Column_name for row in sorted(rows, key=lambda row: row.Seq_in_index)]
