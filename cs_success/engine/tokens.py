"""Per-recipient survey link tokens, without Frappe.

A token is HMAC-SHA256(site secret, nonce), base64url: 256 bits, unguessable without the secret.
The database keeps the random nonce (256 bits) and the token's SHA-256 hash, never the token:
lookups go by hash, and the same link can be rebuilt for a reminder by whoever holds the secret.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime

OPEN = "open"
EXPIRED = "expired"
ANSWERED = "answered"
INVALID = "invalid"
OPTED_OUT = "opted_out"

TOKEN_LENGTH = 43  # base64url of 32 bytes, unpadded


def new_nonce() -> str:
	return secrets.token_urlsafe(32)


def derive_token(secret: bytes, nonce: str) -> str:
	digest = hmac.new(secret, nonce.encode(), hashlib.sha256).digest()
	return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hash_token(token: str) -> str:
	return hashlib.sha256(token.encode()).hexdigest()


def looks_like_token(token) -> bool:
	"""Cheap shape check before any lookup: right length, base64url alphabet only."""
	if not isinstance(token, str) or len(token) != TOKEN_LENGTH:
		return False
	return all(c.isascii() and (c.isalnum() or c in "-_") for c in token)


def link_state(status: str | None, expires_on: datetime | None, now: datetime) -> str:
	"""What a link can do now, from its invitation's status and expiry."""
	if status is None:
		return INVALID
	if status == "Answered":
		return ANSWERED
	if status == "Opted Out":
		return OPTED_OUT
	if status == "Expired" or (expires_on is not None and now >= expires_on):
		return EXPIRED
	if status in ("Sent", "Opened"):
		return OPEN
	return INVALID
