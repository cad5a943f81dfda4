"""What a started run does: the play's actions, in order. Each action is isolated: one that fails is
logged against the run and the others still happen, and the run is kept (it is the record that the signal
was seen). Tasks are ToDos referencing the run; the email goes to the customer's contacts, or is drafted as
a task for the owner to review and send; the success plan comes from its template; the webhook is posted
after commit by a worker, under the same address rules as the health alerts' (health/alerts.py)."""

from __future__ import annotations

import frappe
from frappe import _
from frappe.utils import add_days, get_url_to_form, getdate, today

from cs_success.base.isolation import as_administrator, run_isolated

ACTION_SAVEPOINT = "cs_success_play_action"
FAILED_LOG_TITLE = "cs_success: play action failed"
WEBHOOK_TIMEOUT_SECONDS = 5


def run_actions(run_name: str, play) -> None:
	"""The play's actions, done as Administrator whoever started the run (the drain, or an agent starting
	a held run whose permission on the run was checked): what a play does is the play's, not the
	starter's (an agent may not create success plans, a guest nothing at all). What they make says who
	asked for it: a ToDo is assigned by Administrator and references the run, whose `play` names the play
	and whose source names the document (the answer, the alert) that fired it."""
	with as_administrator():
		_run_actions(run_name, play)


def _run_actions(run_name: str, play) -> None:
	run = frappe.get_doc("Play Run", run_name)
	customer_name = frappe.db.get_value("Customer", run.customer, "customer_name") or run.customer
	due_dates = []
	for row in play.actions:

		def act(row=row):
			if due := action(row.action_type)(run, play, row, customer_name):
				due_dates.append(due)

		run_isolated(
			ACTION_SAVEPOINT,
			act,
			title=FAILED_LOG_TITLE,
			reference_doctype="Play Run",
			reference_name=run.name,
		)
	if due_dates:
		run.db_set("due_date", min(due_dates), update_modified=False)


def _task(run, play, row, customer_name):
	if not run.run_owner:
		return None
	due = getdate(add_days(today(), row.due_after_days or 0))
	todo = frappe.get_doc(
		{
			"doctype": "ToDo",
			"allocated_to": run.run_owner,
			"description": _task_description(run, row, customer_name),
			"reference_type": "Play Run",
			"reference_name": run.name,
			"date": due,
			"priority": row.priority or "Medium",
			"assigned_by": "Administrator",
		}
	).insert(ignore_permissions=True)
	_link_to_source(run, todo.name)
	return due


def _task_description(run, row, customer_name) -> str:
	if run.source_doctype == "Survey Response" and run.source_name:
		from cs_success.surveys.responses import follow_up_description

		# The answer itself, its comment and the other answers, as the follow-up always showed.
		return follow_up_description(frappe.get_doc("Survey Response", run.source_name))
	return _("{0}: {1}. {2}").format(row.subject, customer_name, run.reason or "")


# The field through which a run's source links its first task (as they did before plays).
SOURCE_TASK_FIELDS = {"Survey Response": "follow_up", "Customer Health Alert": "todo"}


def _link_to_source(run, todo: str) -> None:
	field = SOURCE_TASK_FIELDS.get(run.source_doctype)
	if field and run.source_name and not frappe.db.get_value(run.source_doctype, run.source_name, field):
		frappe.db.set_value(run.source_doctype, run.source_name, field, todo, update_modified=False)


def _touchpoint(run, play, row, customer_name):
	frappe.get_doc(
		{
			"doctype": "Touchpoint",
			"customer": run.customer,
			"touchpoint_type": "Note",
			"direction": "Internal",
			"summary": row.subject,
			"notes": frappe.utils.escape_html(run.reason or ""),
			"touchpoint_owner": run.run_owner,
			"reference_doctype": "Play Run",
			"reference_name": run.name,
			"is_automatic": 1,
			"source_key": f"play-run:{run.name}:{row.idx}",
		}
	).insert(ignore_permissions=True)


def customer_emails(customer: str) -> list[str]:
	"""The customer's contacts with an email who have not unsubscribed."""
	return frappe.db.sql_list(
		"""SELECT DISTINCT c.email_id FROM `tabDynamic Link` dl JOIN `tabContact` c ON c.name = dl.parent
		WHERE dl.parenttype = 'Contact' AND dl.link_doctype = 'Customer' AND dl.link_name = %(customer)s
			AND IFNULL(c.email_id, '') != '' AND c.unsubscribed = 0
		ORDER BY c.is_primary_contact DESC, c.email_id""",
		{"customer": customer},
	)


def _email(run, play, row, customer_name):
	template = frappe.get_doc("Email Template", row.email_template)
	context = {
		"customer": run.customer,
		"customer_name": customer_name,
		"play": play.name,
		"reason": run.reason,
	}
	subject = frappe.render_template(template.subject or "", context)
	message = frappe.render_template(
		template.response_html if template.use_html else template.response, context
	)
	recipients = customer_emails(run.customer)
	if row.send_email == "Sent" and recipients:
		frappe.sendmail(
			recipients=recipients,
			subject=subject,
			message=message,
			reference_doctype="Play Run",
			reference_name=run.name,
		)
		return None
	# Drafted for approval (or nobody to send it to yet): the owner reviews it and sends it from the run.
	if not run.run_owner:
		return None
	due = getdate(add_days(today(), row.due_after_days or 0))
	frappe.get_doc(
		{
			"doctype": "ToDo",
			"allocated_to": run.run_owner,
			"description": _("Review and send the email {0} to {1} ({2}).").format(
				frappe.utils.escape_html(subject),
				frappe.utils.escape_html(customer_name),
				frappe.utils.escape_html(", ".join(recipients) or _("no contact with an email yet")),
			)
			+ "<hr>"
			+ message,
			"reference_type": "Play Run",
			"reference_name": run.name,
			"date": due,
			"priority": "Medium",
			"assigned_by": "Administrator",
		}
	).insert(ignore_permissions=True)
	return due


def _success_plan(run, play, row, customer_name):
	from cs_success.success_plans.planning import create_plan_from_template

	if frappe.db.exists(
		"Success Plan",
		{
			"customer": run.customer,
			"template": row.success_plan_template,
			"status": ("in", ("Draft", "Active", "On Hold")),
		},
	):
		return None  # one running plan of a template per customer
	create_plan_from_template(row.success_plan_template, run.customer, today(), run.run_owner)
	return None


def _webhook(run, play, row, customer_name):
	"""After commit, on the webhook queue (never "short": a slow endpoint must not hold up the drain),
	with a job timeout well past the client's own deadline."""
	from cs_success.base.webhooks import JOB_TIMEOUT_SECONDS, webhook_queue

	frappe.enqueue(
		"cs_success.playbooks.actions.deliver_webhook",
		queue=webhook_queue(),
		timeout=JOB_TIMEOUT_SECONDS,
		run_name=run.name,
		url=row.webhook_url.strip(),
		enqueue_after_commit=True,
		now=frappe.flags.in_test,
	)


def webhook_payload(run) -> dict:
	customer_name = frappe.db.get_value("Customer", run.customer, "customer_name") or run.customer
	return {
		"event": "play_run.started",
		"play": run.play,
		"customer": run.customer,
		"customer_name": customer_name,
		"reason": run.reason,
		"owner": run.run_owner,
		"url": get_url_to_form("Play Run", run.name),
	}


def deliver_webhook(run_name: str, url: str) -> None:
	"""One POST through the shared client (cs_success/base/webhooks.py: its address rules refuse private
	targets, its deadline bounds the attempt); a failure is logged against the run."""
	from cs_success.base.webhooks import post_json

	error = post_json(url, webhook_payload(frappe.get_doc("Play Run", run_name)), WEBHOOK_TIMEOUT_SECONDS)
	if error:
		frappe.log_error(
			title=f"{FAILED_LOG_TITLE}: webhook",
			message=error,
			reference_doctype="Play Run",
			reference_name=run_name,
		)


ACTIONS = {
	"Task": _task,
	"Touchpoint": _touchpoint,
	"Email": _email,
	"Success Plan": _success_plan,
	"Webhook": _webhook,
}


def action(action_type: str):
	"""The function of an action type: ours above, or one a layer above us registers under the hook
	`cs_success_play_actions` (growth's "Expansion Opportunity"), called the same way."""
	if action_type in ACTIONS:
		return ACTIONS[action_type]
	paths = frappe.get_hooks("cs_success_play_actions").get(action_type)
	if not paths:
		raise KeyError(action_type)
	return frappe.get_attr(paths[-1])
