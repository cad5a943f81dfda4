"""Benchmark 1, hook overhead: saving an Issue and submitting a Sales Invoice with and without
cs_success's doc_events, in this process (time and queries) and through gunicorn (time).

run.request_overhead wraps `_request_overhead` with the API user its requests need."""

from __future__ import annotations

import json
import statistics
import time
import urllib.parse
import urllib.request
from contextlib import ExitStack, contextmanager, nullcontext

import frappe
from frappe.utils import today

from cs_success.benchmarks.data import bench_customer, bench_item
from cs_success.benchmarks.harness import counting_queries, gunicorn


def without_cs_success(doc_hooks: dict) -> dict:
	return {
		doctype: {
			event: [m for m in methods if not m.startswith("cs_success.")]
			for event, methods in events.items()
		}
		for doctype, events in doc_hooks.items()
	}


@contextmanager
def without_our_hooks():
	"""The same operation with cs_success's doc_events removed: the baseline for hook overhead."""
	hooks = frappe.get_doc_hooks()
	frappe.local.doc_events_hooks = without_cs_success(hooks)
	try:
		yield
	finally:
		frappe.local.doc_events_hooks = hooks


def draft_invoice(customer: str, item: str, company: str):
	"""A committed draft Sales Invoice of one line, to be submitted by the benchmark."""
	invoice = frappe.new_doc("Sales Invoice")
	invoice.update({"customer": customer, "company": company, "due_date": today()})
	invoice.append("items", {"item_code": item, "qty": 1, "rate": 100})
	invoice.insert(ignore_permissions=True)
	frappe.db.commit()
	return invoice


def hook_overhead(runs: int = 100) -> dict:
	customer = bench_customer("BENCH-HOOKS")
	item = bench_item()
	company = frappe.defaults.get_global_default("company")

	def save_issue():
		frappe.get_doc({"doctype": "Issue", "subject": "bench", "customer": customer}).insert(
			ignore_permissions=True
		)
		frappe.db.commit()

	def submit_invoice():
		invoice = draft_invoice(customer, item, company)
		started = time.perf_counter()
		with counting_queries() as counter:
			invoice.submit()
			frappe.db.commit()
		return time.perf_counter() - started, counter["queries"]

	def timed(operation, mode):
		context = without_our_hooks() if mode == "without_hooks" else nullcontext()
		with context:
			if operation is submit_invoice:
				return operation()
			with counting_queries() as counter:
				started = time.perf_counter()
				operation()
				return time.perf_counter() - started, counter["queries"]

	results = {}
	modes = ("without_hooks", "with_hooks")
	for label, operation in (("issue_save", save_issue), ("invoice_submit", submit_invoice)):
		times, queries = {mode: [] for mode in modes}, {mode: [] for mode in modes}
		for _ in range(runs):  # alternating, so drift on the machine affects both alike
			for mode in modes:
				elapsed, count = timed(operation, mode)
				times[mode].append(elapsed)
				queries[mode].append(count)
		measured = {
			mode: {
				"median_ms": statistics.median(times[mode]) * 1000,
				"median_queries": statistics.median(queries[mode]),
			}
			for mode in modes
		}
		measured["time_ratio"] = measured["with_hooks"]["median_ms"] / measured["without_hooks"]["median_ms"]
		measured["extra_queries"] = (
			measured["with_hooks"]["median_queries"] - measured["without_hooks"]["median_queries"]
		)
		measured["runs_each"] = runs
		results[label] = measured
	print("1. hook overhead", json.dumps(results, indent=1))
	return results


def _request_overhead(runs: int, customer: str, item: str, authorization: str) -> dict:
	"""The same through the real web server: one gunicorn worker serving the plain application and one
	serving it without our doc_events, the same requests sent to each in turn (A, B, A, B...) so that
	drift on the machine affects both alike."""
	company = frappe.defaults.get_global_default("company")
	operations = {
		"issue_save": lambda port: api_call(
			port, "POST", "Issue", {"subject": "bench", "customer": customer}, authorization
		),
		"invoice_submit": lambda port: api_call(
			port,
			"PUT",
			f"Sales Invoice/{draft_invoice(customer, item, company).name}",
			{"docstatus": 1},
			authorization,
		),
	}
	results = {}
	with ExitStack() as servers:
		ports = {
			"with_hooks": servers.enter_context(gunicorn("frappe.app:application", workers=1)),
			"without_hooks": servers.enter_context(
				gunicorn("cs_success.benchmarks.wsgi_without_hooks:application", workers=1)
			),
		}
		for port in ports.values():
			for operation in operations.values():  # warm both workers' caches
				operation(port)
		for label, operation in operations.items():
			times = {mode: [] for mode in ports}
			for _ in range(runs):
				for mode, port in ports.items():
					times[mode].append(operation(port))
			measured = {mode: {"median_ms": statistics.median(t) * 1000} for mode, t in times.items()}
			measured["time_ratio"] = (
				measured["with_hooks"]["median_ms"] / measured["without_hooks"]["median_ms"]
			)
			measured["requests_each"] = runs
			results[label] = measured
	print("1. request overhead", json.dumps(results, indent=1))
	return results


def api_call(port: int, method: str, resource: str, data: dict, authorization: str) -> float:
	"""One REST call; returns its latency. A failed call aborts the benchmark."""
	request = urllib.request.Request(
		f"http://127.0.0.1:{port}/api/resource/{urllib.parse.quote(resource)}",
		data=json.dumps(data).encode(),
		method=method,
		headers={
			"Host": frappe.local.site,
			"Authorization": authorization,
			"Content-Type": "application/json",
			"Accept": "application/json",
		},
	)
	started = time.perf_counter()
	with urllib.request.urlopen(request, timeout=60) as response:
		response.read()
	return time.perf_counter() - started
