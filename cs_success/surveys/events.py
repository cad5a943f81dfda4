"""Post-ticket surveys: a resolved ticket invites the person who raised it (after commit)."""

from __future__ import annotations

from cs_success.base.helpdesk import ticket_is_resolved
from cs_success.base.isolation import safe_hook
from cs_success.base.queue import queue_task
from cs_success.surveys.delivery import post_ticket_campaigns


@safe_hook
def on_ticket_change(doc, method=None):
	if not doc.has_value_changed("status") or not ticket_is_resolved(doc):
		return
	if not post_ticket_campaigns():
		return
	queue_task("cs_success.surveys.delivery.invite_for_ticket", doctype=doc.doctype, name=doc.name)
