"""The benchmarks' synthetic data: bulk inserts of BENCH- customers with their tickets, invoices, payments,
contracts and subscriptions, the few records made through the ORM (a customer, an item, the API user), and
`cleanup`, which removes all of them.

Every name starts with PREFIX in capitals, and is matched case-sensitively (OURS), so that cleanup never
touches a real "Bench-Craft Ltd". Rows go in with `frappe.db.bulk_insert`, without controllers: at 100,000
customers the ORM would take hours.
"""

from __future__ import annotations

import random
import time
from datetime import datetime, timedelta
from datetime import time as dt_time

import frappe
from frappe.utils import add_days, add_months, getdate, now_datetime, today

from cs_success.base.bulk import insert_rows
from cs_success.base.roles import SYSTEM_MANAGER
from cs_success.health import band_outcomes

PREFIX = "BENCH-"
SURVEY_CAMPAIGN = "BENCH Survey Load"
# Benchmark 6 (revenue ledger): its own customers, a subscription plan and a one-off item group.
LEDGER_PREFIX = f"{PREFIX}L"
LEDGER_PLAN = "BENCH-PLAN"
ONE_OFF_GROUP = "BENCH-One-off"
LEDGER_TABLES = (
	"MRR Interval",
	"MRR Movement",
	"Customer Active Span",
	"Customer Lifecycle Event",
	"Agreement Renewal",
)
# Benchmark 9 (Play Effectiveness): its own customers with a year of daily snapshots, and its plays.
EFFECT_PREFIX = f"{PREFIX}E"
EFFECT_PLAY = f"{PREFIX}Play"
# MariaDB's LIKE ignores case under the site's collation; BINARY makes "BENCH-%" miss "Bench-Craft Ltd".
OURS = "LIKE BINARY %s"
BENCH_API_USER = "bench-api@example.com"
BENCH_ITEM = "BENCH-ITEM"
# Customers are generated in batches of this many, each committed.
BATCH = 5000
AUDIT_COLUMNS = ("creation", "modified", "owner", "modified_by")
CONTRACT_COLUMNS = (
	"name",
	"party_type",
	"party_name",
	"start_date",
	"end_date",
	"status",
	"is_signed",
	"docstatus",
	"contract_terms",
)
# How each ledger customer is billed: the share of customers up to each bound.
LEDGER_CADENCES = ((0.55, "monthly"), (0.80, "quarterly"), (0.92, "annual"), (1.0, "subscription"))


def audit_values(now) -> tuple:
	"""The values of AUDIT_COLUMNS for a row made `now` by Administrator."""
	return (now, now, "Administrator", "Administrator")


def count_customers(like: str, matching: bool = True) -> int:
	"""Customers whose name matches the pattern `like` case-sensitively (or, `matching=False`, does not)."""
	negation = "" if matching else "NOT "
	return frappe.db.sql(f"SELECT COUNT(*) FROM `tabCustomer` WHERE name {negation}{OURS}", like)[0][0]


def customers_not_ours() -> int:
	return count_customers(f"{PREFIX}%", matching=False)


def others_than_ledger_customers() -> int:
	return count_customers(f"{LEDGER_PREFIX}%", matching=False)


def not_at_ledger_scale(scale: int) -> str | None:
	"""Why benchmarks 6 and 7 cannot measure `scale` on this site, or None if they can. The ledger covers
	every customer on the site, so the figures are this scale's only when the site holds exactly `scale`
	customers, all the ledger benchmark's (not data left from an earlier run, nor others under --force)."""
	everyone = frappe.db.count("Customer")
	ours = count_customers(f"{LEDGER_PREFIX}%")
	if ours != scale or everyone != scale:
		return f"the site has {everyone} customers, {ours} of them the ledger benchmark's"
	return None


def leaf_group_and_territory() -> tuple[str, str]:
	"""A customer group and a territory that are not groups, for every generated customer."""
	return (
		frappe.db.get_value("Customer Group", {"is_group": 0}, "name"),
		frappe.db.get_value("Territory", {"is_group": 0}, "name"),
	)


# Benchmarks 3 and 4 --------------------------------------------------------------------------------


def grow_to(customers: int) -> float | None:
	"""Bulk-insert synthetic customers up to `customers`, each with 10 tickets and 10 invoices. Returns the
	seconds it took, or None if there were enough already."""
	existing = count_customers(f"{PREFIX}C%")
	if existing >= customers:
		return None
	rng = random.Random(customers)
	group, territory = leaf_group_and_territory()
	started = time.perf_counter()
	for start in range(existing, customers, BATCH):
		names = [f"{PREFIX}C{n:07d}" for n in range(start, min(customers, start + BATCH))]
		now = now_datetime()
		insert_customers(names, group, territory, [add_days(now, -rng.randint(30, 900)) for _ in names])
		insert_issues(names, 10, rng, prefix=f"{PREFIX}I{start:07d}-")
		insert_invoices(names, 10, rng, prefix=f"{PREFIX}S{start:07d}-")
		insert_contracts(names, rng, prefix=f"{PREFIX}K{start:07d}-")
		frappe.db.commit()
	seconds = time.perf_counter() - started
	frappe.db.sql(
		"ANALYZE TABLE `tabCustomer`, `tabIssue`, `tabSales Invoice`, `tabContract`, `tabPayment Entry Reference`"
	)
	return seconds


def insert_customers(names: list[str], group: str, territory: str, created: list) -> None:
	"""Bulk-insert company customers, each created at its entry of `created`."""
	now = now_datetime()
	frappe.db.bulk_insert(
		"Customer",
		["name", "customer_name", "customer_group", "territory", "customer_type", *AUDIT_COLUMNS],
		[
			(name, name, group, territory, "Company", on, now, "Administrator", "Administrator")
			for name, on in zip(names, created, strict=True)
		],
	)


def insert_issues(customers, per_customer, rng, prefix):
	now = now_datetime()
	rows, n = [], 0
	for customer in customers:
		for _ in range(per_customer):
			opened = add_days(getdate(today()), -rng.randint(0, 365))
			closed = rng.random() < 0.75
			rows.append(
				(
					f"{prefix}{n}", "bench ticket", customer, "Closed" if closed else "Open", opened,
					rng.choice(("", "", "Fulfilled", "Failed")), rng.randint(3600, 400000) if closed else 0,
					add_days(now, -rng.randint(0, 365)), now, "Administrator", "Administrator",
				)
			)  # fmt: skip
			n += 1
	frappe.db.bulk_insert(
		"Issue",
		[
			"name",
			"subject",
			"customer",
			"status",
			"opening_date",
			"agreement_status",
			"resolution_time",
			*AUDIT_COLUMNS,
		],
		rows,
	)


def insert_invoices(customers, per_customer, rng, prefix):
	"""Submitted invoices over the last 400 days, 80 % paid, half of those with a Payment Entry."""
	company = frappe.defaults.get_global_default("company")
	audit = audit_values(now_datetime())
	invoices, payments, references, n = [], [], [], 0
	for customer in customers:
		for _ in range(per_customer):
			posted = add_days(getdate(today()), -rng.randint(0, 400))
			total = float(rng.choice((100, 250, 900, 3000)))
			paid = rng.random() < 0.8
			name = f"{prefix}{n}"
			invoices.append(
				(
					name, customer, company, posted, add_days(posted, 30), 1, 0, total, total, total,
					0 if paid else total, *audit,
				)
			)  # fmt: skip
			if paid and rng.random() < 0.5:
				paid_on = add_days(posted, rng.randint(5, 60))
				payments.append(
					(f"{name}-P", "Receive", "Customer", customer, company, paid_on, 1, total, *audit)
				)
				references.append(
					(
						f"{name}-R", f"{name}-P", "Payment Entry", "references", 1, "Sales Invoice", name, total,
						*audit,
					)
				)  # fmt: skip
			n += 1
	frappe.db.bulk_insert(
		"Sales Invoice",
		[
			"name",
			"customer",
			"company",
			"posting_date",
			"due_date",
			"docstatus",
			"is_return",
			"grand_total",
			"base_grand_total",
			"base_net_total",
			"outstanding_amount",
			*AUDIT_COLUMNS,
		],
		invoices,
	)
	frappe.db.bulk_insert(
		"Payment Entry",
		[
			"name",
			"payment_type",
			"party_type",
			"party",
			"company",
			"posting_date",
			"docstatus",
			"paid_amount",
			*AUDIT_COLUMNS,
		],
		payments,
	)
	frappe.db.bulk_insert(
		"Payment Entry Reference",
		[
			"name",
			"parent",
			"parenttype",
			"parentfield",
			"idx",
			"reference_doctype",
			"reference_name",
			"allocated_amount",
			*AUDIT_COLUMNS,
		],
		references,
	)


def insert_contracts(customers, rng, prefix):
	"""A signed contract of one or two years for 70 % of `customers`."""
	audit = audit_values(now_datetime())
	rows = []
	for n, customer in enumerate(customers):
		if rng.random() < 0.7:
			start = add_days(getdate(today()), -rng.randint(30, 700))
			end = add_days(start, 365 * rng.choice((1, 2)))
			status = "Active" if getdate(end) >= getdate(today()) else "Inactive"
			rows.append((f"{prefix}{n}", "Customer", customer, start, end, status, 1, 1, "bench", *audit))
	frappe.db.bulk_insert("Contract", [*CONTRACT_COLUMNS, *AUDIT_COLUMNS], rows)


# Benchmarks 6 and 7: the revenue ledger's customers ------------------------------------------------


def grow_ledger_to(customers: int) -> float | None:
	"""Bulk-insert ledger customers up to `customers`, each with 10 submitted invoices of one item line over
	the last two years: billed monthly (55 %: 30 % of them change their amount once, 10 % pause for three
	months, a fifth have a signed contract), quarterly with two one-off invoices (25 %, 40 % under a
	two-year contract with a value), annually under a signed contract per year with eight one-off invoices
	(12 %), or by an ERPNext Subscription whose invoices name it (8 %: the ledger takes the subscription's
	plan, not its invoices). One-off invoices are of an item group that CS Settings lists as one-off.
	Returns the seconds it took, or None if there were enough already."""
	existing = count_customers(f"{LEDGER_PREFIX}%")
	if existing >= customers:
		return None
	item = ledger_fixtures()
	group, territory = leaf_group_and_territory()
	started = time.perf_counter()
	for start in range(existing, customers, BATCH):
		rng = random.Random(start)
		names = [f"{LEDGER_PREFIX}{n:07d}" for n in range(start, min(customers, start + BATCH))]
		now = now_datetime()
		insert_customers(names, group, territory, [now] * len(names))
		insert_ledger_documents(names, rng, f"{PREFIX}LS{start:07d}-", item)
		frappe.db.commit()
	seconds = time.perf_counter() - started
	frappe.db.sql(
		"ANALYZE TABLE `tabCustomer`, `tabSales Invoice`, `tabSales Invoice Item`, `tabContract`, "
		"`tabSubscription`, `tabSubscription Plan Detail`"
	)
	return seconds


def ledger_fixtures() -> str:
	"""The subscription plan, and the one-off item group listed in CS Settings (written directly, so that
	no settings hook queues a ledger rebuild). Returns the item every invoice line bills."""
	item = bench_item()
	audit = audit_values(now_datetime())
	if not frappe.db.exists("Subscription Plan", LEDGER_PLAN):
		frappe.db.bulk_insert(
			"Subscription Plan",
			[
				"name",
				"plan_name",
				"currency",
				"item",
				"price_determination",
				"cost",
				"billing_interval",
				"billing_interval_count",
				*AUDIT_COLUMNS,
			],
			[(LEDGER_PLAN, LEDGER_PLAN, company_currency(), item, "Fixed Rate", 100, "Month", 1, *audit)],
		)
	if not frappe.db.exists("Item Group", ONE_OFF_GROUP):
		frappe.get_doc(
			{
				"doctype": "Item Group",
				"item_group_name": ONE_OFF_GROUP,
				"parent_item_group": frappe.db.get_value("Item Group", {"is_group": 1}, "name"),
				"is_group": 0,
			}
		).insert(ignore_permissions=True)
	if not frappe.db.exists("CS One-off Item Group", {"parent": "CS Settings", "item_group": ONE_OFF_GROUP}):
		frappe.db.bulk_insert(
			"CS One-off Item Group",
			["name", "parent", "parenttype", "parentfield", "idx", "item_group", *AUDIT_COLUMNS],
			[
				(
					frappe.generate_hash(length=10), "CS Settings", "CS Settings", "one_off_item_groups", 99,
					ONE_OFF_GROUP, *audit,
				)
			],
		)  # fmt: skip
		frappe.clear_document_cache("CS Settings", "CS Settings")
	frappe.db.commit()
	return item


def remove_one_off_group() -> None:
	frappe.db.delete("CS One-off Item Group", {"parent": "CS Settings", "item_group": ONE_OFF_GROUP})
	frappe.clear_document_cache("CS Settings", "CS Settings")
	delete_for_good("Item Group", ONE_OFF_GROUP)


def company_currency() -> str:
	return frappe.get_cached_value(
		"Company", frappe.defaults.get_global_default("company"), "default_currency"
	)


def insert_ledger_documents(customers, rng, prefix, item):
	company = frappe.defaults.get_global_default("company")
	currency = company_currency()
	recurring = frappe.db.get_value("Item", item, "item_group")
	window = add_days(getdate(today()), -730)
	audit = audit_values(now_datetime())
	invoices, lines, contracts, subscriptions, plans = [], [], [], [], []

	def contract(name, customer, start, months, value):
		end = add_days(add_months(start, months), -1)
		status = "Active" if end >= getdate(today()) else "Inactive"
		contracts.append((name, "Customer", customer, start, end, status, 1, 1, "bench", value, *audit))

	for c, customer in enumerate(customers):
		roll = rng.random()
		kind = next(k for bound, k in LEDGER_CADENCES if roll < bound)
		subscription, bills = None, []  # bills: (posting date, amount, item group)
		if kind in ("monthly", "subscription"):
			# a tenth pause for three months after the fifth invoice: churn, then reactivation
			pause = 3 if kind == "monthly" and rng.random() < 0.1 else 0
			first = add_days(window, rng.randint(0, 430 - 31 * pause))
			amount = float(rng.choice((50, 100, 250, 500)))
			step = rng.randint(3, 8) if rng.random() < 0.3 else 10
			factor = rng.choice((0.5, 1.5, 2.0))
			bills = [
				(
					add_months(first, i + (pause if i >= 5 else 0)),
					amount * (factor if i >= step else 1),
					recurring,
				)
				for i in range(10)
			]
			if kind == "subscription":
				subscription = f"{prefix}U{c}"
				cancelled = add_months(first, 10) if rng.random() < 0.3 else None
				subscriptions.append(
					(
						subscription, "Customer", customer, company, first, add_days(add_months(first, 12), -1),
						cancelled, "Cancelled" if cancelled else "Active", *audit,
					)
				)  # fmt: skip
				plans.append(
					(f"{subscription}-P", subscription, "Subscription", "plans", 1, LEDGER_PLAN, rng.randint(1, 5), *audit)
				)  # fmt: skip
			elif rng.random() < 0.2:
				contract(f"{prefix}K{c}", customer, first, 12, 0)
		elif kind == "quarterly":
			first = add_days(window, rng.randint(0, 60))
			amount = float(rng.choice((300, 750, 1500, 3000)))
			bills = [(add_months(first, 3 * i), amount, recurring) for i in range(8)]
			if rng.random() < 0.4:
				contract(f"{prefix}K{c}", customer, first, 24, 8 * amount)
		else:
			first = add_days(window, rng.randint(0, 60))
			amount = float(rng.choice((1200, 6000, 12000, 24000)))
			for year in range(2):
				bills.append((add_months(first, 12 * year), amount, recurring))
				contract(f"{prefix}K{c}-{year}", customer, add_months(first, 12 * year), 12, amount)
		while len(bills) < 10:  # one-off: setup fees, services
			bills.append(
				(add_days(first, rng.randint(0, 700)), float(rng.choice((200, 500, 1000))), ONE_OFF_GROUP)
			)
		for i, (posted, amount, item_group) in enumerate(bills):
			name = f"{prefix}{c}-{i}"
			invoices.append(
				(
					name, customer, company, currency, posted, add_days(posted, 30), 1, 0, subscription,
					amount, amount, amount, amount, 0, *audit,
				)
			)  # fmt: skip
			lines.append(
				(
					f"{name}-1", name, "Sales Invoice", "items", 1, item, item, item_group, 1,
					amount, amount, amount, amount, amount, amount, *audit,
				)
			)  # fmt: skip

	frappe.db.bulk_insert(
		"Sales Invoice",
		[
			"name",
			"customer",
			"company",
			"currency",
			"posting_date",
			"due_date",
			"docstatus",
			"is_return",
			"subscription",
			"grand_total",
			"base_grand_total",
			"net_total",
			"base_net_total",
			"outstanding_amount",
			*AUDIT_COLUMNS,
		],
		invoices,
	)
	frappe.db.bulk_insert(
		"Sales Invoice Item",
		[
			"name",
			"parent",
			"parenttype",
			"parentfield",
			"idx",
			"item_code",
			"item_name",
			"item_group",
			"qty",
			"rate",
			"amount",
			"base_rate",
			"base_amount",
			"net_amount",
			"base_net_amount",
			*AUDIT_COLUMNS,
		],
		lines,
	)
	frappe.db.bulk_insert("Contract", [*CONTRACT_COLUMNS, "cs_contract_value", *AUDIT_COLUMNS], contracts)
	frappe.db.bulk_insert(
		"Subscription",
		[
			"name",
			"party_type",
			"party",
			"company",
			"start_date",
			"end_date",
			"cancelation_date",
			"status",
			*AUDIT_COLUMNS,
		],
		subscriptions,
	)
	frappe.db.bulk_insert(
		"Subscription Plan Detail",
		["name", "parent", "parenttype", "parentfield", "idx", "plan", "qty", *AUDIT_COLUMNS],
		plans,
	)


def add_validation_tickets() -> None:
	"""Benchmark 7: 10 tickets over the last year for each ledger customer that has none yet."""
	without = frappe.db.sql_list(
		f"""SELECT c.name FROM `tabCustomer` c WHERE c.name {OURS}
		AND NOT EXISTS (SELECT 1 FROM `tabIssue` i WHERE i.customer = c.name) ORDER BY c.name""",
		f"{LEDGER_PREFIX}%",
	)
	for start in range(0, len(without), BATCH):
		names = without[start : start + BATCH]
		insert_issues(names, 10, random.Random(names[0]), prefix=f"{PREFIX}LI{names[0]}-")
		frappe.db.commit()
	frappe.db.sql("ANALYZE TABLE `tabIssue`")


# Benchmark 9: daily health history and play runs ------------------------------------------------------

SNAPSHOT_COLUMNS = (
	"name", *AUDIT_COLUMNS, "docstatus", "customer", "snapshot_date", "kind", "score", "band",
)  # fmt: skip


def grow_effectiveness_to(
	customers: int, days: int = 365, plays: int = 3, run_share: float | None = None
) -> float | None:
	"""Bulk-insert Play Effectiveness customers up to `customers`, each with a Daily snapshot for every day
	of the last `days` that it was a customer: a score that wanders a little each day (bands by the default
	thresholds), No Data for the first 30 days of 3 % of them, a tenth joining during the year and 8 %
	churning (a Churned event in the ledger, no snapshot after it). A share `run_share` of them has a run of
	one of `plays` plays, started on a day of their history with the band and score of that day; 60 % of the
	runs are closed, with an outcome; by default 5 % over a year, as many a day over a shorter span (a run
	for 5 % x days / 365 of them: the plays enrol as many customers a day however much history there is).
	Returns the seconds it took, or None if there were enough already."""
	from cs_success.engine.health_score import NO_DATA, Bands

	if run_share is None:
		run_share = 0.05 * days / 365

	existing = count_customers(f"{EFFECT_PREFIX}%")
	if existing >= customers:
		return None
	bands = Bands()
	names_of_plays = effectiveness_plays(plays)
	group, territory = leaf_group_and_territory()
	on = getdate(today())
	first = on - timedelta(days=days)
	started = time.perf_counter()
	for start in range(existing, customers, BATCH):
		rng = random.Random(f"effectiveness-{start}")
		names = [f"{EFFECT_PREFIX}{n:07d}" for n in range(start, min(customers, start + BATCH))]
		now = now_datetime()
		audit = audit_values(now)
		insert_customers(names, group, territory, [now] * len(names))
		snapshots, churns, runs = [], [], []
		for name in names:
			joined = 0 if rng.random() < 0.9 else rng.randint(1, days - 60)
			left = rng.randint(joined + 30, days - 1) if rng.random() < 0.08 else days
			no_data_until = joined + 30 if rng.random() < 0.03 else joined
			score, history = rng.uniform(25, 95), []
			for offset in range(joined, left):
				score = min(100.0, max(0.0, score + rng.gauss(0, 1.5)))
				shown = round(score, 1)
				band = NO_DATA if offset < no_data_until else bands.band_by_score(shown)
				value = 0 if band == NO_DATA else shown
				day = first + timedelta(days=offset)
				# Named day first: a customer's snapshots are spread over the table, as on a site where the
				# daily recompute writes one day of everyone's at a time, so reading one customer's history
				# costs what it does there (names by customer would put it on a few pages).
				snapshots.append((f"{day:%Y%m%d}{name}", *audit, 0, name, day, "Daily", value, band))
				history.append((day, value, band))
			if left < days:
				churns.append((f"{name}-C", *audit, 0, name, first + timedelta(days=left), "Churned"))
			if history and rng.random() < run_share:
				day, value, band = rng.choice(history)
				enrolled = datetime.combine(day, dt_time(9)) + timedelta(minutes=rng.randint(0, 600))
				closed = enrolled + timedelta(days=rng.randint(3, 60)) if rng.random() < 0.6 else None
				runs.append(
					(
						f"{name}-R", *audit, 0, rng.choice(names_of_plays), name,
						"Closed" if closed else "Open", enrolled, closed,
						rng.choice(("Saved", "Churned", "No Effect")) if closed else None, band, value,
					)
				)  # fmt: skip
		insert_rows("Customer Health Snapshot", list(SNAPSHOT_COLUMNS), snapshots)
		insert_rows(
			"Customer Lifecycle Event",
			["name", *AUDIT_COLUMNS, "docstatus", "customer", "event_date", "event_type"],
			churns,
		)
		insert_rows(
			"Play Run",
			[
				"name", *AUDIT_COLUMNS, "docstatus", "play", "customer", "status", "enrolled_on",
				"closed_on", "outcome", "band_at_start", "score_at_start",
			],
			runs,
		)  # fmt: skip
		frappe.db.commit()
	seconds = time.perf_counter() - started
	frappe.db.sql("ANALYZE TABLE `tabCustomer Health Snapshot`, `tabCustomer Lifecycle Event`, `tabPlay Run`")
	return seconds


def effectiveness_plays(count: int) -> list[str]:
	"""The benchmark's plays (paused: no daily run starts runs of them), made through the ORM."""
	names = []
	for n in range(1, count + 1):
		name = f"{EFFECT_PLAY} {n}"
		if not frappe.db.exists("Play", name):
			frappe.get_doc(
				{
					"doctype": "Play",
					"play_name": name,
					"trigger": "No Touchpoint",
					"days": 30,
					"is_paused": 1,
					"owner_rule": "User",
					"owner_user": "Administrator",
					"re_enrolment": "Every Time",
					"actions": [{"action_type": "Task", "subject": "Call"}],
				}
			).insert(ignore_permissions=True)
		names.append(name)
	frappe.db.commit()
	return names


# Made through the ORM --------------------------------------------------------------------------------


def bench_customer(name: str) -> str:
	if not frappe.db.exists("Customer", name):
		group, territory = leaf_group_and_territory()
		frappe.get_doc(
			{"doctype": "Customer", "customer_name": name, "customer_group": group, "territory": territory}
		).insert(ignore_permissions=True, set_name=name)
		frappe.db.commit()
	return name


def bench_item() -> str:
	name = BENCH_ITEM
	if not frappe.db.exists("Item", name):
		frappe.get_doc(
			{
				"doctype": "Item",
				"item_code": name,
				"item_group": frappe.db.get_value("Item Group", {"is_group": 0}, "name"),
				"stock_uom": "Nos",
				"is_stock_item": 0,
			}
		).insert(ignore_permissions=True)
	return name


def bench_api_user() -> str:
	"""A System Manager with an API key, for request_overhead only (it removes it when done, run_all at
	the start and the end, cleanup() too); returns the Authorization header."""
	email = BENCH_API_USER
	if not frappe.db.exists("User", email):
		frappe.get_doc(
			{
				"doctype": "User",
				"email": email,
				"first_name": "BENCH API",
				"send_welcome_email": 0,
				"roles": [{"role": SYSTEM_MANAGER}, {"role": "Accounts Manager"}, {"role": "Support Team"}],
			}
		).insert(ignore_permissions=True)
	user = frappe.get_doc("User", email)
	secret = frappe.generate_hash(length=15)
	user.api_key = user.api_key or frappe.generate_hash(length=15)
	user.api_secret = secret
	user.save(ignore_permissions=True)
	frappe.db.commit()
	return f"token {user.api_key}:{secret}"


def remove_bench_api_user() -> bool:
	"""Delete the benchmark's API user (with its API key and secret) and what Frappe made for it: its
	contact, notification settings and defaults, the note that it was shared with itself, its versions.
	Committed. True if there was one."""
	if not frappe.db.exists("User", BENCH_API_USER):
		return False
	# Before the user: its on_trash would delete them with a Deleted Document copy.
	delete_for_good("Notification Settings", BENCH_API_USER)
	delete_for_good("User", BENCH_API_USER)
	for contact in frappe.get_all("Contact", {"email_id": BENCH_API_USER}, pluck="name"):
		delete_for_good("Contact", contact)
	frappe.db.delete("Comment", {"reference_doctype": "User", "reference_name": BENCH_API_USER})
	frappe.db.delete("Version", {"ref_doctype": "User", "docname": BENCH_API_USER})  # they name its API key
	frappe.db.delete("DefaultValue", {"parent": BENCH_API_USER})
	frappe.db.commit()
	return True


# Benchmarks 7 and 8 fit models on the BENCH- data, and a fit makes its model current: the run takes them
# away at the end and makes current again the site's own that were (on a site run with --force, its models).
MODEL_DOCTYPES = ("Churn Risk Model", "Expansion Propensity Model")


def site_models() -> dict[str, tuple[frozenset[str], frozenset[str]]]:
	"""doctype -> (the name of every model, the current ones), as the run found them."""
	return {
		doctype: (
			frozenset(frappe.get_all(doctype, pluck="name")),
			frozenset(frappe.get_all(doctype, filters={"is_current": 1}, pluck="name")),
		)
		for doctype in MODEL_DOCTYPES
	}


def restore_site_models(found: dict[str, tuple[frozenset[str], frozenset[str]]]) -> int:
	"""Delete the models fitted since `found` (site_models) and make current those that were. Returns how many
	were deleted."""
	deleted = 0
	for doctype, (names, current) in found.items():
		for name in frappe.get_all(doctype, pluck="name"):
			if name not in names:
				frappe.db.delete(doctype, {"name": name})
				deleted += 1
		frappe.db.set_value(doctype, {"is_current": 1}, "is_current", 0, update_modified=False)
		for name in current:
			frappe.db.set_value(doctype, name, "is_current", 1, update_modified=False)
	return deleted


def delete_for_good(doctype: str, name: str) -> None:
	"""Delete a record the benchmark made through the ORM, leaving neither a Deleted Document copy (none of
	a System Manager with its API key) nor a "Deleted" line in the activity feed."""
	if not frappe.db.exists(doctype, name):
		return
	frappe.delete_doc(doctype, name, force=True, ignore_permissions=True, delete_permanently=True)
	# frappe.model.delete_doc.insert_feed's subject
	frappe.db.delete(
		"Comment",
		{"comment_type": "Deleted", "reference_doctype": doctype, "subject": f"{frappe._(doctype)} {name}"},
	)


def cleanup() -> None:
	"""Remove every BENCH- row (bulk, as they were made; the prefix in capitals, case-sensitively) and
	our records about them."""
	like = f"{PREFIX}%"
	frappe.db.sql(f"DELETE FROM `tabPlay Run` WHERE customer {OURS}", like)
	for play in frappe.db.sql_list(f"SELECT name FROM `tabPlay` WHERE name {OURS}", f"{EFFECT_PLAY}%"):
		delete_for_good("Play", play)
	for table in LEDGER_TABLES:
		frappe.db.sql(f"DELETE FROM `tab{table}` WHERE customer {OURS}", like)
	frappe.db.sql(f"DELETE FROM `tabSubscription Plan Detail` WHERE parent {OURS}", like)
	frappe.db.sql(f"DELETE FROM `tabSubscription` WHERE party {OURS}", like)
	# Benchmark 1 submits invoices through the ORM: besides their own rows they have child rows (a payment
	# schedule), the income side of their GL entries (the party side goes with the party below) and versions.
	invoice_children = {field.options for field in frappe.get_meta("Sales Invoice").get_table_fields()}
	for table, invoice_column, condition in (
		*((child, "parent", "parenttype = 'Sales Invoice'") for child in sorted(invoice_children)),
		("GL Entry", "voucher_no", "voucher_type = 'Sales Invoice'"),
		("Payment Ledger Entry", "voucher_no", "voucher_type = 'Sales Invoice'"),
		("Version", "docname", "ref_doctype = 'Sales Invoice'"),
	):
		frappe.db.sql(
			f"""DELETE linked FROM `tab{table}` linked
			JOIN `tabSales Invoice` invoice ON invoice.name = linked.`{invoice_column}`
			WHERE linked.{condition} AND invoice.customer {OURS}""",
			like,
		)
	for table, column in (
		("Customer Health Measure", "parent"),
		("Customer Health", "customer"),
		("Customer Health Snapshot", "customer"),
		("Customer Health Change", "customer"),
		("Customer Health Alert", "customer"),
		("Survey Response", "customer"),
		("Survey Invitation", "customer"),
		("Touchpoint", "customer"),
		("Payment Entry Reference", "reference_name"),
		("Payment Entry", "party"),
		("Sales Invoice", "customer"),
		("GL Entry", "party"),
		("Payment Ledger Entry", "party"),
		("Issue", "customer"),
		("Contract", "party_name"),
		("Customer", "name"),
	):
		frappe.db.sql(f"DELETE FROM `tab{table}` WHERE `{column}` {OURS}", like)
	frappe.db.delete("Subscription Plan", {"name": LEDGER_PLAN})
	remove_one_off_group()
	delete_for_good("Item", BENCH_ITEM)
	frappe.db.delete("Survey Campaign", {"name": SURVEY_CAMPAIGN})
	remove_bench_api_user()
	# Benchmark 9's band outcomes counted our customers: the next daily run computes them again.
	band_outcomes.forget()
	frappe.db.commit()
