"""Whitelisted endpoints for play runs: snooze (one or many), close with an outcome, start a held run.
Each checks write permission on every run it touches (playbooks/runs.py)."""

import json

import frappe

from cs_success.playbooks import runs


@frappe.whitelist(methods=["POST"])
def snooze_runs(names: str | list, until: str, reason: str) -> int:
	"""Snooze one run or many (bulk, from the list or the cockpit) until a date, with a reason."""
	if isinstance(names, str):
		names = json.loads(names) if names.startswith("[") else [names]
	return runs.snooze(list(names), until, reason)


@frappe.whitelist(methods=["POST"])
def close_run(name: str, outcome: str, note: str | None = None) -> None:
	runs.close(name, outcome, note)


@frappe.whitelist(methods=["POST"])
def start_held_run(name: str) -> None:
	runs.start_held(name)
