"""Every string the app shows has a translation in lv, lt, ru and tr.

Tier 1: reads the app's sources and its translation CSV files, needs only the standard library.

The extraction follows what Frappe v15 translates at runtime (frappe/translate.py and
frappe/gettext/extractors/*): `_()` in Python (babel's keywords `_` and `_lt`), `__()` in
JavaScript, `_()`/`__()` in HTML and Jinja templates, and from the JSON files the DocType names,
descriptions, field labels and descriptions, Select options, HTML field contents, connection groups and
app roles, Report names, Workspace labels, links, shortcuts, charts, number cards and header texts,
Number Card labels, Dashboard Chart names and Web Form texts and fields.
"""

import ast
import csv
import json
import re
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "cs_success"
MODULE = APP / "cs_success"
LANGUAGES = ("lv", "lt", "ru", "tr")

# Strings that read the same in all four languages: abbreviations of industry metrics that the
# localised ERPNext and CS tools also keep in English, and product names.
ALLOWED_UNTRANSLATED = {
	"NPS",
	"CSAT",
	"CES",
	"MRR",
	"ARR",
	"GRR %",
	"NRR %",
	"ERPNext",
	"Helpdesk",
}

# Roles defined by Frappe and ERPNext are translated by those apps.
STANDARD_ROLES = {"Administrator", "Guest", "All", "System Manager", "Desk User"}

# Select fields whose options are data, not words (frappe/gettext/extractors/doctype.py).
EXCLUDE_SELECT_OPTIONS = {
	"naming_series",
	"number_format",
	"float_precision",
	"currency_precision",
	"minimum_password_score",
}

SKIP_DIRS = {"__pycache__", ".git", "node_modules", "dist", "translations"}

JS_CALL = re.compile(
	r"(?<![\w$.])__\(\s*"
	r"(?:"
	r"\"(?P<dq>(?:\\.|[^\"\\\n])*)\""
	r"|'(?P<sq>(?:\\.|[^'\\\n])*)'"
	r"|`(?P<bq>(?:\\.|[^`\\])*)`"
	r")"
	r"(?P<concat>\s*\+)?"
)
JINJA_CALL = re.compile(
	r"(?<![\w$.])_\(\s*"
	r"(?:"
	r"\"(?P<dq>(?:\\.|[^\"\\\n])*)\""
	r"|'(?P<sq>(?:\\.|[^'\\\n])*)'"
	r")"
)
JS_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", "\\": "\\", "'": "'", '"': '"', "`": "`", "\n": ""}


def is_translatable(message):
	"""frappe.gettext.extractors.utils.is_translatable"""
	return bool(
		message
		and re.search("[a-zA-Z]", message)
		and not message.startswith("fa fa-")
		and not message.endswith("px")
		and not message.startswith("eval:")
	)


def _unescape(text):
	return re.sub(r"\\(.)", lambda m: JS_ESCAPES.get(m.group(1), m.group(1)), text, flags=re.S)


def _source_files(suffixes):
	for path in sorted(APP.rglob("*")):
		if path.is_file() and path.suffix in suffixes and not SKIP_DIRS.intersection(path.parts):
			yield path


def _rel(path):
	return str(path.relative_to(APP.parent))


def _python_messages(path, problems):
	tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
	for node in ast.walk(tree):
		if not isinstance(node, ast.Call) or not node.args:
			continue
		func = node.func
		name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
		if name not in ("_", "_lt"):
			continue
		first = node.args[0]
		where = f"{_rel(path)}:{node.lineno}"
		if isinstance(first, ast.Constant) and isinstance(first.value, str):
			context = None
			for keyword in node.keywords:
				if keyword.arg == "context" and isinstance(keyword.value, ast.Constant):
					context = keyword.value.value
			if len(node.args) > 2 and isinstance(node.args[2], ast.Constant):
				context = node.args[2].value
			yield first.value, context, where
		elif isinstance(first, ast.JoinedStr):
			problems.append(f"{where}: f-string inside _() cannot be translated")
		elif isinstance(first, ast.BinOp) and isinstance(first.left, ast.Constant | ast.JoinedStr):
			problems.append(f"{where}: formatted string inside _() cannot be translated")


def _js_messages(path, text, problems, pattern=JS_CALL):
	for match in pattern.finditer(text):
		line = text.count("\n", 0, match.start()) + 1
		where = f"{_rel(path)}:{line}"
		backtick = match.groupdict().get("bq")
		if backtick is not None and "${" in backtick:
			problems.append(f"{where}: template literal with ${{}} inside __() cannot be translated")
			continue
		if match.groupdict().get("concat"):
			problems.append(f"{where}: concatenated string inside __() is looked up in pieces")
		raw = next(group for group in (match.group("dq"), match.group("sq"), backtick) if group is not None)
		yield _unescape(raw), None, where


def _html_messages(path, problems):
	text = path.read_text(encoding="utf-8")
	yield from _js_messages(path, text, problems)
	yield from _js_messages(path, text, problems, pattern=JINJA_CALL)


def _json_docs():
	for path in sorted(MODULE.rglob("*.json")):
		if SKIP_DIRS.intersection(path.parts):
			continue
		data = json.loads(path.read_text(encoding="utf-8"))
		if isinstance(data, dict):
			yield path, data


def _doctype_messages(data):
	yield data.get("name")
	yield data.get("module")
	yield data.get("description")
	for field in data.get("fields", []):
		yield field.get("label")
		yield field.get("description")
		options = field.get("options")
		if (
			options
			and field.get("fieldtype") == "Select"
			and field.get("fieldname") not in EXCLUDE_SELECT_OPTIONS
		):
			choices = [option for option in options.split("\n") if option and not option.isdigit()]
			if choices and "icon" not in choices[0]:
				yield from choices
		elif options and field.get("fieldtype") == "HTML":
			yield options
	for link in data.get("links", []):
		yield link.get("group")
	for permission in data.get("permissions", []):
		if permission.get("role") not in STANDARD_ROLES:
			yield permission.get("role")


def _report_messages(data):
	yield data.get("report_name")
	for column in data.get("columns", []):
		yield column.get("label")
	for report_filter in data.get("filters", []):
		yield report_filter.get("label")


def _workspace_messages(data):
	yield data.get("label")
	yield data.get("title")
	for key in ("charts", "number_cards", "shortcuts", "quick_lists", "links"):
		for item in data.get(key, []):
			yield item.get("label")
			if key == "links":
				yield item.get("description")
			if key == "shortcuts":
				yield item.get("format")
	for block in json.loads(data.get("content") or "[]"):
		if block.get("type") in ("header", "paragraph"):
			text = block.get("data", {}).get("text") or ""
			# header.js translates the text without its tags (frappe.utils.escape_html of innerText)
			yield re.sub(r"<[^>]+>", "", text).strip()


def _web_form_messages(data):
	for key in (
		"title",
		"introduction_text",
		"success_message",
		"success_title",
		"list_title",
		"button_label",
		"meta_title",
		"meta_description",
	):
		yield data.get(key)
	for field in data.get("web_form_fields", []):
		yield field.get("label")
		yield field.get("description")
		if field.get("fieldtype") == "Select" and field.get("options"):
			yield from (option.strip() for option in field["options"].split("\n"))
	for column in data.get("list_columns", []):
		if isinstance(column, dict):
			yield column.get("label")


JSON_EXTRACTORS = {
	"DocType": _doctype_messages,
	"Report": _report_messages,
	"Workspace": _workspace_messages,
	"Web Form": _web_form_messages,
	"Number Card": lambda data: [data.get("label")],
	"Dashboard Chart": lambda data: [data.get("chart_name")],
}


def extract_messages():
	"""Return ({(message, context): first place it is used}, [problems])."""
	messages, problems = {}, []

	def add(found):
		for message, context, where in found:
			if isinstance(message, str) and is_translatable(message):
				messages.setdefault((message, context or None), where)

	for path in _source_files({".py"}):
		add(_python_messages(path, problems))
	for path in _source_files({".js", ".vue"}):
		add(_js_messages(path, path.read_text(encoding="utf-8"), problems))
	for path in _source_files({".html"}):
		add(_html_messages(path, problems))
	for path, data in _json_docs():
		extractor = JSON_EXTRACTORS.get(data.get("doctype"))
		if extractor:
			add((message, None, _rel(path)) for message in extractor(data))
	module_names = (APP / "modules.txt").read_text(encoding="utf-8").splitlines()
	add((name.strip(), None, "cs_success/modules.txt") for name in module_names)
	# Measure labels live in the registry and reach people through _(measure_label(key)).
	from cs_success.engine.measures import MEASURES

	add((measure.label, None, "cs_success/engine/measures.py") for measure in MEASURES)
	return messages, problems


def read_translations(lang):
	"""{source or "source:context": translation} the way frappe.translate reads the CSV."""
	translations = {}
	with open(APP / "translations" / f"{lang}.csv", encoding="utf-8", newline="") as csv_file:
		for row in csv.reader(csv_file):
			if len(row) == 3 and row[2]:
				translations[f"{row[0]}:{row[2]}"] = row[1].strip()
			elif len(row) in (2, 3):
				translations[row[0]] = row[1].strip()
	return translations


def _missing(messages, translations):
	missing = []
	for (message, context), where in messages.items():
		if message in ALLOWED_UNTRANSLATED:
			continue
		if context and translations.get(f"{message}:{context}"):
			continue
		if not translations.get(message):
			missing.append(f"{message!r} ({where})")
	return sorted(missing)


def test_extraction_finds_the_strings_of_every_kind_of_source():
	messages, _problems = extract_messages()
	sources = {message for message, _context in messages}
	assert len(sources) > 300
	# Python, JavaScript, Jinja, DocType, Select option, Report, Workspace header, Number Card, Web Form
	for expected in (
		"Customer {0} does not exist.",
		"Log Touchpoint",
		"Your Surveys",
		"Customer Health Snapshot",
		"Healthy",
		"At-Risk Customers",
		"Your Shortcuts",
		"CSAT Last 90 Days",
		"Customer Survey",
	):
		assert expected in sources, expected


def test_no_string_is_built_inside_a_translation_call():
	_messages, problems = extract_messages()
	assert not problems, "\n".join(problems)


def test_every_string_the_app_shows_is_translated():
	messages, _problems = extract_messages()
	report = []
	for lang in LANGUAGES:
		missing = _missing(messages, read_translations(lang))
		if missing:
			shown = "\n  ".join(missing[:50])
			more = f"\n  ... and {len(missing) - 50} more" if len(missing) > 50 else ""
			report.append(f"{lang}: {len(missing)} untranslated\n  {shown}{more}")
	assert not report, "\n".join(report)


def test_translation_files_are_well_formed():
	for lang in LANGUAGES:
		path = APP / "translations" / f"{lang}.csv"
		raw = path.read_bytes()
		assert not raw.startswith(b"\xef\xbb\xbf"), f"{lang}.csv has a BOM"
		with open(path, encoding="utf-8", newline="") as csv_file:
			for number, row in enumerate(csv.reader(csv_file), 1):
				assert len(row) in (2, 3), f"{lang}.csv:{number}: {row}"
				source, translation = row[0], row[1]
				placeholders = sorted(re.findall(r"\{\d*\}|%[sd]", source))
				assert placeholders == sorted(re.findall(r"\{\d*\}|%[sd]", translation)), (
					f"{lang}.csv:{number}: placeholders differ: {row}"
				)
