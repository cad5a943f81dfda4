"""Writing the revenue ledger: per customer, everything is recomputed from the documents and the old rows
replaced in the same transaction, so rebuilding twice gives the same rows. Churn reasons a person set
are kept through rebuilds.

Kept current by the same after-commit drain as health (health/queue.py), rebuilt in full by
`bench --site S cs-success ledger --rebuild [--shards N]`, set-based: one read per table for any
number of customers, plain multi-row INSERTs."""

from collections.abc import Sequence
from datetime import date, timedelta

import frappe
from frappe.utils import getdate, now_datetime, today

from cs_success.engine.ledger import CHURNED, ONE_DAY, customer_books
from cs_success.health.recompute import insert_rows
from cs_success.ledger.sources import billing_period_overrides, customer_books_inputs

TABLES = (
	"MRR Interval",
	"MRR Movement",
	"Customer Active Span",
	"Customer Lifecycle Event",
	"Agreement Renewal",
)
# A full rebuild writes this many customers per transaction.
CHUNK = 2000
# Shards beyond this would each read the whole site for little.
MAX_SHARDS = 64


def ledger_settings() -> frappe._dict:
	settings = frappe.get_cached_doc("CS Settings")
	return frappe._dict(
		grace_days=int(settings.get("ledger_grace_days") or 0),
		renewal_grace_days=int(settings.get("renewal_grace_days") or 30),
		default_months=1,
		excluded_item_groups=[row.item_group for row in settings.get("one_off_item_groups") or []],
	)


def rebuild_customers(customers: Sequence[str] | None) -> int:
	"""Rebuild the ledger of these customers (None: everyone). Returns how many have a ledger."""
	if customers is not None:
		customers = sorted(set(customers))
		if not customers:
			return 0
		_lock(customers)
	settings = ledger_settings()
	default_company = frappe.defaults.get_global_default("company")
	inputs = customer_books_inputs(customers, settings.excluded_item_groups, default_company)
	overrides = billing_period_overrides(customers)
	reasons = _kept_churn_reasons(customers)
	_delete(customers)

	now, user = now_datetime(), frappe.session.user
	base = (now, now, user, user, 0)
	rows = {doctype: [] for doctype in TABLES}
	today_ = getdate(today())
	for customer, (by_company, contracts) in inputs.items():
		books = customer_books(
			by_company,
			contracts,
			_contract_company(by_company, default_company),
			overrides.get(customer),
			settings.default_months,
			settings.grace_days,
			settings.renewal_grace_days,
		)
		for company, ledger in books.companies.items():
			rows["MRR Interval"] += [
				(_name(), *base, customer, company, iv.start, _last_day(iv.end), iv.mrr)
				for iv in ledger.intervals
			]
			rows["MRR Movement"] += [
				(_name(), *base, customer, company, m.date, m.kind, m.amount, m.mrr_before, m.mrr_after)
				for m in ledger.movements
			]
			rows["Agreement Renewal"] += [
				(
					_name(),
					*base,
					customer,
					company,
					_agreement_type(r.agreement, contracts),
					r.agreement,
					r.due_date,
					_outcome(r, today_, settings.renewal_grace_days),
					r.mrr,
				)
				for r in ledger.renewals
			]
		rows["Customer Active Span"] += [
			(_name(), *base, customer, span.start, _last_day(span.end)) for span in books.spans
		]
		for event in books.events:
			reason, source, notes = reasons.get((customer, event.kind, event.date), (None, None, None))
			rows["Customer Lifecycle Event"].append(
				(_name(), *base, customer, event.date, event.kind, reason, source, notes)
			)

	standard = ["name", "creation", "modified", "owner", "modified_by", "docstatus"]
	insert_rows(
		"MRR Interval",
		[*standard, "customer", "company", "from_date", "to_date", "mrr"],
		rows["MRR Interval"],
	)
	insert_rows(
		"MRR Movement",
		[
			*standard,
			"customer",
			"company",
			"movement_date",
			"movement_type",
			"amount",
			"mrr_before",
			"mrr_after",
		],
		rows["MRR Movement"],
	)
	insert_rows(
		"Agreement Renewal",
		[*standard, "customer", "company", "agreement_type", "agreement", "due_date", "outcome", "mrr"],
		rows["Agreement Renewal"],
	)
	insert_rows(
		"Customer Active Span", [*standard, "customer", "from_date", "to_date"], rows["Customer Active Span"]
	)
	insert_rows(
		"Customer Lifecycle Event",
		[
			*standard,
			"customer",
			"event_date",
			"event_type",
			"churn_reason",
			"churn_reason_source",
			"churn_notes",
		],
		rows["Customer Lifecycle Event"],
	)
	fill_churn_reasons_from_exit_surveys(customers)
	return len(inputs)


def _name() -> str:
	return frappe.generate_hash(length=20)


def _last_day(end: date | None) -> date | None:
	"""The engine's spans are half-open; stored rows name their last day, as Frappe's date ranges do."""
	return end - ONE_DAY if end is not None else None


def _contract_company(by_company: dict, default_company: str) -> str:
	"""Contracts name no company: the customer's only company, else the site's default one."""
	return next(iter(by_company)) if len(by_company) == 1 else default_company


def _agreement_type(agreement: str, contracts) -> str:
	return "Contract" if any(c.name == agreement for c in contracts) else "Subscription"


def _outcome(renewal, on: date, grace_days: int) -> str:
	if renewal.cancelled:
		return "Cancelled"
	if renewal.renewed:
		return "Renewed"
	# Not renewed yet, but the window for it is still open.
	return "Pending" if renewal.due_date + timedelta(days=1 + grace_days) > on else "Not Renewed"


def _lock(customers: Sequence[str]) -> None:
	"""Two rebuilds of the same customer (the after-commit drain during a full rebuild) take turns: each
	first locks its customers' rows, by primary key, so that rebuilds of other customers never wait."""
	frappe.db.sql(
		"SELECT name FROM `tabCustomer` WHERE name IN %(customers)s FOR UPDATE",
		{"customers": tuple(customers)},
	)


def _delete(customers: Sequence[str] | None) -> None:
	for doctype in TABLES:
		if customers is None:
			frappe.db.sql(f"DELETE FROM `tab{doctype}`")
		else:
			frappe.db.sql(
				f"DELETE FROM `tab{doctype}` WHERE customer IN %(customers)s", {"customers": tuple(customers)}
			)


def _kept_churn_reasons(customers: Sequence[str] | None) -> dict:
	"""(customer, event type, date) -> (reason, source, notes) that a person or an exit survey set."""
	condition = " AND customer IN %(customers)s" if customers is not None else ""
	rows = frappe.db.sql(
		f"""SELECT customer, event_type, event_date, churn_reason, churn_reason_source, churn_notes
		FROM `tabCustomer Lifecycle Event`
		WHERE (IFNULL(churn_reason, '') != '' OR IFNULL(churn_notes, '') != '') {condition}""",
		{"customers": tuple(customers or ())},
	)
	return {
		(customer, kind, getdate(on)): (reason, source, notes)
		for customer, kind, on, reason, source, notes in rows
	}


def fill_churn_reasons_from_exit_surveys(customers: Sequence[str] | None) -> None:
	"""A churn event with no reason takes the answer to "Why are you leaving?" of the customer's exit
	survey answered within 90 days around it, when that answer names a Churn Reason."""
	condition = " AND event.customer IN %(customers)s" if customers is not None else ""
	frappe.db.sql(
		f"""
		UPDATE `tabCustomer Lifecycle Event` event
		JOIN (
			SELECT response.customer, DATE(response.submitted_on) AS answered_on, answer.answer AS reason
			FROM `tabSurvey Response` response
			JOIN `tabSurvey Campaign` campaign ON campaign.name = response.campaign AND campaign.purpose = 'Exit'
			JOIN `tabSurvey Answer` answer ON answer.parent = response.name AND answer.question_type = 'Single Choice'
			JOIN `tabChurn Reason` reason ON reason.name = answer.answer
		) exit_answer ON exit_answer.customer = event.customer
			AND exit_answer.answered_on BETWEEN DATE_SUB(event.event_date, INTERVAL 90 DAY)
				AND DATE_ADD(event.event_date, INTERVAL 90 DAY)
		SET event.churn_reason = exit_answer.reason, event.churn_reason_source = 'Exit Survey'
		WHERE event.event_type = %(churned)s AND IFNULL(event.churn_reason, '') = '' {condition}
		""",
		{"customers": tuple(customers or ()), "churned": CHURNED},
	)


def settle_pending_renewals() -> None:
	"""Daily: a term whose grace window has passed without a renewal is now Not Renewed."""
	grace = ledger_settings().renewal_grace_days
	frappe.db.sql(
		"""UPDATE `tabAgreement Renewal` SET outcome = 'Not Renewed', modified = %(now)s
		WHERE outcome = 'Pending' AND due_date < %(cutoff)s""",
		{"now": now_datetime(), "cutoff": getdate(today()) - timedelta(days=1 + grace)},
	)


# Full rebuilds -------------------------------------------------------------------------------------


def shard_customers(shard: int, shards: int) -> list[str]:
	"""The customers of one shard: a stable hash of the name, so any worker on any machine agrees."""
	return frappe.db.sql_list(
		"SELECT name FROM `tabCustomer` WHERE MOD(CRC32(name), %(shards)s) = %(shard)s ORDER BY name",
		{"shards": shards, "shard": shard},
	)


def rebuild_all(shards: int = 1) -> int:
	"""Everyone, a chunk of customers per transaction; with shards > 1 as that many background jobs
	on the long queue, for as many workers (on as many machines) as the bench has."""
	shards = max(1, min(int(shards), MAX_SHARDS))
	if shards > 1:
		for shard in range(shards):
			frappe.enqueue(
				"cs_success.ledger.build.rebuild_shard",
				queue="long",
				timeout=3600,
				job_id=f"cs_success:ledger:rebuild:{shard}/{shards}",
				deduplicate=True,
				shard=shard,
				shards=shards,
			)
		return 0
	return rebuild_shard(0, 1)


def enqueue_full_rebuild() -> None:
	"""Settings that change every customer's ledger: one rebuild job, however many saves."""
	frappe.enqueue(
		"cs_success.ledger.build.rebuild_all",
		queue="long",
		timeout=3600,
		job_id="cs_success:ledger:rebuild_all",
		deduplicate=True,
		enqueue_after_commit=True,
		now=frappe.flags.in_test,
	)


def rebuild_shard(shard: int, shards: int) -> int:
	"""One shard, a chunk of customers per transaction, at READ COMMITTED: shards run in parallel, and at
	REPEATABLE READ each one's deletes lock the index gaps next to its customers (and the rows it deleted
	hand their locks on as gap locks when an insert splits an index page), where the other shard inserts:
	two shards waited for each other and deadlocked (BENCHMARKS.md, benchmark 6). Rebuilds of the same
	customer still take turns (_lock)."""
	customers = shard_customers(shard, shards)
	# Rows of customers that no longer exist go with the full rebuild.
	if shards == 1:
		_delete_orphans()
	level = frappe.db.sql("SELECT @@SESSION.tx_isolation")[0][0]
	frappe.db.sql("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED")  # from the next transaction
	built = 0
	try:
		for start in range(0, len(customers), CHUNK):
			if not frappe.flags.in_test:
				frappe.db.commit()
			built += rebuild_customers(customers[start : start + CHUNK])
		if not frappe.flags.in_test:
			frappe.db.commit()
	finally:
		frappe.db.sql("SET SESSION tx_isolation = %s", level)
	return built


def _delete_orphans() -> None:
	for doctype in TABLES:
		frappe.db.sql(
			f"""DELETE ledger FROM `tab{doctype}` ledger
			LEFT JOIN `tabCustomer` customer ON customer.name = ledger.customer
			WHERE customer.name IS NULL"""
		)
