"""Band alerts and unhappy survey answers no longer make their own ToDos: the shipped plays do. The open
ToDos they made before become runs of those plays, with the same ToDo (re-pointed to the run), so nobody
gets a second task for the same thing and the cockpit lists them."""

import frappe

from cs_success.install import sync_standard_plays
from cs_success.playbooks.runs import OPEN, open_key

BAND_PLAYS = {"At Risk": "Entered At Risk", "Critical": "Entered Critical"}
ANSWER_PLAY = "Unhappy Survey Answer"


def execute():
	sync_standard_plays()
	for alert in frappe.db.sql(
		"""SELECT alert.name, alert.customer, alert.band, alert.score, alert.raised_on, todo.name AS todo,
			todo.allocated_to
		FROM `tabCustomer Health Alert` alert JOIN `tabToDo` todo ON todo.name = alert.todo
		WHERE alert.status = 'Open' AND todo.status = 'Open'""",
		as_dict=True,
	):
		play = BAND_PLAYS.get(alert.band)
		if play:
			run = _run(
				play, alert.customer, "Customer Health Alert", alert.name, alert.allocated_to, alert.raised_on
			)
			frappe.db.set_value("Play Run", run, {"band_at_start": alert.band, "score_at_start": alert.score})
			_repoint(alert.todo, run)
	for todo in frappe.db.sql(
		"""SELECT todo.name AS todo, todo.allocated_to, todo.creation, response.name AS response,
			response.customer
		FROM `tabToDo` todo JOIN `tabSurvey Response` response ON response.name = todo.reference_name
		WHERE todo.reference_type = 'Survey Response' AND todo.status = 'Open'""",
		as_dict=True,
	):
		run = _run(
			ANSWER_PLAY, todo.customer, "Survey Response", todo.response, todo.allocated_to, todo.creation
		)
		_repoint(todo.todo, run)


def _run(play: str, customer: str, source_doctype: str, source_name: str, owner: str, started) -> str:
	"""The customer's open run of the play (one per customer and play), made without its actions."""
	existing = frappe.db.get_value("Play Run", {"open_key": open_key(play, customer)}, "name")
	if existing:
		return existing
	return (
		frappe.get_doc(
			{
				"doctype": "Play Run",
				"play": play,
				"customer": customer,
				"status": OPEN,
				"reason": frappe._("Open before plays took over this task."),
				"run_owner": owner,
				"enrolled_on": started,
				"source_doctype": source_doctype,
				"source_name": source_name,
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


def _repoint(todo: str, run: str) -> None:
	frappe.db.set_value(
		"ToDo", todo, {"reference_type": "Play Run", "reference_name": run}, update_modified=False
	)
