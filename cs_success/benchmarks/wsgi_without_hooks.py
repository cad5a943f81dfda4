"""Benchmark only: Frappe's WSGI application with cs_success's doc_events removed.

`cs_success.benchmarks.hook_overhead._request_overhead` serves the same site from this and from the plain
`frappe.app:application` and sends them the same requests, to measure what our hooks add inside a real
request. Nothing in the app imports this module."""

import frappe
from frappe.app import application  # noqa: F401 (the WSGI entry gunicorn loads)

from cs_success.benchmarks.hook_overhead import without_cs_success

_get_doc_hooks = frappe.get_doc_hooks


def _get_doc_hooks_without_ours():
	return without_cs_success(_get_doc_hooks())


frappe.get_doc_hooks = _get_doc_hooks_without_ours
