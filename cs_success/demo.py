"""Reproducible demo data for evaluating CS Success: `bench --site S cs-success demo --customers N`.

Fifteen months of history. Customers are acquired over time and billed monthly, quarterly or yearly
(Sales Invoices with due dates, and Payment Entries, some late; yearly terms under signed Contracts), or
through ERPNext Subscriptions. Each customer's story is drawn first: how well it fits (a poor fit opens
more tickets, hears less from its account manager and answers NPS lower), whether it leaves, and bad
patches. A customer that leaves mostly shows it 1-3 months before: many tickets, slow to resolve or left
open, invoices paid late or not at all, low NPS answers, no touchpoints; then it is not invoiced again
(or cancels its subscription), so the revenue ledger sees the churn. Some leave without warning and some
go through a bad patch and stay, so the score is useful but not perfect. At the end the ledger is
rebuilt, the last 12 month starts are back-filled and everyone is scored today, so the Score Validation
report has something to say at once.

Every document the demo creates is listed in *CS Demo Record*, which only System Managers can read and
nobody can edit in Desk, and `--clear` removes only those. The "CS Demo" tag on its customers is for
finding them in lists: anyone can tag any customer, so the clear never goes by it.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import pairwise

import frappe
from frappe import _
from frappe.utils import add_days, add_months, add_to_date, get_first_day, getdate, now_datetime, today

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
DEFAULT_CUSTOMERS = 150
# The first customers are this many months old; the back-fill scores the last BACKFILL_MONTHS month
# starts, and trend charts get daily scores for the last HISTORY_DAYS.
HISTORY_MONTHS = 15
BACKFILL_MONTHS = 12
HISTORY_DAYS = 90
# How a customer is billed: months per invoice (0: an ERPNext Subscription on the demo plan) and share.
BILLING = {"Monthly": (1, 6), "Quarterly": (3, 30), "Annual": (12, 20), "Subscription": (0, 44)}
BILLING_RATES = {"Monthly": 400, "Quarterly": 1200, "Annual": 4800}  # per seat and invoice
# Customers that leave (or are about to): from CHURN_SHARE[0] of the best fitting to CHURN_SHARE[1] of
# the worst. A poor fit shows a little all along (more tickets, less contact, lower NPS).
CHURN_SHARE = (0.05, 0.65)
WARNED_SHARE = 0.9  # of those, the ones whose behaviour turned bad first; the others leave unannounced
SPELL_SHARE = 0.25  # customers that stay through a bad patch
SLIPS_DAYS = 100  # a customer on its way out pays late, or not, what falls due this long before
BAD_TICKETS_A_MONTH = 2.5  # more tickets a month in a bad patch of average severity
NPS_WEIGHTS = (1, 1, 1, 1, 1, 2, 3, 6, 9, 10, 8)  # 0..10 while things are fine
NPS_WEIGHTS_BAD = (3, 4, 5, 6, 7, 7, 6, 4, 2, 1, 1)  # in a bad patch


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


def _masters(company: str, origin: date) -> None:
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
	_fiscal_years(origin)
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


def _fiscal_years(origin: date) -> None:
	"""Invoices go back to `origin`: add the fiscal years before the site's earliest one that they need,
	each as long as that one."""
	while not frappe.db.sql(
		"SELECT 1 FROM `tabFiscal Year` WHERE year_start_date <= %s AND year_end_date >= %s", (origin, origin)
	):
		earliest = frappe.db.sql("SELECT MIN(year_start_date) FROM `tabFiscal Year`")[0][0]
		if not earliest:
			frappe.throw(_("Add a Fiscal Year before creating demo data."))
		start, end = getdate(add_months(earliest, -12)), getdate(earliest) - timedelta(days=1)
		name = str(start.year) if start.year == end.year else f"{start.year}-{end.year}"
		frappe.get_doc(
			{"doctype": "Fiscal Year", "year": name, "year_start_date": start, "year_end_date": end}
		).insert()
		_record("Fiscal Year", name)


def create_demo_data(customers: int = DEFAULT_CUSTOMERS, seed: int = 42, force: bool = False) -> dict:
	"""Customers acquired over 15 months, some of whom leave 1-3 months after their behaviour turned bad
	(overdue invoices, many slow tickets, low NPS, no touchpoints), then the revenue ledger, 12 months
	of back-filled month-start scores and today's scores: the Score Validation report has something to
	say at once."""
	if has_real_data() and not force:
		raise DemoRefused(
			_("This site already has customers that are not demo data. Use --force to add demo data anyway.")
		)
	company = frappe.defaults.get_global_default("company")
	if not company:
		frappe.throw(_("Finish the ERPNext setup (a company) before creating demo data."))
	rng = random.Random(seed)
	on = getdate(today())
	origin = getdate(add_months(get_first_day(on), -(HISTORY_MONTHS - 1)))
	_masters(company, origin)
	campaign = _campaign()
	start = len(demo_customers())
	created = {
		"customers": 0,
		"churned": 0,  # left before today
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
		_customer(rng, index, company, _story(rng, origin, on), campaign, created)
		if index % 10 == 9:
			frappe.db.commit()
	from cs_success.surveys.delivery import update_campaign_stats

	update_campaign_stats(campaign.name)
	frappe.db.commit()

	from cs_success.health import band_outcomes
	from cs_success.health.backfill import backfill
	from cs_success.jobs import refresh_all
	from cs_success.ledger.build import rebuild_customers

	# Now rather than when a worker drains the queue: the back-fill, the retention and revenue reports
	# and the score validation read the ledger.
	rebuild_customers(demo_customers())
	backfill(BACKFILL_MONTHS, customers=demo_customers())
	refresh_all()
	_history(rng)
	# A ledger and months of snapshots for the demo's customers: every stored band outcome may change.
	band_outcomes.forget()
	created["play_runs"] = _plays()
	frappe.db.commit()
	return created


# Plays that make the cockpit come alive: a renewal coming up, an account gone quiet, a win-back. Their
# runs start for the demo's customers only, by the same finders the daily job uses.
DEMO_PLAYS = (
	{
		"play_name": "Demo: Renewal in 60 Days",
		"trigger": "Renewal Due",
		"days": 60,
		"owner_rule": "Account Manager",
		"re_enrolment": "After Days",
		"re_enrol_after_days": 90,
		"actions": [{"action_type": "Task", "subject": "Prepare the renewal call", "due_after_days": 7}],
	},
	{
		"play_name": "Demo: Quiet Account",
		"trigger": "No Touchpoint",
		"days": 30,
		"owner_rule": "Account Manager",
		"re_enrolment": "After Days",
		"re_enrol_after_days": 30,
		"actions": [
			{"action_type": "Task", "subject": "Check in with the customer", "due_after_days": 3},
			{"action_type": "Touchpoint", "subject": "Quiet account: check-in planned"},
		],
	},
	{
		"play_name": "Demo: Win Back",
		"trigger": "Customer Churned",
		"owner_rule": "Account Manager",
		"re_enrolment": "Never",
		"actions": [{"action_type": "Task", "subject": "Ask why they left and what would bring them back"}],
	},
)


def _plays() -> int:
	from cs_success.playbooks import runs
	from cs_success.playbooks.triggers import DAILY_FINDERS

	customers = set(demo_customers())
	on = getdate(today())
	started = 0
	for fields in DEMO_PLAYS:
		if frappe.db.exists("Play", fields["play_name"]):
			continue
		play = frappe.get_doc({"doctype": "Play", **fields}).insert(ignore_permissions=True)
		_record("Play", play.name)
		candidates = [c for c in DAILY_FINDERS[play.trigger](play, on) if c.customer in customers]
		started += len(runs.start_runs(play, candidates, on))
	return started


# --- One customer's story ------------------------------------------------------------------------


@dataclass
class _Story:
	"""What happens to one customer, drawn before any document is made."""

	acquired: date
	billing: str  # a BILLING key
	churn_on: date | None  # the day its last paid period ends; after today: about to leave
	spells: list[tuple[date, date]]  # [from, to): behaviour is bad (tickets, payments, NPS, silence)
	ticket_rate: float  # tickets a month while things are fine
	touch_every: int | None  # days between touchpoints by its account manager; None: low touch
	nps_mood: int  # added to each NPS answer
	seats: int
	severity: float = 1.0  # of its bad patches: how many more tickets

	def bad(self, day: date) -> bool:
		return any(start <= day < end for start, end in self.spells)

	def ends(self, on: date) -> date:
		"""The last day anything happens: the churn, or today."""
		return min(self.churn_on, on) if self.churn_on else on


def _story(rng: random.Random, origin: date, on: date) -> _Story:
	billing = rng.choices(list(BILLING), weights=[weight for _months, weight in BILLING.values()])[0]
	if rng.random() < 0.55:  # the customer base the history starts with
		acquired = origin + timedelta(days=rng.randint(0, 40))
	else:
		acquired = origin + timedelta(days=rng.randint(40, (on - origin).days - 20))
	fit = rng.random()
	churn_on = None
	if rng.random() < CHURN_SHARE[0] + (CHURN_SHARE[1] - CHURN_SHARE[0]) * (1 - fit):
		months = BILLING[billing][0]
		if months:  # an invoiced customer leaves at the end of a paid period
			ends = [getdate(add_months(acquired, months * k)) for k in range(1, 20)]
		else:  # a subscription is cancelled on any day
			ends = [acquired + timedelta(days=d) for d in range(60, (on - acquired).days + 60, 7)]
		ends = [d for d in ends if acquired + timedelta(days=60) <= d <= on + timedelta(days=60)]
		churn_on = rng.choice(ends) if ends else None
	spells = []
	if churn_on and rng.random() < WARNED_SHARE:
		# Behaviour turns bad 1-3 months before it leaves.
		spells.append(
			(max(acquired + timedelta(days=14), churn_on - timedelta(days=rng.randint(40, 100))), churn_on)
		)
	elif not churn_on and rng.random() < SPELL_SHARE:
		# A bad patch that passes: the false alarms a real score raises too.
		begins = acquired + timedelta(days=rng.randint(20, max(21, (on - acquired).days)))
		spells.append((begins, begins + timedelta(days=rng.randint(30, 100))))
	return _Story(
		acquired=acquired,
		billing=billing,
		churn_on=churn_on,
		spells=spells,
		ticket_rate=rng.uniform(0.05, 0.25) + 0.3 * (1 - fit),
		touch_every=None if rng.random() < 0.3 * (1 - fit) else rng.randint(15, 30 + int(40 * (1 - fit))),
		nps_mood=round(rng.uniform(-1, 0.5) + fit),
		seats=rng.choice((1, 1, 2, 3, 5, 8)),
		severity=rng.uniform(0.5, 1.8),
	)


def _customer(rng: random.Random, index: int, company: str, story: _Story, campaign, created: dict) -> str:
	on = getdate(today())
	name = f"Demo {rng.choice(NAME_PARTS[0])} {rng.choice(NAME_PARTS[1])} {index + 1:04d}"
	months = BILLING[story.billing][0]
	customer = frappe.get_doc(
		{
			"doctype": "Customer",
			"customer_name": name,
			"customer_group": rng.choice(GROUPS),
			"territory": rng.choice(TERRITORIES),
			"language": rng.choice(LANGUAGES),
			"account_manager": "Administrator",
			"cs_billing_period": story.billing if months else "",
		}
	).insert()
	_record("Customer", customer.name, customer.name)
	acquired_at = _at(rng, story.acquired)
	frappe.db.set_value(
		"Customer",
		customer.name,
		{"_user_tags": f",{DEMO_TAG}", "creation": acquired_at, "modified": acquired_at},
		update_modified=False,
	)
	created["customers"] += 1
	created["churned"] += bool(story.churn_on and story.churn_on <= on)
	contact = frappe.get_doc(
		{
			"doctype": "Contact",
			"first_name": rng.choice(("Anna", "Jānis", "Rūta", "Olga", "Mehmet", "Elif", "Lars")),
			"email_ids": [{"email_id": f"demo-{index + 1:04d}@example.com", "is_primary": 1}],
			"links": [{"link_doctype": "Customer", "link_name": customer.name}],
		}
	).insert()
	_record("Contact", contact.name, customer.name)

	if months:
		_invoices(rng, customer.name, company, story, months, created)
	else:
		_subscriptions(rng, customer.name, company, story, created)
	if rng.random() < 0.08:
		_withdrawn_contract(rng, customer.name, story, created)
	_tickets(rng, customer.name, story, created)
	_touchpoints(rng, customer.name, name, story, created)
	_nps_answers(
		rng, customer.name, contact.name, f"demo-{index + 1:04d}@example.com", story, campaign, created
	)
	if story.ends(on) == on and rng.random() < 0.3:
		from cs_success.success_plans.planning import create_plan_from_template

		plan = create_plan_from_template(
			rng.choice(("Onboarding 30/60/90", "Quarterly Business Review", "Renewal Readiness")),
			customer.name,
			add_days(on, -rng.randint(0, 80)),
		)
		for task in plan.tasks:
			if rng.random() < 0.5:
				task.status = "Done"
		plan.save()
		created["plans"] += 1
	return customer.name


def _at(rng: random.Random, day: date) -> datetime:
	return datetime.combine(day, time(8)) + timedelta(seconds=rng.randint(0, 9 * 3600))


def _invoices(rng: random.Random, customer: str, company: str, story: _Story, months: int, created: dict):
	"""One invoice a billing period, due in 30 days, until it leaves: mostly paid on time while things
	are fine, late in a bad patch that passes, and late or not at all on the way out."""
	on = getdate(today())
	rate = BILLING_RATES[story.billing] * story.seats
	period, posted = 0, story.acquired
	while posted <= on and (not story.churn_on or posted < story.churn_on):
		if story.billing == "Annual":  # a signed contract for each year's term
			_contract(customer, posted, getdate(add_months(posted, 12)) - timedelta(days=1), created)
		due = posted + timedelta(days=30)
		invoice = frappe.new_doc("Sales Invoice")
		invoice.update(
			{
				"customer": customer,
				"company": company,
				"set_posting_time": 1,
				"posting_date": posted,
				"due_date": due,
			}
		)
		invoice.append("items", {"item_code": DEMO_ITEM, "qty": story.seats, "rate": rate / story.seats})
		invoice.submit()  # inserted submitted: one validation instead of two
		_record("Sales Invoice", invoice.name, customer)
		created["invoices"] += 1

		if story.churn_on and story.spells and due >= story.churn_on - timedelta(days=SLIPS_DAYS):
			# On its way out, paying slips first.
			paid_on = None if rng.random() < 0.6 else due + timedelta(days=rng.randint(10, 60))
		elif story.bad(due):  # a bad patch that passes: paid late, and up to date once it is over
			paid_on = due + timedelta(days=rng.randint(5, 30))
		else:
			lateness = rng.random()
			if lateness < 0.88:
				paid_on = posted + timedelta(days=rng.randint(2, 30))
			elif lateness < 0.98:
				paid_on = due + timedelta(days=rng.randint(1, 15))
			else:
				paid_on = due + timedelta(days=rng.randint(30, 60))
		if paid_on and paid_on < on:
			_record("Payment Entry", _pay(invoice, paid_on), customer)
			created["payments"] += 1
		period += 1
		posted = getdate(add_months(story.acquired, months * period))


def _contract(customer: str, start: date, end: date, created: dict) -> None:
	contract = frappe.get_doc(
		{
			"doctype": "Contract",
			"party_type": "Customer",
			"party_name": customer,
			"start_date": start,
			"end_date": end,
			"is_signed": 1,
			"signee": "Demo Signee",
			"contract_terms": "Demo service agreement.",
		}
	)
	contract.submit()
	_record("Contract", contract.name, customer)
	created["contracts"] += 1


def _withdrawn_contract(rng: random.Random, customer: str, story: _Story, created: dict) -> None:
	"""An upsell that was signed and then withdrawn: cancelled, so it never counts."""
	start = story.acquired + timedelta(days=rng.randint(30, 200))
	if start >= story.ends(getdate(today())):
		return
	contract = frappe.get_doc(
		{
			"doctype": "Contract",
			"party_type": "Customer",
			"party_name": customer,
			"start_date": start,
			"end_date": start + timedelta(days=364),
			"is_signed": 1,
			"signee": "Demo Signee",
			"contract_terms": "Demo upsell agreement.",
		}
	).insert()
	_record("Contract", contract.name, customer)
	contract.submit()
	contract.cancel()
	created["contracts"] += 1
	created["cancelled"] += 1


def _subscriptions(rng: random.Random, customer: str, company: str, story: _Story, created: dict) -> None:
	"""ERPNext Subscriptions on the demo plan: rolling monthly, or yearly terms each renewed the day
	after the last ended; a customer that leaves cancels on its churn day."""
	on = getdate(today())
	started, yearly = story.acquired, rng.random() < 0.4
	while True:
		ends = started + timedelta(days=364) if yearly else None
		cancelled_on = story.churn_on if story.churn_on and story.churn_on < on else None
		if cancelled_on and ends and cancelled_on > ends:
			cancelled_on = None  # leaves in a later term
		_subscription(customer, company, started, ends, cancelled_on, story.seats)
		created["subscriptions"] += 1
		created["cancelled"] += bool(cancelled_on)
		if cancelled_on or not ends or ends >= on:
			return
		started = ends + timedelta(days=1)


def _tickets(rng: random.Random, customer: str, story: _Story, created: dict) -> None:
	"""Tickets week by week: a few while things are fine and quickly resolved; many in a bad patch,
	slow to resolve and some left open for weeks."""
	from cs_success.touchpoints.record import touchpoint_source_enabled
	from cs_success.touchpoints.sources import touchpoint_for_ticket

	now, on = now_datetime(), getdate(today())
	week = story.acquired
	while week < story.ends(on):
		bad = story.bad(week)
		chance = (story.ticket_rate + (BAD_TICKETS_A_MONTH * story.severity if bad else 0)) * 7 / 30
		for _ticket in range(int(chance) + (rng.random() < chance % 1)):
			opened = _at(rng, week + timedelta(days=rng.randint(0, 6)))
			# Opened before today, not before now: which draws follow must not depend on the time of day,
			# or the same seed would make other customers at another hour.
			if opened.date() >= on:
				continue
			if bad:
				hours = rng.uniform(400, 1500) if rng.random() < 0.5 else rng.uniform(48, 300)
			else:
				hours = rng.uniform(1, 40) if rng.random() < 0.9 else rng.uniform(48, 200)
			resolved = opened + timedelta(hours=hours)
			issue = frappe.get_doc(
				{
					"doctype": "Issue",
					"subject": rng.choice(
						(
							"Login fails",
							"Invoice question",
							"Export is slow",
							"Feature request",
							"Data missing",
						)
					),
					"customer": customer,
				}
			).insert()
			_record("Issue", issue.name, customer)
			dates = {"opening_date": opened.date(), "opening_time": opened.time(), "creation": opened}
			if resolved < now:
				dates.update(
					{
						"status": "Closed",
						"sla_resolution_date": resolved,
						"resolution_time": round(hours * 3600),
						"modified": resolved,
					}
				)
			else:
				dates["modified"] = opened
			frappe.db.set_value("Issue", issue.name, dates, update_modified=False)
			# The touchpoint the ticket hook records, dated as the ticket was, now rather than when its
			# deferred job runs (which then finds it recorded). Closing it above was no save: no hook.
			if touchpoint_source_enabled("touchpoint_on_ticket_opened"):
				created["touchpoints"] += bool(touchpoint_for_ticket("Issue", issue.name, "opened"))
			created["issues"] += 1
		week += timedelta(days=7)


def _touchpoints(rng: random.Random, customer: str, name: str, story: _Story, created: dict) -> None:
	"""Onboarding, then calls, meetings and QBRs every few weeks: none while the customer is in a bad
	patch (nobody called: the silence is part of the warning)."""
	from cs_success.touchpoints.record import record_touchpoint

	end = story.ends(getdate(today()))
	visits = [(story.acquired + timedelta(days=rng.randint(0, 10)), "Onboarding")]
	if story.touch_every:
		day = visits[0][0]
		while (
			day := day + timedelta(days=rng.randint(story.touch_every // 2, story.touch_every * 3 // 2))
		) < end:
			if not story.bad(day) or rng.random() < 0.1:
				visits.append((day, rng.choice(("Call", "Meeting", "Email", "Training", "QBR", "Note"))))
	for n, (day, kind) in enumerate(visits):
		if day >= end:
			continue
		bad = story.bad(day)
		record_touchpoint(
			customer,
			kind,
			f"{kind} with {name}",
			source_key=f"demo:{customer}:{n}",
			touchpoint_date=_at(rng, day),
			sentiment=rng.choice(("Negative", "Neutral") if bad else ("Positive", "Neutral", "Neutral")),
		)
		created["touchpoints"] += 1


def _campaign():
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
	return frappe.get_doc("Survey Campaign", DEMO_CAMPAIGN)


def _nps_answers(
	rng, customer: str, contact: str, email: str, story: _Story, campaign, created: dict
) -> None:
	"""A rolling NPS: each month some contacts answer (more of them, and low, while the customer is in
	a bad patch). Answered through an invitation's token as a customer would; no email is queued (the
	demo must never write to real inboxes), and the dates are moved to the pulse afterwards."""
	from cs_success.surveys.delivery import Recipient, create_invitation
	from cs_success.surveys.links import token_for

	on = getdate(today())
	end = story.ends(on)
	now = now_datetime()
	pulse = getdate(add_months(get_first_day(story.acquired), 1)) + timedelta(days=9)
	while pulse < end:
		answered_on = _at(rng, pulse + timedelta(days=rng.randint(0, 6)))
		bad = story.bad(pulse)
		if (
			pulse - story.acquired >= timedelta(days=30)
			and answered_on.date() < on  # by the day, as the tickets: the same draws all day
			and rng.random() < (0.6 if bad else 0.25)
		):
			score = rng.choices(range(11), weights=NPS_WEIGHTS_BAD if bad else NPS_WEIGHTS)[0]
			score = max(0, min(10, score + story.nps_mood))
			invitation = create_invitation(campaign, Recipient(customer, contact, email))
			invitation.db_set({"status": "Sent", "sent_on": now, "expires_on": add_to_date(now, days=1)})
			response = frappe.get_doc(
				{
					"doctype": "Survey Response",
					"token": token_for(invitation),
					"answers_json": frappe.as_json(
						{
							"1": score,
							"2": rng.choice(
								("Too expensive", "Support is slow", "")
								if score <= 6
								else ("Great support", "Reliable", "")
							),
						}
					),
				}
			).insert(ignore_permissions=True)
			sent_on = datetime.combine(pulse, time(9))
			frappe.db.set_value(
				"Survey Invitation",
				invitation.name,
				{"sent_on": sent_on, "expires_on": sent_on + timedelta(days=14), "answered_on": answered_on},
				update_modified=False,
			)
			frappe.db.set_value(
				"Survey Response",
				response.name,
				{"submitted_on": answered_on, "creation": answered_on},
				update_modified=False,
			)
			frappe.db.set_value(
				"Touchpoint",
				{"source_key": f"Survey Response:{response.name}"},
				"touchpoint_date",
				answered_on,
				update_modified=False,
			)
			created["responses"] += 1
		pulse = getdate(add_months(pulse, 1))


def _subscription(customer: str, company: str, started, ends, cancelled_on, seats: int = 1) -> None:
	subscription = frappe.get_doc(
		{
			"doctype": "Subscription",
			"party_type": "Customer",
			"party": customer,
			"company": company,
			"start_date": started,
			"end_date": ends,
			"plans": [{"plan": DEMO_PLAN, "qty": seats}],
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
	payment.submit()
	return payment.name


def _history(rng: random.Random) -> None:
	"""Daily snapshots for the last 90 days, so trend charts have a shape: between two scored days no
	more than a month apart (back-filled month starts, and today's score), a line with a little noise.
	Marked as back-filled: they were not recorded on the day."""
	from cs_success.engine.health_score import AT_RISK, CRITICAL, HEALTHY
	from cs_success.health.config import get_bands

	customers = demo_customers()
	if not customers:
		return
	bands = get_bands()
	on = getdate(today())
	first = on - timedelta(days=HISTORY_DAYS)
	anchors = defaultdict(list)
	for customer, day, score, band, coverage, scorecard, version in frappe.db.sql(
		"""SELECT customer, snapshot_date, score, band, data_coverage, scorecard, scorecard_version
		FROM `tabCustomer Health Snapshot`
		WHERE kind = 'Daily' AND customer IN %(customers)s AND snapshot_date BETWEEN %(oldest)s AND %(today)s
		ORDER BY customer, snapshot_date""",
		{"customers": tuple(customers), "oldest": first - timedelta(days=31), "today": on},
	):
		anchors[customer].append((getdate(day), float(score or 0), band, coverage, scorecard, version))
	scored = (HEALTHY, AT_RISK, CRITICAL)
	now, values = now_datetime(), []
	for customer, points in anchors.items():
		for (start, low, band, coverage, scorecard, version), (end, high, next_band, *_rest) in pairwise(
			points
		):
			if (end - start).days > 31:
				continue  # it left in between, or came back
			for offset in range(1, (end - start).days):
				day = start + timedelta(days=offset)
				if day < first:
					continue
				score = low + (high - low) * offset / (end - start).days + rng.uniform(-2, 2)
				score = round(max(0.0, min(100.0, score)), 1)
				if band in scored and next_band in scored:
					band_then = (
						HEALTHY
						if score >= bands.healthy_min
						else AT_RISK
						if score >= bands.at_risk_min
						else CRITICAL
					)
				else:
					band_then = band
				values.append(
					(
						frappe.generate_hash(length=20), customer, day, "Daily", score, band_then, score,
						coverage, scorecard, version, 1, now, now, "Administrator", "Administrator",
					)
				)  # fmt: skip
	columns = [
		"name", "customer", "snapshot_date", "kind", "score", "band", "computed_score",
		"data_coverage", "scorecard", "scorecard_version", "is_backfilled",
		"creation", "modified", "owner", "modified_by",
	]  # fmt: skip
	frappe.db.bulk_insert("Customer Health Snapshot", columns, values, ignore_duplicates=True)


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
	for doctype in ("Play", "Subscription Plan", "Item", "Customer Group", "Territory", "Fiscal Year"):
		for name in _recorded(doctype):
			if not frappe.db.exists(doctype, name) or _delete_unless_in_use(doctype, name):
				frappe.db.delete("CS Demo Record", {"reference_doctype": doctype, "reference_name": name})
	if removed:
		from cs_success.health import band_outcomes

		# Their snapshots and churn went with them, from every stored band outcome they were in.
		band_outcomes.forget()
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
	from cs_success.customer import DELETE_PERMANENTLY

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
	if responses := frappe.get_all("Survey Response", filters={"customer": customer}, pluck="name"):
		# The follow-ups the demo's unhappy answers made go with them (the customer's on_trash removes
		# the answers, not the ToDos about them).
		frappe.db.delete("ToDo", {"reference_type": "Survey Response", "reference_name": ("in", responses)})
	if frappe.db.exists("Customer", customer):
		# Our on_trash removes health, surveys, plans...: demo data, with no Deleted Document copies.
		frappe.delete_doc(
			"Customer", customer, force=True, delete_permanently=True, flags={DELETE_PERMANENTLY: True}
		)
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
