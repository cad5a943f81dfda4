"""Post-ticket surveys: a resolved ticket invites the person who raised it (after commit)."""

from __future__ import annotations

from cs_success.base.isolation import safe_hook
from cs_success.base.queue import queue_task
from cs_success.surveys.delivery import TICKET_RESOLVED, post_ticket_campaigns


@safe_hook
def on_ticket_change(doc, method=None):
	if not doc.has_value_changed("status") or doc.status not in TICKET_RESOLVED.get(doc.doctype, ()):
		return
	if not post_ticket_campaigns():
		return
	queue_task("cs_success.surveys.delivery.invite_for_ticket", doctype=doc.doctype, name=doc.name)
