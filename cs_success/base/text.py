"""Free text (a survey comment, an override reason, a touchpoint summary) is text, never markup.

Desk renders Data and Small Text values as HTML in forms, grids, lists and reports, and Frappe's
save-time sanitiser is no defence: it returns any value that parses as JSON unchanged, so
`"<img src=x onerror=...>"` (quotes included) reaches a manager's browser as it was typed. Text is
therefore made inert where it enters: `<` and `>` are stored as `&lt;` and `&gt;`, which every HTML
view shows as the characters typed and no view can run. The step is idempotent (an escaped value has
no `<` left), so saving a record again changes nothing. Rich-text fields (Text Editor) keep their markup
but are always sanitised, JSON-shaped or not.

Every save of one of our doctypes passes through `escape_markup_in_doc` (a `before_validate` hook); code
that writes a text column directly (`db.set_value`, bulk inserts) passes the value through `as_text`.
"""

MODULE = "CS Success"
PLAIN_TEXT_TYPES = frozenset({"Data", "Small Text", "Text", "Long Text"})
RICH_TEXT_TYPES = frozenset({"Text Editor", "HTML Editor"})
# Data options whose values Frappe validates as something other than free text.
NOT_FREE_TEXT_OPTIONS = frozenset({"Email", "URL", "Phone", "Name"})


def as_text(value):
	"""`value` made inert in any HTML context; anything that is not a string is returned as it is."""
	if not isinstance(value, str) or ("<" not in value and ">" not in value):
		return value
	return value.replace("<", "&lt;").replace(">", "&gt;")


def as_typed(value):
	"""The text as it was typed, for a context that escapes on its own (an autoescaping template, a
	DOM text node): escaping the stored form there again would show "&lt;" to the reader."""
	if not isinstance(value, str) or "&" not in value:
		return value
	return value.replace("&lt;", "<").replace("&gt;", ">")


def escape_markup_in_doc(doc, method=None) -> None:
	"""Before validation of any of our documents: plain-text fields of the document and its rows made
	inert, rich-text fields sanitised. Other apps' documents are left alone at the cost of one check."""
	if doc.meta.module != MODULE:
		return
	for record in [doc, *doc.get_all_children()]:
		_escape_fields(record)


def _escape_fields(record) -> None:
	from frappe.utils.html_utils import sanitize_html

	for df in record.meta.fields:
		value = record.get(df.fieldname)
		if not isinstance(value, str) or ("<" not in value and ">" not in value):
			continue
		if df.fieldtype in PLAIN_TEXT_TYPES and (df.options or "") not in NOT_FREE_TEXT_OPTIONS:
			record.set(df.fieldname, as_text(value))
		elif df.fieldtype in RICH_TEXT_TYPES:
			record.set(
				df.fieldname,
				sanitize_html(value, linkify=df.fieldtype == "Text Editor", always_sanitize=True),
			)
