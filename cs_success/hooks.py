app_name = "cs_success"
app_title = "CS Success"
app_publisher = "cs_success contributors"
app_description = (
	"Customer Success for ERPNext: explainable health scores, surveys, touchpoints and success plans"
)
app_email = "cs-success@example.com"
app_license = "GNU General Public License (v3)"
required_apps = ["frappe/erpnext"]

# Desk assets: shared report filters (`bench build --app cs_success`, which `bench get-app` runs)
app_include_js = "cs_success.bundle.js"

# Installation
# ------------
# Before our doctypes are synced: their permissions create the roles they name (install.before_install).
before_install = "cs_success.install.before_install"
after_install = "cs_success.install.after_install"
after_migrate = "cs_success.install.after_migrate"
before_uninstall = "cs_success.install.before_uninstall"
after_app_install = "cs_success.install.after_app_install"
before_app_uninstall = "cs_success.install.before_app_uninstall"

# Testing
# -------
before_tests = "cs_success.tests.utils.before_tests"

# Document events: each handler only notes the customer; recompute runs after commit.
# ---------------
_ticket_band_events = {
	"validate": "cs_success.health.events.set_ticket_health_band",
}
_customer_link_events = {
	"on_change": "cs_success.health.events.on_customer_document_change",
	"on_trash": "cs_success.health.events.on_customer_document_change",
}
_party_events = {
	"on_change": "cs_success.health.events.on_party_document_change",
	"on_trash": "cs_success.health.events.on_party_document_change",
}
_ticket_events = {
	"on_change": [
		"cs_success.health.events.on_customer_document_change",
		"cs_success.surveys.events.on_ticket_change",
		"cs_success.touchpoints.sources.on_ticket_change",
	],
	"on_trash": "cs_success.health.events.on_customer_document_change",
}
doc_events = {
	# Free text in our documents is stored inert (cs_success/base/text.py); other doctypes return at once.
	"*": {"before_validate": "cs_success.base.text.escape_markup_in_doc"},
	"Issue": {**_ticket_events, **_ticket_band_events},
	"Sales Invoice": _customer_link_events,
	"Payment Entry": {
		"on_submit": "cs_success.health.events.on_payment_entry_change",
		"on_cancel": "cs_success.health.events.on_payment_entry_change",
	},
	"Subscription": _party_events,
	"Contract": _party_events,
	"HD Ticket": {
		**_ticket_band_events,
		"on_change": [
			"cs_success.health.events.on_hd_ticket_change",
			"cs_success.surveys.events.on_ticket_change",
			"cs_success.touchpoints.sources.on_ticket_change",
		],
		"on_trash": "cs_success.health.events.on_hd_ticket_change",
	},
	"Communication": {"after_insert": "cs_success.touchpoints.sources.on_communication_insert"},
	"Customer": {
		"on_update": "cs_success.customer.on_customer_update",
		# A merge folds our records first: Frappe repoints links before after_rename, and unique keys
		# (one health record per customer, one snapshot a day) would collide.
		"before_rename": "cs_success.customer.on_customer_before_rename",
		"after_rename": "cs_success.customer.on_customer_rename",
		"on_trash": "cs_success.customer.on_customer_trash",
	},
}

# Listeners of the pipeline (cs_success/jobs.py): told of each batch of customers scored, f(outcomes, day).
cs_success_customers_scored = [
	"cs_success.playbooks.evaluation.after_recompute",
	"cs_success.risk.scoring.after_recompute",
]

# Play actions of the layers above playbooks (cs_success/playbooks/actions.py), f(run, play, row, customer_name).
cs_success_play_actions = {
	"Expansion Opportunity": "cs_success.growth.opportunities.play_action",
	"Ask for Advocacy": "cs_success.growth.advocacy.play_action",
}
# Play triggers whose finder lives above playbooks (cs_success/playbooks/triggers.py), f(play, day).
cs_success_play_finders = {
	"Promoter": "cs_success.growth.advocacy.promoter_candidates",
}

# Scheduled Tasks
# ---------------
scheduler_events = {
	# The pipeline's daily run (cs_success/jobs.py): renewals settled, plan flags, everyone scored, plays.
	"daily_long": ["cs_success.jobs.daily"],
	"daily": [
		"cs_success.surveys.delivery.run_due_campaigns",
		"cs_success.surveys.delivery.send_reminders",
		"cs_success.surveys.delivery.expire_invitations",
		# Referred leads that became customers, credited to their advocates (growth/advocacy.py).
		"cs_success.growth.advocacy.sync_referred_customers",
	],
	"hourly": [
		"cs_success.jobs.drain",  # picks up work whose drain job was lost (a worker restart)
		"cs_success.health.overrides.lapse_expired_overrides",
		"cs_success.surveys.delivery.mark_bounced",
	],
	# Churn risk and expansion propensity learned again from the month's new history.
	"monthly_long": ["cs_success.risk.refit.refit_all", "cs_success.growth.refit.refit_propensity"],
	"cron": {
		# Webhook retries after their backoff, and attempts whose job was lost or killed.
		"*/5 * * * *": ["cs_success.health.alerts.retry_due_webhooks"],
	},
}
# Our jobs act for the system, not for whoever enqueued them (a guest's survey answer queues the drain).
before_job = ["cs_success.base.isolation.run_our_jobs_as_administrator"]

# Portal
# ------
standard_portal_menu_items = [
	{
		"title": "Surveys",
		"route": "/my-surveys",
		"reference_doctype": "Survey Invitation",
		"role": "Customer",
	},
	{
		"title": "Success Plans",
		"route": "/success-plans",
		"reference_doctype": "Success Plan",
		"role": "Customer",
	},
]

# Desk
# ----
doctype_js = {
	"Customer": ["public/js/health_badge.js", "public/js/customer.js"],
	"Issue": ["public/js/health_badge.js", "public/js/issue.js"],
	"HD Ticket": ["public/js/health_badge.js", "public/js/hd_ticket.js"],
}
doctype_list_js = {"Issue": "public/js/ticket_list.js", "HD Ticket": "public/js/ticket_list.js"}
override_doctype_dashboards = {"Customer": "cs_success.customer_dashboard.get_dashboard_data"}
# Helpdesk's portal returns whole ticket rows: ours leave out the agents-only health band.
override_whitelisted_methods = {
	"helpdesk.helpdesk.doctype.hd_ticket.api.new": "cs_success.api.health.new_helpdesk_ticket",
	"helpdesk.helpdesk.doctype.hd_ticket.api.get_one": "cs_success.api.health.get_helpdesk_ticket",
}
# A CS Agent changes only the play runs they own or those of their customers.
# Every row of the ledger's money doctypes is revenue: the revenue reports' rule (Sales Invoice read) on
# every path, single documents and lists alike (cs_success/base/permissions.py).
has_permission = {
	"Play Run": "cs_success.playbooks.permissions.play_run_permission",
	"MRR Interval": "cs_success.base.permissions.revenue_permission",
	"MRR Movement": "cs_success.base.permissions.revenue_permission",
	"Agreement Renewal": "cs_success.base.permissions.revenue_permission",
}
permission_query_conditions = {
	"MRR Interval": "cs_success.base.permissions.revenue_query_conditions",
	"MRR Movement": "cs_success.base.permissions.revenue_query_conditions",
	"Agreement Renewal": "cs_success.base.permissions.revenue_query_conditions",
}
additional_timeline_content = {"Customer": ["cs_success.touchpoints.timeline.customer_timeline"]}

# Our records follow their Customer; they never block deleting it.
ignore_links_on_delete = [
	"Customer Health",
	"Customer Health Snapshot",
	"Customer Health Change",
	"Customer Health Alert",
	"Customer Usage Record",
	"Survey Invitation",
	"Survey Response",
	"Touchpoint",
	"Success Plan",
	"MRR Interval",
	"MRR Movement",
	"Customer Active Span",
	"Customer Lifecycle Event",
	"Agreement Renewal",
	# Kept when its scorecard goes: stored snapshots still name the version that made them.
	"Health Scorecard Version",
]
