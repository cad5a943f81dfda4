"""Plain multi-row INSERTs and UPDATEs for the bulk writes of the ledger, health, risk and the benchmarks."""

from collections.abc import Iterator
from contextlib import contextmanager

import frappe


def clustered_name(stamp: str) -> str:
	"""A name for a row written in bulk: `stamp` (the batch's day or time, as digits) then 64 random bits.
	Rows written together then sit next to each other in the primary key; random names put each on a page
	of its own, and on a table larger than MariaDB's buffer pool every bulk write evicted what the next read
	needed (BENCHMARKS.md, the first run)."""
	return stamp + frappe.generate_hash(length=16)


def time_stamp(moment) -> str:
	"""`moment` (a datetime) as the digits clustered_name starts with."""
	return moment.strftime("%Y%m%d%H%M%S")


def day_stamp(day) -> str:
	"""`day` (a date) as the digits clustered_name starts with, for rows that belong to a day."""
	return day.strftime("%Y%m%d")


def insert_rows(
	doctype: str, columns: list[str], rows: list[tuple], chunk: int = 2000, shared: dict | None = None
) -> None:
	"""Plain multi-row INSERTs with placeholders: at this volume frappe.db.bulk_insert spends its
	time building the query in Python. `shared`: column -> the value every row has (timestamps, owner,
	parent type), escaped once and written into the SQL: pymysql escaping each of them per row, datetimes
	above all, was a third of the time of writing 1.9 million measure rows (BENCHMARKS.md, the first run)."""
	shared = shared or {}
	# pymysql formats the query with %: a literal's own % is doubled.
	literals = [frappe.db.mogrify("%s", (value,)).replace("%", "%%") for value in shared.values()]
	names = ", ".join(f"`{c}`" for c in [*columns, *shared])
	row_placeholder = "(" + ", ".join(["%s"] * len(columns) + literals) + ")"
	for start in range(0, len(rows), chunk):
		batch = rows[start : start + chunk]
		frappe.db.sql(
			f"INSERT INTO `tab{doctype}` ({names}) VALUES {', '.join([row_placeholder] * len(batch))}",
			[value for row in batch for value in row],
		)


def derived_rows(columns: list[str], count: int) -> str:
	"""SQL for `count` rows of placeholders named `columns`, to join as a derived table (a row per value tuple
	given in order): MariaDB reads such a join by the other table's index, where an OR of conditions per row
	costs its optimizer more than the reads."""
	first = "SELECT " + ", ".join(f"%s AS `{column}`" for column in columns)
	other = "SELECT " + ", ".join(["%s"] * len(columns))
	return " UNION ALL ".join([first] + [other] * (count - 1))


def update_rows(doctype: str, columns: list[str], rows: dict[str, tuple], chunk: int = 1000) -> None:
	"""Set `columns` of many records by name, each its own values (name -> values in column order): per
	chunk, one UPDATE joined to the rows as a derived table (linear; a CASE per column compares every row
	with every name, and frappe.db.bulk_update builds that CASE through pypika at about a millisecond a
	row). `modified` is left alone: these are server-kept figures, not an edit."""
	names = list(rows)
	assignments = ", ".join(f"t.`{column}` = v.`{column}`" for column in columns)
	for start in range(0, len(names), chunk):
		batch = names[start : start + chunk]
		derived = derived_rows(["name", *columns], len(batch))
		frappe.db.sql(
			f"UPDATE `tab{doctype}` t JOIN ({derived}) v ON v.`name` = t.`name` SET {assignments}",
			[value for name in batch for value in (name, *rows[name])],
		)


@contextmanager
def plain_in_lists() -> Iterator[None]:
	"""Within the block, IN lists stay lists in this session. MariaDB turns an IN list of 1,000 values or more
	into a join with a derived table (in_predicate_conversion_threshold); for a chunk of thousands of
	customers a plain IN list (ranges on the customer index) reads the invoice lines about 1.7x faster
	(BENCHMARKS.md, benchmark 6). Nothing changes where the variable does not exist (MySQL)."""
	rows = frappe.db.sql("SHOW SESSION VARIABLES LIKE 'in_predicate_conversion_threshold'")
	if not rows:
		yield
		return
	frappe.db.sql("SET SESSION in_predicate_conversion_threshold = 0")
	try:
		yield
	finally:
		frappe.db.sql("SET SESSION in_predicate_conversion_threshold = %s", int(rows[0][1]))


# A site-wide read groups a million rows into a hundred thousand groups (a customer and a company each). In
# memory such a temporary table takes a few hundred bytes a group; past MariaDB's default limit (16 MB) it is
# rebuilt on disk, which doubled the billing read of the daily run at 100,000 customers (23.8 s against
# 11.7 s; BENCHMARKS.md). Memory is taken only as a table grows, and only for the block's queries.
SITE_WIDE_TEMP_TABLE_BYTES = 512 * 2**20


@contextmanager
def large_temp_tables(limit: int = SITE_WIDE_TEMP_TABLE_BYTES) -> Iterator[None]:
	"""Within the block, this session's in-memory temporary tables may grow to `limit` bytes before they go
	to disk. Inside another such block, or where the server allows more already, nothing changes."""
	tmp_table_size, max_heap_table_size = frappe.db.sql(
		"SELECT @@SESSION.tmp_table_size, @@SESSION.max_heap_table_size"
	)[0]
	if min(int(tmp_table_size), int(max_heap_table_size)) >= limit:
		yield
		return
	frappe.db.sql(
		"SET SESSION tmp_table_size = %(tmp)s, max_heap_table_size = %(heap)s",
		{"tmp": max(limit, int(tmp_table_size)), "heap": max(limit, int(max_heap_table_size))},
	)
	try:
		yield
	finally:
		frappe.db.sql(
			"SET SESSION tmp_table_size = %(tmp)s, max_heap_table_size = %(heap)s",
			{"tmp": int(tmp_table_size), "heap": int(max_heap_table_size)},
		)
