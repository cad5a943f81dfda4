"""Per-customer values of one day, kept in Redis while the rows they were read from stay as they were.

A reader whose values depend only on the day and on a customer's rows can skip the read for a customer
whose rows have not changed since it was last read that day: the caller passes each customer's
fingerprint of those rows (say the latest `modified`, read from an index), and a stored value is used
only when it was stored under the same fingerprint. Nothing is trusted to hooks: a change made
without one (ERPNext settles an invoice with `frappe.db.set_value`, which moves `modified`) changes the
fingerprint all the same. Entries live for the day they describe, plus a day; `bench migrate` clears them
with the rest of the cache.
"""

from __future__ import annotations

import pickle
from collections.abc import Callable, Hashable, Sequence
from datetime import date

import redis

import frappe

EXPIRES_IN_SECONDS = 2 * 24 * 3600


def cache_key(source: str, day: date) -> str:
	return f"cs_success:day_cache:{source}:{day}"


def read_through(
	source: str,
	day: date,
	customers: Sequence[str],
	fingerprints: dict[str, Hashable],
	read: Callable[[list[str]], dict[str, dict]],
) -> dict[str, dict]:
	"""customer -> values, from the cache where the customer's fingerprint is the one stored with them,
	else from `read(those customers)`, whose values are then stored. A customer without values gets {}
	stored, so "nothing" is remembered as well. One round trip to Redis to look, one to store; without
	Redis everything is read.

	The fingerprints must be read before `read` runs, in the same transaction: a change committed between
	the two then leaves an old fingerprint beside newer values, which the next look finds stale and reads
	again, never a new fingerprint beside older values."""
	key = frappe.cache.make_key(cache_key(source, day))
	values: dict[str, dict] = {}
	missing = []
	try:
		# Straight to Redis, not through frappe.cache.hget's per-request copy: a worker's request outlives
		# many recomputes, and the fingerprint is what says whether an entry still holds.
		stored = frappe.cache.hmget(key, customers)
	except redis.exceptions.ConnectionError:
		return read(list(customers))
	for customer, entry in zip(customers, stored, strict=True):
		entry = pickle.loads(entry) if entry is not None else None
		if entry is not None and entry[0] == fingerprints.get(customer):
			values[customer] = entry[1]
		else:
			missing.append(customer)
	if missing:
		fresh = read(missing)
		entries = {}
		for customer in missing:
			values[customer] = dict(fresh.get(customer) or {})
			entries[customer] = pickle.dumps((fingerprints.get(customer), values[customer]))
		try:
			pipeline = frappe.cache.pipeline()
			pipeline.hset(key, mapping=entries)
			pipeline.expire(key, EXPIRES_IN_SECONDS)
			pipeline.execute()
		except redis.exceptions.ConnectionError:
			pass  # read again next time
	return values


def forget(source: str, day: date, customers: Sequence[str]) -> None:
	for customer in customers:
		frappe.cache.hdel(cache_key(source, day), customer)
