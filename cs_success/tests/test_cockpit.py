"""Tier 2: the CSM cockpit's endpoint returns exactly one user's customers, runs, tasks, renewals and quiet
customers; nobody else's; and only a manager may look at another user's."""

import frappe
from frappe.tests.utils import FrappeTestCase
from frappe.utils import add_days, getdate, now_datetime, today

from cs_success.api.cockpit import LIST_LIMIT, get_cockpit, plain_text
from cs_success.base.bulk import insert_rows
from cs_success.engine.health_score import BANDS
from cs_success.tests.utils import company, make_customer, make_user, reset_health_queue

AUDIT = ("creation", "modified", "owner", "modified_by", "docstatus")


def day(offset: int):
	return getdate(add_days(today(), offset))


def audit() -> tuple:
	now = now_datetime()
	return (now, now, "Administrator", "Administrator", 0)


def set_health(customer: str, band: str, score: float) -> None:
	"""The band and score as the cockpit reads them, without a recompute (which would start plays)."""
	if frappe.db.exists("Customer Health", customer):
		frappe.db.set_value("Customer Health", customer, {"band": band, "score": score})
	else:
		insert_rows(
			"Customer Health",
			["name", "customer", "band", "score", *AUDIT],
			[(customer, customer, band, score, *audit())],
		)


def add_mrr(customer: str, mrr: float) -> None:
	insert_rows(
		"MRR Interval",
		["name", "customer", "company", "from_date", "to_date", "mrr", *AUDIT],
		[(frappe.generate_hash(length=10), customer, company(), day(-60), None, mrr, *audit())],
	)


def add_renewal(customer: str, due_date, outcome: str = "Pending", mrr: float = 100) -> str:
	name = frappe.generate_hash(length=10)
	insert_rows(
		"Agreement Renewal",
		["name", "customer", "company", "agreement_type", "agreement", "due_date", "outcome", "mrr", *AUDIT],
		[
			(
				name,
				customer,
				company(),
				"Contract",
				f"_CS Test Contract {name}",
				due_date,
				outcome,
				mrr,
				*audit(),
			)
		],
	)
	return name


def add_touchpoint(customer: str, days_ago: int) -> None:
	frappe.get_doc(
		{
			"doctype": "Touchpoint",
			"customer": customer,
			"touchpoint_type": "Call",
			"summary": "_CS Test cockpit call",
			"touchpoint_date": add_days(now_datetime(), -days_ago),
		}
	).insert(ignore_permissions=True)


def make_play(owner: str) -> str:
	return (
		frappe.get_doc(
			{
				"doctype": "Play",
				"play_name": f"_CS Test Cockpit {frappe.generate_hash(length=6)}",
				"trigger": "No Touchpoint",
				"days": 30,
				"owner_rule": "User",
				"owner_user": owner,
				"re_enrolment": "Never",
				"is_paused": 1,  # never starts runs of its own while the tests run
				"actions": [{"action_type": "Task", "subject": "Call"}],
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


def make_run(play: str, customer: str, owner: str, status: str = "Open", **fields) -> str:
	return (
		frappe.get_doc(
			{
				"doctype": "Play Run",
				"play": play,
				"customer": customer,
				"reason": fields.pop("reason", "No touchpoint recorded."),
				"status": status,
				"run_owner": owner,
				"enrolled_on": now_datetime(),
				**fields,
			}
		)
		.insert(ignore_permissions=True)
		.name
	)


def make_todo(user: str, description: str, date=None, status: str = "Open", **fields) -> str:
	name = (
		frappe.get_doc(
			{
				"doctype": "ToDo",
				"allocated_to": user,
				"description": description,
				"date": date,
				"status": status,
				"assigned_by": "Administrator",
				**fields,
			}
		)
		.insert(ignore_permissions=True)
		.name
	)
	if not date:
		frappe.db.set_value("ToDo", name, "date", None)  # a new ToDo's date defaults to today
	return name


def names(rows, key="name") -> list:
	return [row[key] for row in rows]


class TestCockpit(FrappeTestCase):
	@classmethod
	def setUpClass(cls):
		super().setUpClass()
		frappe.set_user("Administrator")
		reset_health_queue()
		# The agent may read Sales Invoices (so sees revenue); the other agent may not.
		cls.agent = make_user("CS Agent", "Accounts User")
		cls.other_agent = make_user("CS Agent")
		cls.manager = make_user("CS Manager")
		cls.outsider = make_user("Sales User")

		mine = {"account_manager": cls.agent}
		cls.healthy = make_customer("Cockpit Healthy", **mine)
		cls.critical = make_customer("Cockpit Critical", **mine)
		cls.critical2 = make_customer("Cockpit Critical Two", **mine)
		cls.unscored = make_customer("Cockpit Unscored", **mine)  # no Customer Health record: No Data
		cls.disabled = make_customer("Cockpit Disabled", disabled=1, **mine)
		cls.theirs = make_customer("Cockpit Theirs", account_manager=cls.other_agent)
		cls.customer_name = dict(
			frappe.get_all(
				"Customer",
				filters={"name": ("like", "_CS Test Cockpit%")},
				fields=["name", "customer_name"],
				as_list=True,
			)
		)
		for customer, band, score in (
			(cls.healthy, "Healthy", 85.0),
			(cls.critical, "Critical", 30.0),
			(cls.critical2, "Critical", 40.0),
			(cls.disabled, "Critical", 10.0),
			(cls.theirs, "Critical", 20.0),
		):
			set_health(customer, band, score)
		frappe.db.delete("Customer Health", {"name": cls.unscored})
		add_mrr(cls.healthy, 200)
		add_mrr(cls.critical, 500)
		add_mrr(cls.disabled, 700)
		add_mrr(cls.theirs, 999)

		cls.play = make_play(cls.agent)
		cls.play2 = make_play(cls.agent)
		cls.run_open = make_run(
			cls.play, cls.critical, cls.agent, due_date=day(3), reason="Quiet <b>too</b> long"
		)
		cls.run_held = make_run(cls.play, cls.critical2, cls.agent, "Held", due_date=day(1))
		cls.run_snoozed = make_run(
			cls.play, cls.healthy, cls.agent, "Snoozed", snoozed_until=day(5), snooze_reason="Holiday"
		)
		cls.run_closed = make_run(cls.play2, cls.healthy, cls.agent, "Closed", outcome="Saved")
		# Another agent's run on one of the agent's customers: whose run it is, not whose customer.
		cls.run_theirs = make_run(cls.play2, cls.critical, cls.other_agent, due_date=day(0))

		cls.todo_html = make_todo(cls.agent, "<p>Call <b>them</b> &amp; ask</p>", day(2))
		cls.todo_long = make_todo(cls.agent, "<div>" + "word " * 80 + "</div>")
		cls.todo_run = make_todo(
			cls.agent, "Call the customer", day(-1), reference_type="Play Run", reference_name=cls.run_open
		)
		make_todo(cls.agent, "Done already", day(-5), status="Closed")
		cls.todo_theirs = make_todo(cls.other_agent, "Not yours", day(-3))

		cls.renewal_soon = add_renewal(cls.critical, day(10), mrr=500)
		cls.renewal_later = add_renewal(cls.healthy, day(60), mrr=200)
		add_renewal(cls.healthy, day(100))  # beyond 90 days
		add_renewal(cls.critical2, day(5), outcome="Renewed")
		add_renewal(cls.critical2, day(-1))  # due yesterday: not in the next 90 days
		add_renewal(cls.disabled, day(5))
		add_renewal(cls.theirs, day(10))

		add_touchpoint(cls.healthy, 3)
		add_touchpoint(cls.critical, 40)
		add_touchpoint(cls.theirs, 50)
		reset_health_queue()  # touchpoints and customers queued recomputes: none runs in these tests

	def tearDown(self):
		frappe.set_user("Administrator")

	def cockpit_as(self, viewer: str, user: str | None = None) -> dict:
		frappe.set_user(viewer)
		return get_cockpit(user)

	def band_row(self, customer: str, score, mrr, churn_risk=None) -> dict:
		return {
			"customer": customer,
			"customer_name": self.customer_name[customer],
			"score": score,
			"churn_risk": churn_risk,
			"mrr": mrr,
		}

	def test_customers_by_band_in_band_order_with_count_mrr_and_top_customers(self):
		result = self.cockpit_as(self.agent)
		self.assertEqual(
			(result["user"], result["show_mrr"], result["may_choose_user"]), (self.agent, True, False)
		)
		self.assertEqual(
			result["currency"], frappe.get_cached_value("Company", company(), "default_currency")
		)
		expected = {band: {"band": band, "count": 0, "mrr": None, "customers": []} for band in BANDS}
		expected["Healthy"].update(count=1, mrr=200.0, customers=[self.band_row(self.healthy, 85.0, 200.0)])
		# The most MRR at stake first; then the weaker score.
		expected["Critical"].update(
			count=2,
			mrr=500.0,
			customers=[self.band_row(self.critical, 30.0, 500.0), self.band_row(self.critical2, 40.0, None)],
		)
		expected["No Data"].update(count=1, customers=[self.band_row(self.unscored, None, None)])
		self.assertEqual(result["customers_by_band"], [expected[band] for band in BANDS])

	def test_sorted_by_churn_risk_highest_first_unknown_last(self):
		# The weaker score, critical, has the lower risk; a risk nobody knows is None, never 0 %.
		frappe.db.set_value("Customer Health", self.critical, {"has_churn_risk_90": 1, "churn_risk_90": 12.5})
		frappe.db.set_value(
			"Customer Health", self.critical2, {"has_churn_risk_90": 1, "churn_risk_90": 61.0}
		)
		try:
			frappe.set_user(self.agent)
			by_risk = {b["band"]: b for b in get_cockpit(sort_by="risk")["customers_by_band"]}
			self.assertEqual(
				by_risk["Critical"]["customers"],
				[
					self.band_row(self.critical2, 40.0, None, 61.0),
					self.band_row(self.critical, 30.0, 500.0, 12.5),
				],
			)
			by_mrr = {b["band"]: b for b in get_cockpit()["customers_by_band"]}
			self.assertEqual(
				[r["customer"] for r in by_mrr["Critical"]["customers"]], [self.critical, self.critical2]
			)
			self.assertIsNone(by_mrr["Healthy"]["customers"][0]["churn_risk"])
		finally:
			frappe.set_user("Administrator")
			frappe.db.set_value(
				"Customer Health",
				[self.critical, self.critical2],
				{"has_churn_risk_90": 0, "churn_risk_90": 0},
			)

	def test_runs_not_closed_owned_by_the_user_by_due_date_empty_last(self):
		runs = self.cockpit_as(self.agent)["runs"]
		self.assertEqual(
			runs,
			[
				{
					"name": self.run_held,
					"play": self.play,
					"customer": self.critical2,
					"customer_name": self.customer_name[self.critical2],
					"reason": "No touchpoint recorded.",
					"status": "Held",
					"due_date": day(1),
					"snoozed_until": None,
				},
				{
					"name": self.run_open,
					"play": self.play,
					"customer": self.critical,
					"customer_name": self.customer_name[self.critical],
					"reason": frappe.db.get_value("Play Run", self.run_open, "reason"),
					"status": "Open",
					"due_date": day(3),
					"snoozed_until": None,
				},
				{
					"name": self.run_snoozed,
					"play": self.play,
					"customer": self.healthy,
					"customer_name": self.customer_name[self.healthy],
					"reason": "No touchpoint recorded.",
					"status": "Snoozed",
					"due_date": None,
					"snoozed_until": day(5),
				},
			],
		)

	def test_open_tasks_by_date_as_plain_text(self):
		tasks = self.cockpit_as(self.agent)["tasks"]
		self.assertEqual(
			tasks,
			[
				{
					"name": self.todo_run,
					"description": "Call the customer",
					"date": day(-1),
					"priority": "Medium",
					"reference_type": "Play Run",
					"reference_name": self.run_open,
					"customer": self.critical,
					"customer_name": self.customer_name[self.critical],
				},
				{
					"name": self.todo_html,
					"description": "Call them & ask",
					"date": day(2),
					"priority": "Medium",
					"reference_type": None,
					"reference_name": None,
					"customer": None,
					"customer_name": None,
				},
				{
					"name": self.todo_long,
					"description": plain_text("word " * 80),
					"date": None,
					"priority": "Medium",
					"reference_type": None,
					"reference_name": None,
					"customer": None,
					"customer_name": None,
				},
			],
		)
		self.assertEqual(len(tasks[2]["description"]), 200)
		self.assertTrue(tasks[2]["description"].endswith("…"))

	def test_pending_renewals_of_the_next_90_days_by_due_date(self):
		renewals = self.cockpit_as(self.agent)["renewals"]
		currency = frappe.get_cached_value("Company", company(), "default_currency")
		self.assertEqual(
			renewals,
			[
				{
					"name": name,
					"customer": customer,
					"customer_name": self.customer_name[customer],
					"company": company(),
					"agreement_type": "Contract",
					"agreement": f"_CS Test Contract {name}",
					"due_date": due,
					"mrr": mrr,
					"currency": currency,
				}
				for name, customer, due, mrr in (
					(self.renewal_soon, self.critical, day(10), 500.0),
					(self.renewal_later, self.healthy, day(60), 200.0),
				)
			],
		)

	def test_quiet_customers_never_contacted_first_then_longest_silent(self):
		quiet = self.cockpit_as(self.agent)["quiet_customers"]
		never = sorted(
			[
				{
					"customer": self.critical2,
					"customer_name": self.customer_name[self.critical2],
					"band": "Critical",
					"last_touchpoint": None,
				},
				{
					"customer": self.unscored,
					"customer_name": self.customer_name[self.unscored],
					"band": "No Data",
					"last_touchpoint": None,
				},
			],
			key=lambda row: row["customer_name"],
		)
		self.assertEqual(
			quiet,
			[
				*never,
				{
					"customer": self.critical,
					"customer_name": self.customer_name[self.critical],
					"band": "Critical",
					"last_touchpoint": getdate(add_days(now_datetime(), -40)),
				},
			],
		)
		self.assertEqual(self.cockpit_as(self.agent)["truncated"], [])
		self.assertGreater(LIST_LIMIT, len(quiet))

	def test_another_agents_cockpit_has_only_their_own_and_no_revenue(self):
		result = self.cockpit_as(self.other_agent)
		self.assertFalse(result["show_mrr"])  # may not read Sales Invoices
		self.assertIsNone(result["currency"])
		critical = next(row for row in result["customers_by_band"] if row["band"] == "Critical")
		self.assertEqual(critical["customers"], [self.band_row(self.theirs, 20.0, None)])
		self.assertEqual(sum(row["count"] for row in result["customers_by_band"]), 1)
		self.assertEqual(names(result["runs"]), [self.run_theirs])
		self.assertEqual(names(result["tasks"]), [self.todo_theirs])
		self.assertEqual([(r["customer"], r["mrr"]) for r in result["renewals"]], [(self.theirs, None)])
		self.assertEqual(names(result["quiet_customers"], "customer"), [self.theirs])

	def test_a_manager_may_open_an_agents_cockpit(self):
		own = self.cockpit_as(self.agent)
		result = self.cockpit_as(self.manager, self.agent)
		self.assertEqual((result["user"], result["may_choose_user"]), (self.agent, True))
		self.assertEqual(result["runs"], own["runs"])
		self.assertEqual(names(result["renewals"]), names(own["renewals"]))
		self.assertEqual(result["quiet_customers"], own["quiet_customers"])
		self.assertEqual(
			[(b["band"], b["count"]) for b in result["customers_by_band"]],
			[(b["band"], b["count"]) for b in own["customers_by_band"]],
		)
		# A CS Manager sees the agent's tasks about play runs, not their private ToDos.
		self.assertEqual(names(result["tasks"]), [self.todo_run])
		# A System Manager sees all of them.
		frappe.set_user("Administrator")
		self.assertEqual(
			names(get_cockpit(self.agent)["tasks"]), [self.todo_run, self.todo_html, self.todo_long]
		)

	def test_an_agent_may_not_open_another_users_cockpit(self):
		with self.assertRaises(frappe.PermissionError):
			self.cockpit_as(self.agent, self.other_agent)
		# Their own, named, is fine.
		self.assertEqual(self.cockpit_as(self.agent, self.agent)["user"], self.agent)

	def test_without_a_cs_role_no_cockpit(self):
		with self.assertRaises(frappe.PermissionError):
			self.cockpit_as(self.outsider)
		with self.assertRaises(frappe.PermissionError):
			self.cockpit_as(self.outsider, self.agent)

	def test_a_manager_naming_a_missing_user_is_told_so(self):
		with self.assertRaises(frappe.DoesNotExistError):
			self.cockpit_as(self.manager, "_cs_test_nobody@example.com")

	def test_user_permissions_on_customer_apply(self):
		permission = frappe.get_doc(
			{
				"doctype": "User Permission",
				"user": self.agent,
				"allow": "Customer",
				"for_value": self.critical,
			}
		).insert(ignore_permissions=True)
		try:
			result = self.cockpit_as(self.agent)
			self.assertEqual(
				[
					(b["band"], names(b["customers"], "customer"))
					for b in result["customers_by_band"]
					if b["count"]
				],
				[("Critical", [self.critical])],
			)
			self.assertEqual(names(result["runs"]), [self.run_open])
			self.assertEqual(names(result["renewals"]), [self.renewal_soon])
			self.assertEqual(names(result["quiet_customers"], "customer"), [self.critical])
		finally:
			frappe.set_user("Administrator")
			permission.delete(ignore_permissions=True)

	def test_plain_text_of_a_description(self):
		self.assertEqual(plain_text("<p>A &lt;b&gt; <i>tag</i></p>\n<p>two</p>"), "A <b> tag two")
		self.assertEqual(plain_text(None), "")
		self.assertEqual(plain_text("x" * 250), "x" * 199 + "…")

	def test_the_page_and_its_workspace_link(self):
		page = frappe.get_doc("Page", "csm-cockpit")
		self.assertEqual(page.title, "CSM Cockpit")
		self.assertEqual({r.role for r in page.roles}, {"CS Agent", "CS Manager", "System Manager"})
		workspace = frappe.get_doc("Workspace", "Customer Success")
		self.assertIn(("Page", "csm-cockpit"), {(link.link_type, link.link_to) for link in workspace.links})
		self.assertIn(("Page", "csm-cockpit"), {(s.type, s.link_to) for s in workspace.shortcuts})
