"""Touchpoints on the Customer form's timeline, so the whole history reads in one place."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import escape_html, get_url_to_form

from cs_success.base.text import as_text

ICONS = {"Email": "mail", "Call": "call", "Meeting": "calendar", "Ticket": "support", "Survey": "star"}
SENTIMENT_COLORS = {"Positive": "green", "Negative": "red", "Neutral": "gray"}
TIMELINE_LIMIT = 100


def customer_timeline(doctype: str, docname: str) -> list[dict]:
	if doctype != "Customer" or not frappe.has_permission("Touchpoint", "read"):
		return []
	items = []
	for tp in frappe.get_all(
		"Touchpoint",
		filters={"customer": docname},
		fields=[
			"name",
			"touchpoint_type",
			"touchpoint_date",
			"summary",
			"sentiment",
			"stage",
			"touchpoint_owner",
		],
		order_by="touchpoint_date desc",
		limit=TIMELINE_LIMIT,
	):
		color = SENTIMENT_COLORS.get(tp.sentiment, "gray")
		content = (
			f'<div class="cs-touchpoint"><a href="{get_url_to_form("Touchpoint", tp.name)}">'
			f"<b>{escape_html(_(tp.touchpoint_type))}</b></a> · {escape_html(_(tp.stage or ''))} "
			f'<span class="indicator-pill {color}">{escape_html(_(tp.sentiment))}</span>'
			# The summary was stored inert (cs_success/base/text.py); escape_html again would show "&lt;".
			f'<div class="text-muted">{as_text(tp.summary or "")}</div></div>'
		)
		items.append(
			{
				"icon": ICONS.get(tp.touchpoint_type, "small-message"),
				"is_card": True,
				"creation": tp.touchpoint_date,
				"content": content,
			}
		)
	return items
