"""Plain multi-row INSERTs for the bulk writes of the ledger, health and the benchmarks."""

import frappe


def insert_rows(doctype: str, columns: list[str], rows: list[tuple], chunk: int = 2000) -> None:
	"""Plain multi-row INSERTs with placeholders: at this volume frappe.db.bulk_insert spends its
	time building the query in Python."""
	names = ", ".join(f"`{c}`" for c in columns)
	row_placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
	for start in range(0, len(rows), chunk):
		batch = rows[start : start + chunk]
		frappe.db.sql(
			f"INSERT INTO `tab{doctype}` ({names}) VALUES {', '.join([row_placeholder] * len(batch))}",
			[value for row in batch for value in row],
		)
