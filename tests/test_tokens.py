from datetime import datetime, timedelta

from cs_success.engine.tokens import (
	ANSWERED,
	EXPIRED,
	INVALID,
	OPEN,
	OPTED_OUT,
	TOKEN_LENGTH,
	derive_token,
	hash_token,
	link_state,
	looks_like_token,
	new_nonce,
)

SECRET = b"site-secret"
NOW = datetime(2026, 11, 23, 12, 0)


def test_tokens_are_long_unique_and_reproducible_only_with_the_secret():
	nonces = {new_nonce() for _ in range(1000)}
	assert len(nonces) == 1000
	nonce = next(iter(nonces))
	token = derive_token(SECRET, nonce)
	assert len(token) == TOKEN_LENGTH and looks_like_token(token)
	assert derive_token(SECRET, nonce) == token
	assert derive_token(b"other-secret", nonce) != token
	assert token != nonce and nonce not in token


def test_only_a_hash_is_kept_and_it_is_one_way_distinct():
	token = derive_token(SECRET, new_nonce())
	digest = hash_token(token)
	assert len(digest) == 64 and token not in digest
	assert hash_token(token[:-1] + ("A" if token[-1] != "A" else "B")) != digest


def test_shape_check_rejects_junk_before_lookup():
	assert not looks_like_token("")
	assert not looks_like_token(None)
	assert not looks_like_token("x" * 42)
	assert not looks_like_token("' OR 1=1 --" + "x" * 32)
	assert not looks_like_token("é" * TOKEN_LENGTH)


def test_link_states():
	later = NOW + timedelta(days=1)
	assert link_state("Sent", later, NOW) == OPEN
	assert link_state("Opened", later, NOW) == OPEN
	assert link_state("Sent", NOW, NOW) == EXPIRED
	assert link_state("Expired", later, NOW) == EXPIRED
	assert link_state("Answered", NOW - timedelta(days=1), NOW) == ANSWERED
	assert link_state("Opted Out", later, NOW) == OPTED_OUT
	assert link_state("Queued", later, NOW) == INVALID
	assert link_state(None, None, NOW) == INVALID
