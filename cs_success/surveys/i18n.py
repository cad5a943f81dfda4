"""Rendering in the respondent's language, whatever the request's or the sender's."""

from __future__ import annotations

import contextlib

import frappe

SURVEY_LANGUAGES = ("en", "lv", "lt", "ru", "tr")


def requested_language(code) -> str | None:
	"""A language code from a query string, only if it is one we ship (it reaches cache keys and
	translation file paths); anything else is ignored."""
	return code if isinstance(code, str) and code in SURVEY_LANGUAGES else None


def respondent_language(customer: str | None) -> str:
	language = customer and frappe.db.get_value("Customer", customer, "language")
	return language or frappe.db.get_default("lang") or "en"


@contextlib.contextmanager
def in_language(language: str | None):
	previous = frappe.local.lang
	frappe.local.lang = language or previous
	try:
		yield
	finally:
		frappe.local.lang = previous
