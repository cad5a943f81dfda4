"""Whitelisted endpoints for play runs: snooze (one or many), close with an outcome, start a held run.
Each reads every run it touches locked, as stored, and checks write permission on that (the CS Agent
rule in playbooks/permissions.py looks at the stored owner and customer, never at values sent with the
request), then saves it as the server (playbooks/runs.py). Nothing here takes a field value to store
other than the snooze date and reason, the outcome and its note."""

import json

import frappe

from cs_success.playbooks import runs


@frappe.whitelist(methods=["POST"])
def snooze_runs(names: str | list, until: str, reason: str) -> int:
	"""Snooze one run or many (bulk, from the list or the cockpit) until a date, with a reason."""
	if isinstance(names, str):
		names = json.loads(names) if names.startswith("[") else [names]
	return runs.snooze([str(name) for name in names], until, reason)


@frappe.whitelist(methods=["POST"])
def close_run(name: str, outcome: str, note: str | None = None) -> None:
	runs.close(name, outcome, note)


@frappe.whitelist(methods=["POST"])
def start_held_run(name: str) -> None:
	runs.start_held(name)
