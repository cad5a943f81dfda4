"""One door to read (issue 21): every read of the revenue ledger goes through cs_success/ledger/queries.py and
every read of health history through cs_success/health/snapshots.py, so each definition (active on a day, MRR
on a day, churn events, renewals due, health on a day) is written once.

A module outside the allowed ones fails this test when it names one of those tables in SQL (`tabMRR Interval`
in any string, f-strings included) or passes the doctype to a database call (frappe.get_all, frappe.db.sql's
neighbours, frappe.qb.DocType, ...). Read as text and AST, without importing anything (this runs anywhere)."""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "cs_success"

LEDGER_TABLES = (
	"MRR Interval",
	"MRR Movement",
	"Customer Active Span",
	"Customer Lifecycle Event",
	"Agreement Renewal",
)
# The band outcomes are health history summed per start day: one module computes, forgets and reads them.
HISTORY_TABLES = ("Customer Health Snapshot", "Health Band Outcome", "Play Band Outcome")
TABLES = LEDGER_TABLES + HISTORY_TABLES

# Calls that read or write a doctype's rows when given its name first (or as `doctype=`).
DATABASE_CALLS = {
	"get_all",
	"get_list",
	"get_value",
	"get_values",
	"get_cached_value",
	"get_doc",
	"get_cached_doc",
	"get_last_doc",
	"exists",
	"count",
	"set_value",
	"delete",
	"delete_doc",
	"bulk_insert",
	"insert_rows",
	"DocType",
	"Table",
}

# Paths relative to cs_success/, each with why it may touch those tables itself.
ALLOWED = {
	"ledger/queries.py": "the door to the revenue ledger: every read of it",
	"health/snapshots.py": "the door to health history: every read of it",
	"health/band_outcomes.py": "the door to the band outcomes: computes, stores, forgets and reads them",
	"ledger/build.py": "writes the revenue ledger (rebuilds a customer's rows, settles pending renewals)",
	"ledger/snapshot_outcomes.py": "writes what followed each snapshot from the ledger, in one UPDATE",
	"health/recompute.py": "writes the Daily and band-change snapshots (one INSERT per batch)",
	"health/backfill.py": "writes back-filled snapshots (INSERT ... ON DUPLICATE KEY UPDATE)",
	"health/records.py": "moves a customer's snapshots on rename and merge",
	"customer.py": "renames, merges and deletes a customer's ledger rows and snapshots",
	"demo.py": "creates and clears demo data, ledger and snapshots included",
}
# Whole folders: code that fills, measures or migrates the tables rather than reading a figure from them.
ALLOWED_FOLDERS = {
	"patches": "one-off data changes of the stored rows",
	"benchmarks": "plant rows at scale and time the readers",
	"tests": "plant and inspect rows",
}


def relative(path: Path) -> str:
	return path.relative_to(APP).as_posix()


def is_allowed(path: Path) -> bool:
	name = relative(path)
	return name in ALLOWED or name.split("/", 1)[0] in ALLOWED_FOLDERS


def called_name(call: ast.Call) -> str | None:
	func = call.func
	if isinstance(func, ast.Attribute):
		return func.attr
	if isinstance(func, ast.Name):
		return func.id
	return None


def doctype_argument(call: ast.Call) -> str | None:
	candidates = list(call.args[:1]) + [kw.value for kw in call.keywords if kw.arg in ("doctype", "dt")]
	for node in candidates:
		if isinstance(node, ast.Constant) and isinstance(node.value, str):
			return node.value
	return None


def uses(source: str, filename: str = "<source>") -> list[str]:
	"""What in this source touches the tables: `tab<Table>` in a string, or a database call on the doctype."""
	found = []
	for node in ast.walk(ast.parse(source, filename)):
		if isinstance(node, ast.Constant) and isinstance(node.value, str):
			found += [f"line {node.lineno}: `tab{table}`" for table in TABLES if f"tab{table}" in node.value]
		elif isinstance(node, ast.Call) and called_name(node) in DATABASE_CALLS:
			if (doctype := doctype_argument(node)) in TABLES:
				found.append(f"line {node.lineno}: {called_name(node)}({doctype!r})")
	return found


def app_files() -> list[Path]:
	return sorted(APP.rglob("*.py"))


def test_only_the_doors_and_the_writers_touch_the_ledger_and_health_history():
	offenders = {
		relative(path): found
		for path in app_files()
		if not is_allowed(path) and (found := uses(path.read_text(), str(path)))
	}
	assert not offenders, (
		"Read the revenue ledger through cs_success/ledger/queries.py and health history through "
		f"cs_success/health/snapshots.py (add a named function there): {offenders}"
	)


def test_every_allowed_module_exists_and_still_touches_them():
	"""An allowance for a module that no longer needs it would let the next read slip in unnoticed."""
	stale = [name for name in ALLOWED if not (APP / name).exists() or not uses((APP / name).read_text())]
	assert not stale, f"Remove these from ALLOWED: {stale}"
	assert all(reason.strip() for reason in {**ALLOWED, **ALLOWED_FOLDERS}.values())


def test_the_check_catches_sql_get_all_and_the_query_builder():
	assert uses('frappe.db.sql("SELECT customer FROM `tabCustomer Active Span` WHERE 1")')
	assert uses('frappe.db.sql(f"SELECT {x} FROM `tabMRR Interval` iv")')
	assert uses('frappe.get_all("Agreement Renewal", filters={"outcome": "Pending"})')
	assert uses('frappe.db.get_value(doctype="Customer Lifecycle Event", filters={}, fieldname="name")')
	assert uses('frappe.qb.DocType("Customer Health Snapshot")')
	# A doctype named as data (a run's source document) reads nothing.
	assert not uses('Candidate(customer, reason, "Agreement Renewal", name)')
	assert not uses('frappe.get_all("Customer Health", fields=["name"])')
