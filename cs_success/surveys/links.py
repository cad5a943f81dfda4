"""Survey links: tokens derived from the site secret, looked up by hash, and their URLs."""

from __future__ import annotations

import hashlib
from datetime import datetime
from urllib.parse import urlencode

import frappe
from frappe.utils import get_datetime, get_url, now_datetime
from frappe.utils.password import get_encryption_key

from cs_success.engine.tokens import derive_token, hash_token, link_state, looks_like_token

SURVEY_ROUTE = "survey"
LINK_STATUS_ROUTE = "survey-link"
OPT_OUT_ROUTE = "survey-opt-out"
INVITATION_FIELDS = [
	"name",
	"status",
	"expires_on",
	"customer",
	"contact",
	"email",
	"language",
	"campaign",
	"token_nonce",
]


def token_secret() -> bytes:
	# A key of its own, derived from the site's encryption key, which never sits in the database.
	return hashlib.sha256(b"cs_success:survey-link:" + get_encryption_key().encode()).digest()


def token_for(invitation) -> str:
	return derive_token(token_secret(), invitation.token_nonce)


def token_hash_for_nonce(nonce: str) -> str:
	return hash_token(derive_token(token_secret(), nonce))


def find_invitation(token, for_update: bool = False):
	"""The invitation a token belongs to, or None. Junk is refused before any lookup."""
	if not looks_like_token(token):
		return None
	name = frappe.db.get_value("Survey Invitation", {"token_hash": hash_token(token)}, "name")
	if not name:
		return None
	return frappe.db.get_value(
		"Survey Invitation", name, INVITATION_FIELDS, as_dict=True, for_update=for_update
	)


def state_of(invitation, now: datetime | None = None) -> str:
	if invitation is None:
		return link_state(None, None, now or now_datetime())
	expires_on = get_datetime(invitation.expires_on) if invitation.expires_on else None
	return link_state(invitation.status, expires_on, now or now_datetime())


def survey_url(token: str, score: int | None = None) -> str:
	query = {"token": token}
	if score is not None:
		query["score"] = score
	return f"{get_url()}/{SURVEY_ROUTE}/new?{urlencode(query)}"


def opt_out_url(token: str) -> str:
	"""The confirmation page: mail scanners open every link in an email, so the link itself changes
	nothing; the page's button POSTs the opt-out."""
	return f"{get_url()}/{OPT_OUT_ROUTE}?{urlencode({'token': token})}"


def link_status_url(state: str, language: str | None = None) -> str:
	query = {"state": state}
	if language:
		query["lang"] = language
	return f"/{LINK_STATUS_ROUTE}?{urlencode(query)}"
