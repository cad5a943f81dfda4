"""Reproducible demo data for evaluating CS Success: `bench --site S cs-success demo --customers N`.

Everything it creates hangs off customers tagged "CS Demo" (plus a few named "Demo ..." masters), so
`--clear` removes exactly that and nothing else.
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
	return frappe.get_all("Customer", filters={"_user_tags": ("like", f"%{DEMO_TAG}%")}, pluck="name")


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

	recompute_all()
	_history(rng)
	frappe.db.commit()
	return created


def _masters(company: str) -> None:
	for group in GROUPS:
		if not frappe.db.exists("Customer Group", group):
			frappe.get_doc(
				{
					"doctype": "Customer Group",
					"customer_group_name": group,
					"parent_customer_group": "All Customer Groups",
				}
			).insert()
	for territory in TERRITORIES:
		if not frappe.db.exists("Territory", territory):
			frappe.get_doc(
				{"doctype": "Territory", "territory_name": territory, "parent_territory": "All Territories"}
			).insert()
	if not frappe.db.exists("Item", DEMO_ITEM):
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
	frappe.db.set_value("Customer", customer.name, "_user_tags", f",{DEMO_TAG}", update_modified=False)
	created["customers"] += 1
	frappe.get_doc(
		{
			"doctype": "Contact",
			"first_name": rng.choice(("Anna", "Jānis", "Rūta", "Olga", "Mehmet", "Elif", "Lars")),
			"email_ids": [{"email_id": f"demo-{index + 1:04d}@example.com", "is_primary": 1}],
			"links": [{"link_doctype": "Customer", "link_name": customer.name}],
		}
	).insert()

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
		invoice.submit()
		created["invoices"] += 1
		if rng.random() < (0.4 if risk > 0.7 else 0.85) and getdate(add_days(posted, 30)) < getdate(today()):
			_pay(invoice, add_days(posted, rng.randint(10, 70)))
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


def _pay(invoice, paid_on) -> None:
	from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry

	payment = get_payment_entry("Sales Invoice", invoice.name)
	payment.update(
		{"posting_date": paid_on, "reference_no": f"DEMO-{invoice.name}", "reference_date": paid_on}
	)
	payment.insert()
	payment.submit()


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
	"""Remove only what the demo created: tagged customers, everything linked to them, demo masters."""
	customers = demo_customers()
	for customer in customers:
		for doctype in ("Payment Entry", "Sales Invoice"):
			field = "party" if doctype == "Payment Entry" else "customer"
			for name in frappe.get_all(doctype, filters={field: customer, "docstatus": 1}, pluck="name"):
				frappe.get_doc(doctype, name).cancel()
			for name in frappe.get_all(doctype, filters={field: customer}, pluck="name"):
				frappe.delete_doc(doctype, name, force=True)
		# After the invoices: any the scheduler billed for a demo subscription went with them.
		for name in frappe.get_all(
			"Subscription", filters={"party_type": "Customer", "party": customer}, pluck="name"
		):
			frappe.delete_doc("Subscription", name, force=True)
		for name in frappe.get_all(
			"Contract", filters={"party_name": customer}, pluck="name", order_by="creation desc"
		):
			contract = frappe.get_doc("Contract", name)
			if contract.docstatus == 1:
				contract.cancel()
			frappe.delete_doc("Contract", name, force=True)
		frappe.db.delete("Issue", {"customer": customer})
		for contact in frappe.get_all(
			"Dynamic Link",
			filters={"link_doctype": "Customer", "link_name": customer, "parenttype": "Contact"},
			pluck="parent",
		):
			frappe.delete_doc("Contact", contact, force=True)
		frappe.delete_doc(
			"Customer", customer, force=True
		)  # our on_trash removes health, surveys, touchpoints, plans
		frappe.db.commit()
	if frappe.db.exists("Survey Campaign", DEMO_CAMPAIGN):
		frappe.db.delete("Survey Invitation", {"campaign": DEMO_CAMPAIGN})
		frappe.delete_doc("Survey Campaign", DEMO_CAMPAIGN, force=True)
	masters = [("Customer Group", GROUPS), ("Territory", TERRITORIES)]
	# Someone may have put a real subscription on the demo plan: then the plan and its item stay.
	if not frappe.db.exists("Subscription Plan Detail", {"plan": DEMO_PLAN, "parenttype": "Subscription"}):
		masters += [("Subscription Plan", (DEMO_PLAN,)), ("Item", (DEMO_ITEM,))]
	for doctype, names in masters:
		for name in names:
			if frappe.db.exists(doctype, name):
				frappe.delete_doc(doctype, name, force=True)
	frappe.db.commit()
	return len(customers)
