"""Writing the revenue ledger: per customer, everything is recomputed from the documents and compared with
the stored rows; only rows no longer produced are deleted and only new ones inserted, in the same
transaction, so rebuilding twice gives the same rows and a rebuild over unchanged documents writes
nothing. Churn reasons and notes a person set stay on their (unchanged) lifecycle event rows, and follow
an event the rebuild moves (carry_churn_notes).

Kept current by the same after-commit drain as health (base/queue.py), rebuilt in full by
`bench --site S cs-success ledger --rebuild [--shards N]`, set-based: one read per table for any
number of customers, plain multi-row INSERTs, deletes by primary key."""

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import frappe
from frappe.utils import flt, getdate, now_datetime, today

from cs_success.base.archive import keep_deleted_copies
from cs_success.base.bulk import clustered_name, insert_rows, plain_in_lists, time_stamp
from cs_success.engine.ledger import CHURNED, ONE_DAY, customer_books
from cs_success.ledger.snapshot_outcomes import refresh_snapshot_outcomes
from cs_success.ledger.sources import billing_period_overrides, customer_books_inputs

# The columns the rebuild writes and compares, per table: everything but the name and the standard
# fields. A lifecycle event is compared by customer, date and type only: its churn reason, source and
# notes are a person's (or an exit survey's) and stay on the row while the event does.
COLUMNS = {
	"MRR Interval": ("customer", "company", "from_date", "to_date", "mrr", "acquired_on"),
	"MRR Movement": (
		"customer",
		"company",
		"movement_date",
		"movement_type",
		"amount",
		"mrr_before",
		"mrr_after",
	),
	"Customer Active Span": ("customer", "from_date", "to_date", "acquired_on"),
	"Customer Lifecycle Event": ("customer", "event_date", "event_type"),
	"Agreement Renewal": ("customer", "company", "agreement_type", "agreement", "due_date", "outcome", "mrr"),
}
TABLES = tuple(COLUMNS)
# Currency columns, stored as Frappe's DECIMAL(21,9): written and compared as their decimal text (_money).
MONEY = frozenset({"mrr", "amount", "mrr_before", "mrr_after"})
# Date columns: written and compared as ISO text (_day), which is also what MariaDB returns for them as
# text (cheaper to read than date objects at 700,000 rows).
DATES = frozenset({"from_date", "to_date", "movement_date", "event_date", "due_date", "acquired_on"})
MONEY_PLACES = 9
ZERO, NEGATIVE_ZERO = f"{0:.{MONEY_PLACES}f}", f"-{0:.{MONEY_PLACES}f}"
# Each row's _row_digest, stored with it: indexed with the customer, so that a rebuild finds the customers
# whose rows are unchanged from the index alone (_changed_customers).
DIGEST = "row_digest"
# A full rebuild writes this many customers per transaction.
CHUNK = 2000
# Shards beyond this would each read the whole site for little.
MAX_SHARDS = 64
# From this many customers a plain read of their digests scans the index range they span (_changed_customers).
RANGE_READ_MIN = 500
# Rows deleted (or given their digest) by primary key per statement.
DELETE_BATCH = 1000


def ledger_settings() -> frappe._dict:
	settings = frappe.get_cached_doc("CS Settings")
	return frappe._dict(
		grace_days=int(settings.get("ledger_grace_days") or 0),
		renewal_grace_days=int(settings.get("renewal_grace_days") or 30),
		default_months=1,
		excluded_item_groups=[row.item_group for row in settings.get("one_off_item_groups") or []],
	)


def rebuild_customers(customers: Sequence[str] | None, locking_reads: bool = True) -> int:
	"""Rebuild the ledger of these customers (None: everyone). Returns how many have a ledger.

	`locking_reads=False` only at READ COMMITTED, after _lock (rebuild_shard): every plain read then sees
	the latest committed rows, which is what FOR UPDATE is for at REPEATABLE READ (the drain)."""
	if customers is not None:
		customers = sorted(set(customers))
		if not customers:
			return 0
		_lock(customers)
	settings = ledger_settings()
	default_company = frappe.defaults.get_global_default("company")
	inputs = customer_books_inputs(customers, settings.excluded_item_groups, default_company)
	overrides = billing_period_overrides(customers)
	rows = ledger_rows(inputs, overrides, settings, default_company, getdate(today()))
	# Each new row's digest, once: summed per customer, checked against kept rows, stored with inserts.
	digests = {doctype: [_row_digest(values) for values in rows[doctype]] for doctype in TABLES}
	changed, with_stored_rows = _changed_customers(customers, rows, digests, locking_reads)
	stored = _stored_rows(with_stored_rows, locking_reads)
	now, user = now_datetime(), frappe.session.user
	shared = {"creation": now, "modified": now, "owner": user, "modified_by": user, "docstatus": 0}
	for doctype in TABLES:
		produced = [
			(values, digest)
			for values, digest in zip(rows[doctype], digests[doctype], strict=True)
			if values[0] in changed[doctype]
		]
		inserts, deletes, stale = _changes(produced, stored[doctype])
		annotated = _annotated_churns(deletes) if doctype == LIFECYCLE and deletes else []
		_delete_rows(doctype, deletes)
		_set_digests(doctype, stale)
		stamp = time_stamp(now)
		new_rows = [(clustered_name(stamp), *values, digest) for values, digest in inserts]
		insert_rows(doctype, ["name", *COLUMNS[doctype], DIGEST], new_rows, shared=shared)
		if annotated:
			# (name, customer, event_date, event_type) of the events just inserted
			carry_churn_notes(annotated, [row[:4] for row in new_rows])
	fill_churn_reasons_from_exit_surveys(customers)
	if moved := changed["Customer Active Span"] | changed["Customer Lifecycle Event"]:
		refresh_snapshot_outcomes(moved)
	return len(inputs)


def ledger_rows(inputs: dict, overrides: dict, settings, default_company: str, today_: date) -> dict:
	"""doctype -> [row values in COLUMNS order], for every customer in `inputs`; money as stored."""
	rows = {doctype: [] for doctype in TABLES}
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
		# The customer's cohort, on each of its spans and MRR intervals: Cohort Retention groups them by it
		# without a join (every interval lies within a span, so a customer with intervals has one).
		acquired_on = _day(books.spans[0].start) if books.spans else None
		for company, ledger in books.companies.items():
			rows["MRR Interval"] += [
				(customer, company, _day(iv.start), _day(_last_day(iv.end)), _money(iv.mrr), acquired_on)
				for iv in ledger.intervals
			]
			rows["MRR Movement"] += [
				(
					customer,
					company,
					_day(m.date),
					m.kind,
					_money(m.amount),
					_money(m.mrr_before),
					_money(m.mrr_after),
				)
				for m in ledger.movements
			]
			rows["Agreement Renewal"] += [
				(
					customer,
					company,
					_agreement_type(r.agreement, contracts),
					r.agreement,
					_day(r.due_date),
					_outcome(r, today_, settings.renewal_grace_days),
					_money(r.mrr),
				)
				for r in ledger.renewals
			]
		rows["Customer Active Span"] += [
			(customer, _day(span.start), _day(_last_day(span.end)), acquired_on) for span in books.spans
		]
		rows["Customer Lifecycle Event"] += [
			(customer, _day(event.date), event.kind) for event in books.events
		]
	return rows


def _money(value: float) -> str:
	"""A Currency column's value as it stores it (DECIMAL(21,9)) and as _stored_rows reads it back: the
	decimal text with nine places. Written as this text, rounded here and not by the database, so a new
	row and its stored twin compare equal exactly, at any magnitude (floats would not)."""
	text = f"{flt(value):.{MONEY_PLACES}f}"
	return ZERO if text == NEGATIVE_ZERO else text


def _day(value: date | None) -> str | None:
	"""A Date column's value as ISO text, as _stored_rows reads it back."""
	if value is None:
		return None
	return (value.date() if isinstance(value, datetime) else value).isoformat()


def _as_text(column: str) -> str:
	"""A column as ledger_rows makes its value: money and dates as text (Frappe would turn a DECIMAL into
	a float, and pymysql parses every DATE in Python)."""
	return f"CAST(`{column}` AS CHAR)" if column in MONEY or column in DATES else f"`{column}`"


def _row_digest(values: tuple) -> int:
	"""60 bits of the MD5 of a row's values but its customer (values[0]) joined by a unit separator (None
	as a record separator): stored with the row (DIGEST), and what digest_sql computes from its columns.
	Without the customer, so that renaming or merging a customer, which moves its rows, keeps them right."""
	text = "\x1f".join("\x1e" if value is None else value for value in values[1:])
	return int(hashlib.md5(text.encode()).hexdigest()[:15], 16)


def digest_sql(doctype: str) -> str:
	"""_row_digest of a stored row, computed by MariaDB from its columns (the patch that filled the
	column for rows written before it)."""
	joined = ", ".join(f"COALESCE({_as_text(c)}, CHAR(30 USING utf8mb4))" for c in COLUMNS[doctype][1:])
	return f"CAST(CONV(LEFT(MD5(CONCAT_WS(CHAR(31 USING utf8mb4), {joined})), 15), 16, 10) AS UNSIGNED)"


def _changed_customers(
	customers: Sequence[str] | None, rows: dict, digests: dict, locking_reads: bool = True
) -> tuple[dict[str, set[str]], dict[str, set[str]]]:
	"""(doctype -> the customers whose stored rows differ from the new ones, doctype -> those of them that
	have stored rows: the only ones whose rows are worth reading back; on a first build none), given the
	new rows and their digests (_row_digest, in the same order). Per customer the database sums the
	digest stored with each row (and counts them) from the (customer, row_digest) index alone,
	so one row per customer comes back to Python and no stored row is read; rows are read and compared
	one by one only for customers whose sums differ (after a document changed: a few). A sum of 60-bit
	digests that matched for different rows by chance is about as likely as two random 60-bit numbers
	being equal. The sum comes back as text: Frappe would turn the DECIMAL into a float and lose its last
	digits. A customer with a row without a digest (NULL) differs, and _changes then stores the digest.
	Read with FOR UPDATE, as _stored_rows."""
	condition, params = _customers_condition(customers, locking_reads)
	wanted = frozenset(customers or ())
	changed, with_stored_rows = {}, {}
	for doctype in TABLES:
		new = defaultdict(lambda: [0, 0])
		for values, digest in zip(rows[doctype], digests[doctype], strict=True):
			sums = new[values[0]]
			sums[0] += 1
			sums[1] += digest
		stored = {
			customer: [int(count), None if missing else int(total)]
			for customer, count, missing, total in frappe.db.sql(
				f"""SELECT customer, COUNT(*), COUNT(*) - COUNT({DIGEST}), CAST(SUM({DIGEST}) AS CHAR)
				FROM `tab{doctype}` {condition} GROUP BY customer {"FOR UPDATE" if locking_reads else ""}""",
				params,
			)
			if customers is None or customer in wanted
		}
		changed[doctype] = {
			customer for customer in set(new) | set(stored) if new.get(customer) != stored.get(customer)
		}
		with_stored_rows[doctype] = {customer for customer in changed[doctype] if customer in stored}
	return changed, with_stored_rows


def _customers_condition(customers: Sequence[str] | None, locking_reads: bool) -> tuple[str, dict]:
	"""Which customers' digests to read: everyone; a plain read of a full rebuild's chunk, as the range from
	its first to its last customer in the database's order (one scan of the index instead of a lookup per
	customer; other shards' customers in the range are read too and left out by the caller); or, for a
	locking read, which must not lock other customers' rows, each customer."""
	if customers is None:
		return "", {}
	if not locking_reads and len(customers) >= RANGE_READ_MIN:
		first, last = frappe.db.sql(
			"SELECT MIN(name), MAX(name) FROM `tabCustomer` WHERE name IN %(customers)s",
			{"customers": tuple(customers)},
		)[0]
		if first is not None:  # else none of them exists (any ledger rows left are orphans)
			return "WHERE customer BETWEEN %(first)s AND %(last)s", {"first": first, "last": last}
	return "WHERE customer IN %(customers)s", {"customers": tuple(customers)}


def _stored_rows(changed: dict[str, set[str]], locking_reads: bool = True) -> dict:
	"""doctype -> {row values: [(name, stored digest)]}: the stored rows of these customers (whose rows
	changed), as ledger_rows makes them (_as_text), read with FOR UPDATE: a locking read sees the latest
	committed rows (a plain one at REPEATABLE READ may see an older snapshot, from before another rebuild
	of the same customers committed), and these rows are the ones to delete."""
	stored = {}
	for doctype in TABLES:
		by_values = defaultdict(list)
		customers = sorted(changed[doctype])
		selected = ", ".join(_as_text(c) for c in COLUMNS[doctype])
		for start in range(0, len(customers), CHUNK):
			for name, digest, *values in frappe.db.sql(
				f"""SELECT name, {DIGEST}, {selected} FROM `tab{doctype}` WHERE customer IN %(customers)s
				{"FOR UPDATE" if locking_reads else ""}""",
				{"customers": tuple(customers[start : start + CHUNK])},
				as_list=True,
			):
				by_values[tuple(values)].append((name, digest))
		stored[doctype] = by_values
	return stored


def _changes(
	rows: list[tuple[tuple, int]], stored: dict[tuple, list[tuple]]
) -> tuple[list[tuple[tuple, int]], list[str], list[tuple[str, int]]]:
	"""Given the new rows as (values, digest): ((values, digest) to insert, names to delete, (name, digest)
	of kept rows whose stored digest is not their values' own): a stored row that is produced again stays as it is (name, timestamps, a person's churn
	reason); duplicates are matched one for one. A kept row's digest is wrong when its values were changed
	in place (a company renamed) or it had none: set right, its customer is found unchanged again."""
	inserts, stale = [], []
	for values, digest in rows:
		kept = stored.get(values)
		if kept:
			name, stored_digest = kept.pop()
			if stored_digest is None or int(stored_digest) != digest:
				stale.append((name, digest))
		else:
			inserts.append((values, digest))
	return inserts, [name for kept in stored.values() for name, _digest in kept], stale


def _set_digests(doctype: str, digests: list[tuple[str, int]]) -> None:
	for start in range(0, len(digests), DELETE_BATCH):
		batch = digests[start : start + DELETE_BATCH]
		cases = " ".join("WHEN %s THEN %s" for _row in batch)
		frappe.db.sql(
			f"UPDATE `tab{doctype}` SET {DIGEST} = CASE name {cases} END WHERE name IN %s",
			[*(value for row in batch for value in row), tuple(name for name, _digest in batch)],
		)


def _delete_rows(doctype: str, names: list[str]) -> None:
	for start in range(0, len(names), DELETE_BATCH):
		frappe.db.sql(
			f"DELETE FROM `tab{doctype}` WHERE name IN %(names)s",
			{"names": tuple(names[start : start + DELETE_BATCH])},
		)


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


LIFECYCLE = "Customer Lifecycle Event"


def _annotated_churns(names: list[str]) -> list[dict]:
	"""The churn events among these (about to be deleted) that carry a person's reason or notes."""
	rows = []
	for start in range(0, len(names), DELETE_BATCH):
		rows += frappe.db.sql(
			f"""SELECT * FROM `tab{LIFECYCLE}` WHERE name IN %(names)s AND event_type = %(churned)s
			AND (churn_reason_source = 'Manual' AND IFNULL(churn_reason, '') != ''
				OR IFNULL(churn_notes, '') != '')""",
			{"names": tuple(names[start : start + DELETE_BATCH]), "churned": CHURNED},
			as_dict=True,
		)
	return rows


def carry_churn_notes(annotated: list[dict], inserted: list[tuple]) -> None:
	"""A rebuild that moves a churn event (an invoice found later extends the service, so the customer
	left a month later) deletes the old row and inserts a new one. The rule: a deleted churn event with a
	person's reason or notes hands them to the churn event of the same customer that the same rebuild
	inserted nearest to it in date (the one that replaced it; on a tie the later), each inserted event
	taking at most one. A reason only when a person set it (an exit survey's is found again by
	fill_churn_reasons_from_exit_surveys); notes always. One with no such event (the customer no longer
	churned then) is kept as a Deleted Document, as a deleted customer's is, so nothing a person wrote is
	lost without a copy."""
	new_churns = defaultdict(list)
	for name, customer, event_date, event_type in inserted:
		if event_type == CHURNED:
			new_churns[customer].append((name, getdate(event_date)))
	pairs = sorted(
		(abs((day - getdate(old.event_date)).days), -day.toordinal(), i, name)
		for i, old in enumerate(annotated)
		for name, day in new_churns.get(old.customer, [])
	)
	carried, taken = set(), set()
	for _distance, _later, i, name in pairs:
		if i in carried or name in taken:
			continue
		carried.add(i)
		taken.add(name)
		old = annotated[i]
		manual = old.churn_reason_source == "Manual" and old.churn_reason
		frappe.db.sql(
			f"""UPDATE `tab{LIFECYCLE}` SET churn_reason = %(reason)s, churn_reason_source = %(source)s,
			churn_notes = %(notes)s WHERE name = %(name)s""",
			{
				"reason": old.churn_reason if manual else None,
				"source": "Manual" if manual else None,
				"notes": old.churn_notes,
				"name": name,
			},
		)
	if lost := [old for i, old in enumerate(annotated) if i not in carried]:
		keep_deleted_copies(LIFECYCLE, lost)


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
		with plain_in_lists():
			for start in range(0, len(customers), CHUNK):
				if not frappe.flags.in_test:
					frappe.db.commit()
				# Each chunk its own READ COMMITTED transaction (in tests, one transaction and one connection).
				built += rebuild_customers(customers[start : start + CHUNK], locking_reads=False)
			if not frappe.flags.in_test:
				frappe.db.commit()
	finally:
		frappe.db.sql("SET SESSION tx_isolation = %s", level)
	return built


def _delete_orphans() -> None:
	"""Rows of customers that no longer exist: found on the customer index alone (a scan of the rows
	themselves, as a DELETE with the join does, takes twice as long), then deleted."""
	for doctype in TABLES:
		orphans = frappe.db.sql_list(
			f"""SELECT DISTINCT ledger.customer FROM `tab{doctype}` ledger
			LEFT JOIN `tabCustomer` customer ON customer.name = ledger.customer
			WHERE customer.name IS NULL"""
		)
		if None in orphans:
			frappe.db.sql(f"DELETE FROM `tab{doctype}` WHERE customer IS NULL")
		if names := [name for name in orphans if name is not None]:
			frappe.db.sql(f"DELETE FROM `tab{doctype}` WHERE customer IN %(names)s", {"names": tuple(names)})
