"""Reproducible demo data for evaluating CS Success: `bench --site S cs-success demo --customers N`.

Every document the demo creates is listed in *CS Demo Record*, which only System Managers can read and
nobody can edit in Desk, and `--clear` removes only those. The "CS Demo" tag on its customers is for
finding them in lists: anyone can tag any customer, so the clear never goes by it.
"""

from __future__ import annotations

import random

import frappe
from frappe import _
from frappe.utils import add_days, add_to_date, date_diff, getdate, now_datetime, today

DEMO_TAG = "CS Demo"
DEMO_ITEM = "Demo Success Service"
DEMO_PLAN = "Demo Success Plan Monthly"
DEMO_CAMPAIGN = "Demo NPS Pulse"
GROUPS = ("Demo Enterprise", "Demo Mid-Market", "Demo Startup")
TERRITORIES = ("Demo Baltics", "Demo Turkey", "Demo Nordics")
LANGUAGES = ("en", "lv", "lt", "ru", "tr")
NAME_PARTS = (
	("Amber", "Baltic", "Cobalt", "Delta", "Ember", "Fjord", "Granite", "Harbor", "Iris", "Juniper", "Kestrel", "Linden"),
	("Logistics", "Textiles", "Foods", "Energy", "Software", "Retail", "Clinics", "Motors", "Studios", "Farms"),
)  # fmt: skip


class DemoRefused(frappe.ValidationError):
	pass


def demo_customers() -> list[str]:
	"""Customers the demo created that still exist."""
	names = _recorded("Customer")
	return frappe.get_all("Customer", filters={"name": ("in", names)}, pluck="name") if names else []


def _recorded(doctype: str) -> list[str]:
	return frappe.get_all(
		"CS Demo Record", filters={"reference_doctype": doctype}, pluck="reference_name", distinct=True
	)


def _record(doctype: str, name: str, customer: str | None = None) -> None:
	frappe.get_doc(
		{
			"doctype": "CS Demo Record",
			"reference_doctype": doctype,
			"reference_name": name,
			"customer": customer,
		}
	).insert(ignore_permissions=True)


def has_real_data() -> bool:
	"""Customers or invoices that the demo did not create."""
	demo = set(demo_customers())
	others = frappe.get_all(
		"Customer", filters={"name": ("not in", list(demo) or [""])}, pluck="name", limit=1
	)
	return bool(others)


def create_demo_data(customers: int = 50, seed: int = 42, force: bool = False) -> dict:
	if has_real_data() and not force:
		raise DemoRefused(
			_("This site already has customers that are not demo data. Use --force to add demo data anyway.")
		)
	company = frappe.defaults.get_global_default("company")
	if not company:
		frappe.throw(_("Finish the ERPNext setup (a company) before creating demo data."))
	rng = random.Random(seed)
	_masters(company)
	start = len(demo_customers())
	created = {
		"customers": 0,
		"issues": 0,
		"invoices": 0,
		"payments": 0,
		"contracts": 0,
		"subscriptions": 0,
		"cancelled": 0,  # subscriptions and contracts
		"touchpoints": 0,
		"plans": 0,
		"responses": 0,
	}
	for index in range(start, start + customers):
		_customer(rng, index, company, created)
		if index % 10 == 9:
			frappe.db.commit()
	_survey_responses(rng, created)
	from cs_success.health.recompute import recompute_all
	from cs_success.ledger.build import rebuild_customers

	recompute_all()
	# Now rather than when a worker drains the queue: the retention and revenue reports read it.
	rebuild_customers(demo_customers())
	_history(rng)
	frappe.db.commit()
	return created


def _masters(company: str) -> None:
	# Only the masters made here are recorded: one a user had already made under the same name stays.
	for group in GROUPS:
		if not frappe.db.exists("Customer Group", group):
			frappe.get_doc(
				{
					"doctype": "Customer Group",
					"customer_group_name": group,
					"parent_customer_group": "All Customer Groups",
				}
			).insert()
			_record("Customer Group", group)
	for territory in TERRITORIES:
		if not frappe.db.exists("Territory", territory):
			frappe.get_doc(
				{"doctype": "Territory", "territory_name": territory, "parent_territory": "All Territories"}
			).insert()
			_record("Territory", territory)
	if not frappe.db.exists("Item", DEMO_ITEM):
		_record("Item", DEMO_ITEM)
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": DEMO_ITEM,
				"item_group": frappe.db.get_value("Item Group", {"is_group": 0}, "name") or "All Item Groups",
				"stock_uom": "Nos",
				"is_stock_item": 0,
			}
		).insert()
	if not frappe.db.exists("Subscription Plan", DEMO_PLAN):
		_record("Subscription Plan", DEMO_PLAN)
		frappe.get_doc(
			{
				"doctype": "Subscription Plan",
				"plan_name": DEMO_PLAN,
				"item": DEMO_ITEM,
				"currency": frappe.get_cached_value("Company", company, "default_currency"),
				"price_determination": "Fixed Rate",
				"cost": 500,
				"billing_interval": "Month",
				"billing_interval_count": 1,
			}
		).insert()


def _customer(rng: random.Random, index: int, company: str, created: dict) -> str:
	name = f"Demo {rng.choice(NAME_PARTS[0])} {rng.choice(NAME_PARTS[1])} {index + 1:04d}"
	customer = frappe.get_doc(
		{
			"doctype": "Customer",
			"customer_name": name,
			"customer_group": rng.choice(GROUPS),
			"territory": rng.choice(TERRITORIES),
			"language": rng.choice(LANGUAGES),
			"account_manager": "Administrator",
		}
	).insert()
	_record("Customer", customer.name, customer.name)
	frappe.db.set_value("Customer", customer.name, "_user_tags", f",{DEMO_TAG}", update_modified=False)
	created["customers"] += 1
	contact = frappe.get_doc(
		{
			"doctype": "Contact",
			"first_name": rng.choice(("Anna", "Jānis", "Rūta", "Olga", "Mehmet", "Elif", "Lars")),
			"email_ids": [{"email_id": f"demo-{index + 1:04d}@example.com", "is_primary": 1}],
			"links": [{"link_doctype": "Customer", "link_name": customer.name}],
		}
	).insert()
	_record("Contact", contact.name, customer.name)

	risk = rng.random()  # a few customers are in real trouble
	for _issue in range(rng.randint(0, 3) + (4 if risk > 0.8 else 0)):
		issue = frappe.get_doc(
			{
				"doctype": "Issue",
				"subject": rng.choice(
					("Login fails", "Invoice question", "Export is slow", "Feature request")
				),
				"customer": customer.name,
			}
		).insert()
		_record("Issue", issue.name, customer.name)
		if rng.random() < 0.6:
			issue.db_set({"status": "Closed", "opening_date": add_days(today(), -rng.randint(5, 120))})
		created["issues"] += 1

	for _invoice in range(rng.randint(1, 5)):
		posted = add_days(today(), -rng.randint(20, 300))
		invoice = frappe.new_doc("Sales Invoice")
		invoice.update(
			{
				"customer": customer.name,
				"company": company,
				"set_posting_time": 1,
				"posting_date": posted,
				"due_date": add_days(posted, 30),
			}
		)
		invoice.append(
			"items", {"item_code": DEMO_ITEM, "qty": 1, "rate": rng.choice((250, 500, 1200, 4000))}
		)
		invoice.insert()
		_record("Sales Invoice", invoice.name, customer.name)
		invoice.submit()
		created["invoices"] += 1
		if rng.random() < (0.4 if risk > 0.7 else 0.85) and getdate(add_days(posted, 30)) < getdate(today()):
			_record("Payment Entry", _pay(invoice, add_days(posted, rng.randint(10, 70))), customer.name)
			created["payments"] += 1

	if rng.random() < 0.7:
		started = add_days(today(), -rng.randint(200, 700))
		ends = add_days(started, 365 * rng.choice((1, 2)))
		contract = frappe.get_doc(
			{
				"doctype": "Contract",
				"party_type": "Customer",
				"party_name": customer.name,
				"start_date": started,
				"end_date": ends,
				"is_signed": 1,
				"signee": "Demo Signee",
				"contract_terms": "Demo service agreement.",
			}
		).insert()
		_record("Contract", contract.name, customer.name)
		contract.submit()
		created["contracts"] += 1
		if rng.random() < 0.15:  # withdrawn
			contract.cancel()
			created["cancelled"] += 1
		elif getdate(ends) < getdate(today()) and rng.random() < 0.6:  # most renew
			renewal = frappe.copy_doc(contract)
			renewal.update(
				{"start_date": add_days(ends, 1), "end_date": add_days(ends, 366), "amended_from": None}
			)
			renewal.insert()
			_record("Contract", renewal.name, customer.name)
			renewal.submit()
			created["contracts"] += 1

	if rng.random() < 0.4:
		_subscriptions(rng, customer.name, company, created)

	from cs_success.touchpoints.record import record_touchpoint

	for n in range(rng.randint(0, 6)):
		kind = rng.choice(("Call", "Meeting", "Email", "Training", "QBR", "Note"))
		record_touchpoint(
			customer.name,
			kind,
			f"{kind} with {name}",
			source_key=f"demo:{customer.name}:{n}",
			touchpoint_date=add_to_date(now_datetime(), days=-rng.randint(0, 150)),
			sentiment=rng.choice(("Positive", "Neutral", "Neutral", "Negative")),
		)
		created["touchpoints"] += 1

	if rng.random() < 0.3:
		from cs_success.success_plans.planning import create_plan_from_template

		plan = create_plan_from_template(
			rng.choice(("Onboarding 30/60/90", "Quarterly Business Review", "Renewal Readiness")),
			customer.name,
			add_days(today(), -rng.randint(0, 80)),
		)
		for task in plan.tasks:
			if rng.random() < 0.5:
				task.status = "Done"
		plan.save()
		created["plans"] += 1
	return customer.name


def _subscriptions(rng: random.Random, customer: str, company: str, created: dict) -> None:
	"""A subscription started in the past: an annual term or rolling monthly, some cancelled, and some
	that stopped (cancelled or term ended) are followed by a renewal."""
	started = add_days(today(), -rng.randint(45, 720))
	for _term in range(3):
		ends = add_days(started, 364) if rng.random() < 0.5 else None  # a yearly term, or rolling monthly
		cancelled_on = None
		if rng.random() < 0.2:
			# One draw whatever the dates, so a seed gives the same data relative to any today.
			cut = rng.random()
			span = date_diff(min(getdate(ends or today()), getdate(add_days(today(), -1))), started)
			if span > 31:
				cancelled_on = add_days(started, 31 + int(cut * (span - 31)))
		_subscription(customer, company, started, ends, cancelled_on)
		created["subscriptions"] += 1
		created["cancelled"] += bool(cancelled_on)
		stopped_on = cancelled_on or (ends if getdate(ends or today()) < getdate(today()) else None)
		if not stopped_on or rng.random() >= 0.6:
			return
		started = add_days(stopped_on, rng.randint(1, 45))
		if getdate(started) >= getdate(today()):
			return


def _subscription(customer: str, company: str, started, ends, cancelled_on) -> None:
	subscription = frappe.get_doc(
		{
			"doctype": "Subscription",
			"party_type": "Customer",
			"party": customer,
			"company": company,
			"start_date": started,
			"end_date": ends,
			"plans": [{"plan": DEMO_PLAN, "qty": 1}],
			# Draft invoices only, and only if the scheduler ever bills it: the demo itself bills nothing.
			"generate_invoice_at": "Beginning of the current subscription period",
			"submit_invoice": 0,
			"days_until_due": 30,
		}
	).insert()
	_record("Subscription", subscription.name, customer)
	# Walk the billing period up to today (or the stop) the way Subscription.process() does each
	# period, without generating the invoices.
	stop = min(getdate(d) for d in (today(), ends, cancelled_on) if d)
	while getdate(subscription.current_invoice_end) < stop:
		subscription.update_subscription_period(add_days(subscription.current_invoice_end, 1))
	if cancelled_on:
		# What cancel_subscription() sets, but dated in the past (it always uses today, and bills the
		# period so far).
		subscription.update({"status": "Cancelled", "cancelation_date": cancelled_on})
	elif ends and getdate(ends) < getdate(today()):
		subscription.status = "Completed"  # as set_subscription_status() does after the end date
	subscription.save()


def _pay(invoice, paid_on) -> str:
	from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry

	payment = get_payment_entry("Sales Invoice", invoice.name)
	payment.update(
		{"posting_date": paid_on, "reference_no": f"DEMO-{invoice.name}", "reference_date": paid_on}
	)
	payment.insert()
	payment.submit()
	return payment.name


def _survey_responses(rng: random.Random, created: dict) -> None:
	"""Answered NPS invitations for about half the demo contacts. No email is queued: the demo must
	never write to real inboxes."""
	from cs_success.surveys.delivery import create_invitation, recipients_for
	from cs_success.surveys.links import token_for

	if not frappe.db.exists("Survey Campaign", DEMO_CAMPAIGN):
		frappe.get_doc(
			{
				"doctype": "Survey Campaign",
				"campaign_name": DEMO_CAMPAIGN,
				"template": "Net Promoter Score",
				"purpose": "Periodic",
				"audience": "All Customers",
				"status": "Completed",
				"recontact_window_days": 0,
			}
		).insert()
		_record("Survey Campaign", DEMO_CAMPAIGN)
	campaign = frappe.get_doc("Survey Campaign", DEMO_CAMPAIGN)
	for recipient in recipients_for(demo_customers(), campaign):
		if frappe.db.exists("Survey Invitation", {"campaign": DEMO_CAMPAIGN, "email": recipient.email}):
			continue
		invitation = create_invitation(campaign, recipient)
		sent_on = add_to_date(now_datetime(), days=-rng.randint(1, 60))
		invitation.db_set({"status": "Sent", "sent_on": sent_on, "expires_on": add_to_date(sent_on, days=90)})
		if rng.random() < 0.55:
			score = rng.choices(range(11), weights=(1, 1, 1, 1, 2, 2, 3, 6, 8, 9, 8))[0]
			frappe.get_doc(
				{
					"doctype": "Survey Response",
					"token": token_for(invitation),
					"answers_json": frappe.as_json(
						{"1": score, "2": rng.choice(("Great support", "Too expensive", "", "Reliable"))}
					),
				}
			).insert(ignore_permissions=True)
			created["responses"] += 1


def _history(rng: random.Random) -> None:
	"""Ninety days of daily snapshots, walking back from today's score, so trend charts have a shape."""
	rows = frappe.get_all(
		"Customer Health",
		filters={"customer": ("in", demo_customers())},
		fields=["customer", "score", "band"],
	)
	values = []
	for row in rows:
		score = row.score
		for day in range(1, 91):
			score = max(0.0, min(100.0, score + rng.uniform(-2.5, 2.5)))
			band = "Healthy" if score >= 75 else "At Risk" if score >= 50 else "Critical"
			values.append(
				(
					frappe.generate_hash(length=20),
					row.customer,
					add_days(today(), -day),
					"Daily",
					round(score, 1),
					band,
					round(score, 1),
					now_datetime(),
					now_datetime(),
					"Administrator",
					"Administrator",
				)
			)
	frappe.db.bulk_insert(
		"Customer Health Snapshot",
		[
			"name",
			"customer",
			"snapshot_date",
			"kind",
			"score",
			"band",
			"computed_score",
			"creation",
			"modified",
			"owner",
			"modified_by",
		],
		values,
		ignore_duplicates=True,
	)


def clear_demo_data() -> int:
	"""Remove what the demo created and nothing else. A demo customer that now has documents the demo
	did not make (an invoice, a contact, a payment someone added) is kept with everything the demo made
	for it, and so are demo masters still in use: removing them would orphan or delete a user's work.
	Returns how many customers were removed; demo_customers() then lists those kept."""
	removed = 0
	for customer in _recorded("Customer"):
		own = {
			(row.reference_doctype, row.reference_name)
			for row in frappe.get_all(
				"CS Demo Record",
				filters={"customer": customer},
				fields=["reference_doctype", "reference_name"],
			)
		}
		# Invoices the scheduler billed for a demo subscription are the demo's too.
		if subscriptions := [name for doctype, name in own if doctype == "Subscription"]:
			for name in frappe.get_all(
				"Sales Invoice",
				filters={"customer": customer, "subscription": ("in", subscriptions)},
				pluck="name",
			):
				own.add(("Sales Invoice", name))
		if frappe.db.exists("Customer", customer) and _foreign_document(customer, own):
			continue
		_delete_customer_documents(customer, own)
		frappe.db.delete("CS Demo Record", {"customer": customer})
		removed += 1
		frappe.db.commit()

	for name in _recorded("Survey Campaign"):
		# The removed customers took their invitations with them; any left are for kept customers.
		if frappe.db.exists("Survey Invitation", {"campaign": name}):
			continue
		if frappe.db.exists("Survey Campaign", name):
			frappe.delete_doc("Survey Campaign", name, force=True)
		frappe.db.delete("CS Demo Record", {"reference_doctype": "Survey Campaign", "reference_name": name})
	for doctype in ("Subscription Plan", "Item", "Customer Group", "Territory"):
		for name in _recorded(doctype):
			if not frappe.db.exists(doctype, name) or _delete_unless_in_use(doctype, name):
				frappe.db.delete("CS Demo Record", {"reference_doctype": doctype, "reference_name": name})
	frappe.db.commit()
	return removed


# Rows that the demo's own invoices and payments leave behind, and logs about the customer: none of
# them means someone is using it.
NOT_USE = {"GL Entry", "Payment Ledger Entry", "Error Log", "Deleted Document"}


def _foreign_document(customer: str, own: set[tuple[str, str]]) -> tuple[str, str] | None:
	"""The first document linking to `customer` that the demo did not create, if any. Every Link and
	Dynamic Link to Customer is checked, as Frappe does before a delete, so a user's Sales Order
	counts as much as an invoice; our own records and the framework's logs are not a use."""
	from frappe.model.dynamic_links import get_dynamic_link_map
	from frappe.model.rename_doc import get_link_fields

	# Our own doctypes hold records derived from the customer (health, ledger, touchpoints...): they
	# follow it out, as its on_trash and the ledger rebuild remove them.
	ours = frappe.get_all(
		"DocType", filters={"module": ("in", frappe.get_module_list("cs_success"))}, pluck="name"
	)
	ignored = set(frappe.get_hooks("ignore_links_on_delete")) | NOT_USE | set(ours)
	links = [(lf["parent"], lf["fieldname"], None) for lf in get_link_fields("Customer")]
	links += [(df.parent, df.fieldname, df.options) for df in get_dynamic_link_map().get("Customer", [])]
	for doctype, fieldname, doctype_field in links:
		meta = frappe.get_meta(doctype)
		if doctype in ignored or meta.issingle:
			continue
		filters = {fieldname: customer, **({doctype_field: "Customer"} if doctype_field else {})}
		fields = ["name", "parent", "parenttype"] if meta.istable else ["name"]
		for row in frappe.db.get_values(doctype, filters, fields, as_dict=True):
			document = (row.parenttype, row.parent) if meta.istable else (doctype, row.name)
			if document[0] not in ignored and document != ("Customer", customer) and document not in own:
				return document
	return None


def _delete_customer_documents(customer: str, own: set[tuple[str, str]]) -> None:
	def names(doctype: str) -> list[str]:
		return [name for dt, name in own if dt == doctype and frappe.db.exists(doctype, name)]

	# Payments before the invoices they pay; invoices before the subscriptions that billed them.
	for doctype in ("Payment Entry", "Sales Invoice"):
		for name in names(doctype):
			document = frappe.get_doc(doctype, name)
			if document.docstatus == 1:
				document.cancel()
			frappe.delete_doc(doctype, name, force=True)
	for name in names("Subscription"):
		frappe.delete_doc("Subscription", name, force=True)
	# Newest first, as they were made in order.
	contracts = names("Contract")
	for name in contracts and frappe.get_all(
		"Contract", filters={"name": ("in", contracts)}, pluck="name", order_by="creation desc"
	):
		contract = frappe.get_doc("Contract", name)
		if contract.docstatus == 1:
			contract.cancel()
		frappe.delete_doc("Contract", name, force=True)
	if issues := names("Issue"):
		frappe.db.delete("Issue", {"name": ("in", issues)})
	for name in names("Contact"):
		frappe.delete_doc("Contact", name, force=True)
	if frappe.db.exists("Customer", customer):
		frappe.delete_doc("Customer", customer, force=True)  # our on_trash removes health, surveys, plans
	from cs_success.ledger.build import rebuild_customers

	rebuild_customers([customer])  # with its documents gone, this removes its ledger rows


def _delete_unless_in_use(doctype: str, name: str) -> bool:
	"""Delete a demo master unless something still links to it (a real subscription on the demo plan,
	a real customer in a demo group): Frappe's own link check decides."""
	frappe.db.savepoint("cs_success_demo_master")
	try:
		frappe.delete_doc(doctype, name)
	except frappe.ValidationError:  # LinkExistsError, or a child group added under a demo group
		frappe.db.rollback(save_point="cs_success_demo_master")
		frappe.clear_last_message()
		return False
	return True
