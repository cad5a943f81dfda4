"""Rendering in the respondent's language, whatever the request's or the sender's."""

from __future__ import annotations

import contextlib

import frappe

SURVEY_LANGUAGES = ("en", "lv", "lt", "ru", "tr")


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
