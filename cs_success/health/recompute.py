"""Compute and store Customer Health: one code path for one customer and for everyone.

Reads are set-based (see measure_data); writes are batched: new records are bulk-inserted, existing
ones bulk-updated, breakdown rows rewritten only where the breakdown changed, and snapshots upserted.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

import frappe
from frappe import _
from frappe.utils import add_days, get_datetime, getdate, now_datetime

from cs_success.base.bulk import clustered_name, day_stamp, insert_rows, time_stamp
from cs_success.base.queue import enqueue_once_after_commit
from cs_success.engine.health_score import (
	NO_DATA,
	Bands,
	Driver,
	HealthResult,
	Override,
	change_drivers,
	compute_health,
	effective_score,
)
from cs_success.engine.scorecards import CustomerSegment, select_scorecard
from cs_success.health import alerts
from cs_success.health.config import get_bands, load_scorecards, measure_label, measure_unit
from cs_success.health.measure_data import CustomerRow, gather_raw_values, get_customers
from cs_success.health.snapshots import scores_on_or_before
from cs_success.ledger.snapshot_outcomes import outcome_columns

CHUNK = 1000
# Fields of a Customer Health row that a recompute sets and that can stay the same between runs.
COMPARED_FIELDS = (
	"customer_name",
	"customer_group",
	"territory",
	"account_manager",
	"score",
	"band",
	"computed_score",
	"computed_band",
	"data_coverage",
	"scorecard",
	"has_trend",
	"score_30d_ago",
	"trend_delta",
)
# Read from the stored record: the compared fields plus the override and the breakdown, and whether it shows
# a churn risk (the risk listener, told of the batch with these rows as `previous`, clears only those).
EXISTING_FIELDS = (
	"name",
	"override_active",
	"override_score",
	"override_reason",
	"override_expires_on",
	"contributions",
	"has_churn_risk_30",
	"has_churn_risk_90",
	*COMPARED_FIELDS,
)


@dataclass
class Outcome:
	customer: CustomerRow
	scorecard: str
	result: HealthResult
	score: float | None
	band: str
	computed_band: str
	override_active: bool
	override_lapsed: bool
	previous: dict | None
	state: dict
	state_json: str

	@cached_property
	def previous_state(self) -> dict:
		"""The stored breakdown, parsed only for customers whose score moved (to explain why)."""
		if self.previous is None or not self.previous.contributions:
			return {}
		return json.loads(self.previous.contributions)

	@property
	def state_changed(self) -> bool:
		# Both sides come from the same json.dumps(sort_keys=True), so equal text means equal state.
		return self.previous is None or self.previous.contributions != self.state_json

	@property
	def score_changed(self) -> bool:
		return self.previous is None or _rounded(self.previous.score) != _rounded(self.score)

	@property
	def band_changed(self) -> bool:
		return self.previous is not None and self.previous.band != self.band


def _rounded(value: float | None) -> float | None:
	return None if value is None else round(float(value), 1)


def stored_score(value: float | None) -> float:
	"""Frappe's Float columns are NOT NULL: "no value" is stored as 0 beside a flag that says so
	(band "No Data", has_data, has_trend, previous_band blank)."""
	return 0.0 if value is None else round(float(value), 1)


def breakdown_state(result: HealthResult) -> dict:
	"""{measure: [raw value, score, contribution]}, rounded as stored: the Customer Health breakdown
	and every snapshot's measure scores, live or back-filled."""
	return {
		m.key: [_rounded(m.raw_value), _rounded(m.score), round(m.contribution, 3)] for m in result.measures
	}


def recompute_customers(
	names: Sequence[str] | None,
	*,
	raise_alerts: bool = True,
	log_changes: bool = True,
	now: datetime | None = None,
	publish: bool | None = None,
) -> int:
	"""Recompute the given customers (None: every enabled customer). Returns how many were scored.

	`log_changes=False` is for callers that write their own audit entry (overrides). `publish`
	(default: only when names are given) tells open forms about the new scores.
	"""
	now = now or now_datetime()
	today = getdate(now)
	names = None if names is None else sorted(set(names))
	if names == []:
		return 0
	customers = get_customers(names, today)
	if not customers:
		return 0
	raw_values = gather_raw_values([c.name for c in customers], names, today)
	scorecards = load_scorecards()
	bands = get_bands()
	existing = _load_existing(names)
	past_scores = scores_on_or_before(names, add_days(today, -30))

	# Read once for everyone; compute and write a batch at a time, dropping what is done, so memory
	# stays flat however many customers there are.
	for start in range(0, len(customers), CHUNK):
		outcomes = []
		for customer in customers[start : start + CHUNK]:
			segment = CustomerSegment(customer.customer_group, customer.territory, customer.age_days)
			scorecard = select_scorecard(scorecards, segment)
			raw = raw_values.pop(customer.name, {})
			result = compute_health(scorecard.rules, raw, validated=True)
			previous = existing.pop(customer.name, None)
			outcomes.append(
				_outcome(customer, scorecard.name, result, previous, bands, now, has_churned(raw))
			)
		_persist(
			outcomes,
			past_scores,
			today,
			now,
			raise_alerts,
			log_changes,
			names is not None if publish is None else publish,
		)
	return len(customers)


def enqueue_full_recompute() -> None:
	"""Configuration changed (a scorecard, the bands, a manager's "recompute all"): everyone's score
	may move at once. One job, however many saves; one summary, not one alert per customer."""
	enqueue_once_after_commit(
		"cs_success.health.recompute.recompute_after_configuration_change", "cs_success:health:recompute_all"
	)


def recompute_after_configuration_change() -> dict[tuple[str, str], int]:
	"""Recompute everyone without per-customer alerts (a manager who moves a threshold must not get
	hundreds of ToDos), then tell CS Managers in one notification how many customers moved between
	bands. Alerts of bands customers left are still resolved. Returns the moves, (from, to) -> count."""
	# The change may still be in the document cache's old copy (in tests this runs inside on_update,
	# before Frappe clears it): read the configuration afresh.
	frappe.clear_document_cache("CS Settings", "CS Settings")
	frappe.clear_document_cache("Health Scorecard")
	before = dict(frappe.get_all("Customer Health", fields=["name", "band"], as_list=True))
	recompute_customers(None, raise_alerts=False, publish=False)
	after = dict(frappe.get_all("Customer Health", fields=["name", "band"], as_list=True))
	moves: dict[tuple[str, str], int] = {}
	for customer, band in after.items():
		previous = before.get(customer)
		if previous and previous != band:
			moves[previous, band] = moves.get((previous, band), 0) + 1
	if moves:
		alerts.notify_band_moves(moves)
	return moves


def has_churned(raw: dict) -> bool:
	"""Churned by the revenue ledger: it was a customer and has no recurring revenue or agreement now.
	Read from the raw values, so it holds whether or not the scorecard weighs the standing."""
	return raw.get("renewal_standing") == 0.0


def _outcome(customer, scorecard, result, previous, bands: Bands, now, churned: bool) -> Outcome:
	override = None
	if previous and previous.override_active and previous.override_expires_on is not None:
		override = Override(
			float(previous.override_score or 0),
			previous.override_reason or "",
			get_datetime(previous.override_expires_on),
		)
	score, override_active = effective_score(result.score, override, now)
	state = breakdown_state(result)
	return Outcome(
		customer=customer,
		scorecard=scorecard,
		result=result,
		score=score,
		# An override is a person's judgement of the score, so the coverage floor does not apply to it.
		band=bands.band_for(score, 100.0 if override_active else result.coverage, churned),
		computed_band=bands.band_for(result.score, result.coverage, churned),
		override_active=override_active,
		override_lapsed=override is not None and not override_active,
		previous=previous,
		state=state,
		state_json=json.dumps(state, sort_keys=True),
	)


def _load_existing(names: Sequence[str] | None) -> dict[str, frappe._dict]:
	# Plain SQL, not frappe.get_all: building a get_all costs about half a millisecond of Python, which is
	# most of a one-customer recompute's budget (BENCHMARKS.md, benchmark 2).
	rows = frappe.db.sql(
		f"""SELECT {", ".join(f"`{field}`" for field in EXISTING_FIELDS)} FROM `tabCustomer Health`
		{"WHERE name IN %(names)s" if names is not None else ""}""",
		{"names": tuple(names)} if names is not None else {},
		as_dict=True,
	)
	for row in rows:
		# The contributions JSON stays a string, compared as text and parsed only to explain a change:
		# parsed, 100,000 of them would hold hundreds of megabytes at once.
		row.stored = tuple(_comparable(row.get(field)) for field in COMPARED_FIELDS)
		if row.band == NO_DATA:
			row.score = None
	return {row.name: row for row in rows}


def _comparable(value):
	if isinstance(value, int | float):
		return round(float(value), 3)
	return value or None


def _persist(
	outcomes: list[Outcome],
	past_scores: dict,
	today: date,
	now: datetime,
	raise_alerts: bool,
	log_changes: bool,
	publish: bool,
):
	user = frappe.session.user
	rows, unchanged, lapsed, breakdowns, changes = [], [], [], [], []
	for o in outcomes:
		c = o.customer
		score_30d_ago = past_scores.get(c.name)
		has_trend = o.score is not None and score_30d_ago is not None
		values = {
			"customer_name": c.customer_name,
			"customer_group": c.customer_group,
			"territory": c.territory,
			"account_manager": c.account_manager,
			"score": stored_score(o.score),
			"band": o.band,
			"computed_score": stored_score(o.result.score),
			"computed_band": o.computed_band,
			"data_coverage": stored_coverage(o.result.coverage),
			"scorecard": o.scorecard or None,
			"last_computed": now,
			"has_trend": int(has_trend),
			"score_30d_ago": stored_score(score_30d_ago if has_trend else None),
			"trend_delta": stored_score(o.score - score_30d_ago if has_trend else None),
			"contributions": o.state_json,
			"last_change_summary": None,  # None keeps the stored one
		}
		if o.override_lapsed:
			lapsed.append(c.name)
		if o.previous is not None and o.score_changed:
			drivers = _drivers(o)
			summary = _change_summary(o, drivers)
			values["last_change_summary"] = summary
			event = "Override Lapsed" if o.override_lapsed else "Recompute"
			changes.append(_change_row(o, summary, event, drivers, now))
		elif o.override_lapsed:
			changes.append(_change_row(o, _("Override expired."), "Override Lapsed", [], now))
		state_changed = o.state_changed
		if (
			state_changed
			or o.override_lapsed
			or values["last_change_summary"]
			or o.previous.stored != tuple(_comparable(values[f]) for f in COMPARED_FIELDS)
		):
			rows.append((c.name, values))
		else:
			unchanged.append(c.name)
		if state_changed:
			breakdowns.append(o)

	_upsert_health(rows, now, user)
	_touch_last_computed(unchanged, now)
	for name in lapsed:
		frappe.db.set_value("Customer Health", name, cleared_override(), update_modified=False)
	_rewrite_breakdowns(breakdowns, now, user)
	if log_changes:
		_insert_changes(changes, now, user)
	_upsert_snapshots(outcomes, today, now, user)
	_sync_ticket_bands([o for o in outcomes if o.previous is None or o.band_changed])
	alerts.handle_band_changes([o for o in outcomes if o.band_changed], raise_alerts=raise_alerts)
	if raise_alerts:
		# Whoever acts on new scores hears of this batch (set-based; a configuration change tells none).
		tell_listeners(outcomes, today)
	if publish:
		_publish([o for o in outcomes if o.previous is None or o.score_changed or o.band_changed])


# hooks.py: the methods told of each batch of customers scored, as f(outcomes, day) (the plays). Health knows
# its listeners by this key only, never by import.
CUSTOMERS_SCORED_HOOK = "cs_success_customers_scored"


def tell_listeners(outcomes: list[Outcome], day: date) -> None:
	for method in frappe.get_hooks(CUSTOMERS_SCORED_HOOK):
		frappe.get_attr(method)(outcomes, day)


# Interactive recomputes tell open forms; a full daily run changes too much to broadcast.
MAX_REALTIME_MESSAGES = 200


def _publish(outcomes: list[Outcome]) -> None:
	"""To the Customer Health record's room only: Frappe's socket.io server lets a user join it only when
	they may read that record (frappe.realtime.can_subscribe_doc), so a score never reaches a desk user
	who may not see it. The badges join the room (public/js/health_badge.js)."""
	for o in outcomes[:MAX_REALTIME_MESSAGES]:
		frappe.publish_realtime(
			"cs_success_health",
			{"customer": o.customer.name, "score": stored_score(o.score), "band": o.band},
			doctype="Customer Health",
			docname=o.customer.name,
			after_commit=True,
		)


def _sync_ticket_bands(outcomes: list[Outcome]) -> None:
	"""Tickets carry their customer's band for the list views; a few UPDATEs per batch.

	HD Tickets belong to an HD Customer: mapped to a Customer through our link field, else by name."""
	if not outcomes:
		return
	bands = [value for o in outcomes for value in (o.customer.name, o.band)]
	names = [o.customer.name for o in outcomes]
	in_names = ", ".join(["%s"] * len(names))

	def update(table: str, customer: str, join: str = "", condition: str = "") -> None:
		frappe.db.sql(
			f"""UPDATE `{table}` t {join}
			SET t.cs_health_band = CASE {customer} {" ".join(["WHEN %s THEN %s"] * len(outcomes))} END
			WHERE {customer} IN ({in_names}) {condition}""",
			[*bands, *names],
		)

	if frappe.db.has_column("Issue", "cs_health_band"):
		update("tabIssue", "t.customer")
	if frappe.db.table_exists("HD Ticket") and frappe.db.has_column("HD Ticket", "cs_health_band"):
		mapped = frappe.db.has_column("HD Customer", "cs_customer")
		if mapped:
			update("tabHD Ticket", "hdc.cs_customer", "JOIN `tabHD Customer` hdc ON hdc.name = t.customer")
		update(
			"tabHD Ticket",
			"t.customer",
			"LEFT JOIN `tabHD Customer` hdc ON hdc.name = t.customer" if mapped else "",
			"AND COALESCE(hdc.cs_customer, '') = ''" if mapped else "",
		)


def cleared_override() -> dict:
	return {
		"override_active": 0,
		"override_score": 0,
		"override_reason": None,
		"override_expires_on": None,
		"override_set_by": None,
		"override_set_on": None,
	}


def _drivers(o: Outcome) -> list[Driver]:
	previous = o.previous_state
	return change_drivers({k: v[2] for k, v in previous.items()}, {k: v[2] for k, v in o.state.items()})


def _change_summary(o: Outcome, drivers: list[Driver]) -> str:
	previous = o.previous_state
	parts = [
		_("{0}: {1:+.1f} points (value {2} → {3})").format(
			_(measure_label(d.key)),
			d.delta,
			_format_raw(previous.get(d.key, [None])[0]),
			_format_raw(o.state.get(d.key, [None])[0]),
		)
		for d in drivers
	]
	head = _("Score {0} → {1}").format(
		_format_raw(_rounded(o.previous.score)), _format_raw(_rounded(o.score))
	)
	if o.override_active:
		head += " " + _("(override active; computed score {0})").format(_format_raw(_rounded(o.result.score)))
	return "; ".join([head, *parts])


def _format_raw(value) -> str:
	return _("no data") if value is None else f"{value:g}"


def _change_row(o: Outcome, summary: str, event: str, drivers: list[Driver], now: datetime) -> dict:
	return {
		"customer": o.customer.name,
		"changed_on": now,
		"event": event,
		"previous_score": stored_score(o.previous.score if o.previous else None),
		"new_score": stored_score(o.score),
		"previous_band": o.previous.band if o.previous else None,
		"new_band": o.band,
		"summary": summary,
		"drivers": json.dumps([{"measure": d.key, "before": d.before, "after": d.after} for d in drivers]),
	}


def _standard_columns(now: datetime, user: str) -> dict:
	return {"creation": now, "modified": now, "owner": user, "modified_by": user, "docstatus": 0}


def _touch_last_computed(names: list[str], now: datetime) -> None:
	if names:
		frappe.db.sql(
			"UPDATE `tabCustomer Health` SET last_computed = %(now)s WHERE name IN %(names)s",
			{"now": now, "names": tuple(names)},
		)


def _upsert_health(rows: list[tuple[str, dict]], now: datetime, user: str):
	"""One INSERT ... ON DUPLICATE KEY UPDATE per batch: new customers get a record, existing ones are
	updated in place. (Frappe's bulk_update builds a CASE per field and row, far slower at scale.)"""
	if not rows:
		return
	fields = list(rows[0][1])
	columns = ["name", "customer", *fields, "creation", "modified", "owner", "modified_by", "docstatus"]
	updates = [
		f"`{f}` = COALESCE(VALUES(`{f}`), `{f}`)" if f == "last_change_summary" else f"`{f}` = VALUES(`{f}`)"
		for f in [*fields, "modified", "modified_by"]
	]
	placeholders = "(" + ", ".join(["%s"] * len(columns)) + ")"
	frappe.db.sql(
		f"""INSERT INTO `tabCustomer Health` ({", ".join(f"`{c}`" for c in columns)})
		VALUES {", ".join([placeholders] * len(rows))}
		ON DUPLICATE KEY UPDATE {", ".join(updates)}""",
		[
			value
			for name, values in rows
			for value in (name, name, *(values[f] for f in fields), now, now, user, user, 0)
		],
	)


def _rewrite_breakdowns(outcomes: list[Outcome], now: datetime, user: str):
	if not outcomes:
		return
	frappe.db.delete("Customer Health Measure", {"parent": ("in", [o.customer.name for o in outcomes])})
	stamp = time_stamp(now)
	shared = {"parenttype": "Customer Health", "parentfield": "measures", **_standard_columns(now, user)}
	fields = [
		"name", "parent", "idx", "measure", "measure_label", "has_data", "raw_value", "unit", "measure_score",
		"weight", "effective_weight", "contribution",
	]  # fmt: skip
	rows = []
	for o in outcomes:
		for idx, m in enumerate(o.result.measures, start=1):
			rows.append(
				(
					clustered_name(stamp), o.customer.name, idx, m.key, measure_label(m.key), int(m.has_data),
					_stored_raw(m.raw_value), measure_unit(m.key), stored_score(m.score), m.weight,
					round(100 * m.effective_weight, 3), round(m.contribution, 3),
				)
			)  # fmt: skip
	insert_rows("Customer Health Measure", fields, rows, shared=shared)


def stored_coverage(coverage: float) -> int:
	"""Whole percent, as the column stores it: compared unrounded, every record would look changed
	every day and be rewritten."""
	return round(coverage)


def _stored_raw(value: float | None) -> float:
	return 0.0 if value is None else float(value)


def _insert_changes(changes: list[dict], now: datetime, user: str):
	if not changes:
		return
	base = _standard_columns(now, user) | {"changed_by": user}
	fields = ["name", *base.keys(), *changes[0].keys()]
	insert_rows(
		"Customer Health Change",
		fields,
		[(frappe.generate_hash(length=20), *base.values(), *c.values()) for c in changes],
	)


def _upsert_snapshots(outcomes: list[Outcome], today: date, now: datetime, user: str):
	"""One Daily snapshot per customer per day (the day's latest), plus one on a band change.

	Copied inside the database from the Customer Health rows just written, so the daily run sends no
	snapshot values over the wire; that includes the breakdown (measure_scores, for the per-measure
	validation and the weight fit) and the scorecard version that produced the score. A recompute on
	a back-filled day replaces the back-filled row. Row names are the day and 64 bits of a hash over a fresh
	UUID: a day's rows go next to each other in the primary key, not each on its own page of a table that
	outgrows the buffer pool (health/backfill.py _upsert). The upsert matches on the unique (customer, day,
	kind) key."""
	# What followed, from the ledger (ledger/snapshot_outcomes.py); the ledger refreshes it when it moves.
	active, churned = outcome_columns("h.name", "%(day)s")
	for kind, names in (
		("Daily", [o.customer.name for o in outcomes]),
		("Band Change", [o.customer.name for o in outcomes if o.band_changed]),
	):
		if not names:
			continue
		frappe.db.sql(
			f"""
			INSERT INTO `tabCustomer Health Snapshot`
				(name, customer, snapshot_date, kind, score, band, computed_score, data_coverage,
				override_active, scorecard, scorecard_version, is_backfilled, measure_scores,
				active_in_ledger, churned_on, creation, modified, owner, modified_by, docstatus)
			SELECT CONCAT(%(prefix)s, LEFT(SHA2(CONCAT_WS('|', UUID(), h.name), 256), 16)), h.name, %(day)s, %(kind)s,
				h.score, h.band, h.computed_score, h.data_coverage, h.override_active,
				h.scorecard, IFNULL(sc.version, 0), 0, h.contributions, {active}, {churned},
				%(now)s, %(now)s, %(user)s, %(user)s, 0
			FROM `tabCustomer Health` h
			LEFT JOIN `tabHealth Scorecard` sc ON sc.name = h.scorecard
			WHERE h.name IN %(names)s
			ON DUPLICATE KEY UPDATE score = VALUES(score), band = VALUES(band),
				computed_score = VALUES(computed_score), data_coverage = VALUES(data_coverage),
				override_active = VALUES(override_active), scorecard = VALUES(scorecard),
				scorecard_version = VALUES(scorecard_version), is_backfilled = 0,
				measure_scores = VALUES(measure_scores), active_in_ledger = VALUES(active_in_ledger),
				churned_on = VALUES(churned_on), modified = VALUES(modified)
			""",
			{
				"day": today,
				"prefix": day_stamp(today),
				"kind": kind,
				"now": now,
				"user": user,
				"names": tuple(names),
			},
		)
