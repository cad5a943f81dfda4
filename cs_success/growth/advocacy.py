"""Advocacy: promoters in good health asked for a review, a referral, a case study or a reference call,
and the revenue their referrals bring.

The rules of an ask, in one place (the Advocacy Ask controller applies them to every new ask, a play
reads them through `eligible_to_ask` before it asks):
- never while the customer has an open risk play (a run not closed of a play whose trigger is in
  RISK_TRIGGERS, or which starts when a band of RISK_BANDS is entered);
- only of a customer in good health: its Customer Health band is Healthy;
- only of a promoter: the customer's latest NPS answer within PROMOTER_WINDOW_DAYS is 9 or 10 (a partial
  answer, the score clicked in the email, counts: it is the answer);
- at most once per contact in CS Settings' `advocacy_ask_interval_days` (an ask without a contact: once
  per customer in that time).

A referral offered on the survey page's thank-you state (`refer_from_survey`) is not an ask: the customer
offered it, so none of the rules apply and it does not count against the interval. It becomes an ERPNext
Lead; when a Customer is made from that Lead (Customer.lead_name), the New MRR the ledger shows for it is
*referred revenue*, credited to the advocate who referred the Lead first."""

from collections.abc import Iterable, Mapping
from datetime import date, timedelta

import frappe
from frappe import _
from frappe.utils import cint, get_datetime, getdate, today, validate_email_address

from cs_success.base.isolation import as_administrator
from cs_success.base.text import as_text
from cs_success.engine.health_score import AT_RISK, CRITICAL, HEALTHY
from cs_success.engine.survey_metrics import NPS, PROMOTER, categorize
from cs_success.ledger import queries as ledger
from cs_success.playbooks.runs import NOT_CLOSED
from cs_success.playbooks.triggers import (
	BAND_ENTERED,
	CHURN_RISK_ABOVE,
	CUSTOMER_CHURNED,
	SCORE_DROPPED,
	UNHAPPY_ANSWER,
	USAGE_DOWN,
)
from cs_success.surveys.i18n import in_language
from cs_success.surveys.links import find_invitation

REVIEW, REFERRAL, CASE_STUDY, REFERENCE_CALL = "Review", "Referral", "Case Study", "Reference Call"
ASK_TYPES = (REVIEW, REFERRAL, CASE_STUDY, REFERENCE_CALL)
ASKED, AGREED, DECLINED, DONE = "Asked", "Agreed", "Declined", "Done"
STATUSES = (ASKED, AGREED, DECLINED, DONE)

# The plays that say a customer is at risk: while one of them is open, nobody there is asked for anything.
RISK_TRIGGERS = frozenset({SCORE_DROPPED, UNHAPPY_ANSWER, USAGE_DOWN, CHURN_RISK_ABOVE, CUSTOMER_CHURNED})
# A "Health Band Entered" play is a risk play when its band is one of these (not Healthy, nor a band that
# only says the data is thin).
RISK_BANDS = (AT_RISK, CRITICAL)
PROMOTER_WINDOW_DAYS = 90
DEFAULT_INTERVAL_DAYS = 90

# Fields only the server sets (the controller resets them on every client save); server code hands the
# values of a new ask over in this flag.
SERVER_FIELDS = ("referred_customer", "play_run", "survey_response")
SERVER_FIELDS_FLAG = "cs_advocacy_server_fields"

# The guest referral form: lengths as stored (Lead's Data columns hold 140), and how many referrals one
# survey answer may bring (a link forwarded to a script must not fill the CRM).
MAX_TEXT = 140
MAX_REFERRALS_PER_ANSWER = 5
# ERPNext ships "Reference" among its Lead Sources; a site may have added "Referral".
REFERRAL_LEAD_SOURCES = ("Referral", "Reference")


class AdvocacyAskError(frappe.ValidationError):
	"""An ask the rules refuse (the subclasses say which rule)."""


class OpenRiskPlayError(AdvocacyAskError):
	pass


class NotHealthyError(AdvocacyAskError):
	pass


class NotAPromoterError(AdvocacyAskError):
	pass


class AskedRecentlyError(AdvocacyAskError):
	pass


class ReferralError(frappe.ValidationError):
	"""A referral from the survey page that cannot be taken (the message says why, in the respondent's
	language)."""


# Eligibility ---------------------------------------------------------------------------------------------


def interval_days() -> int:
	value = frappe.db.get_single_value("CS Settings", "advocacy_ask_interval_days")
	return DEFAULT_INTERVAL_DAYS if value is None else max(cint(value), 0)


def eligible_to_ask(
	customers: Iterable[str], contacts: Mapping[str, str | None] | None = None, day=None
) -> dict[str, str | None]:
	"""customer -> why it may not be asked (a translated sentence), or None: it may. `contacts`: who
	would be asked at each customer; by default the contact of its latest NPS answer (the promoter).
	One query per rule, whatever the number of customers."""
	return {
		customer: refusal[1] if refusal else None
		for customer, refusal in _refusals(customers, contacts, day).items()
	}


def check_eligible(customer: str, contact: str | None, day=None) -> None:
	"""The rules for one new ask: the first refused, as its named error."""
	refusal = _refusals([customer], {customer: contact}, day)[customer]
	if refusal:
		frappe.throw(refusal[1], refusal[0], title=_("Not Asked"))


def _refusals(customers, contacts, day) -> dict[str, tuple[type, str] | None]:
	customers = list(dict.fromkeys(c for c in customers if c))
	day = getdate(day or today())
	result: dict[str, tuple[type, str] | None] = dict.fromkeys(customers)
	if not customers:
		return result
	at_risk = customers_with_open_risk_play(customers)
	bands = dict(
		frappe.get_all(
			"Customer Health",
			filters={"customer": ("in", customers)},
			fields=["customer", "band"],
			as_list=True,
		)
	)
	answers = latest_nps_answers(customers, day)
	if contacts is None:
		contacts = {customer: answer.contact for customer, answer in answers.items()}
	asked = recently_asked({customer: contacts.get(customer) for customer in customers}, day)
	days = interval_days()
	for customer in customers:
		answer = answers.get(customer)
		if customer in at_risk:
			result[customer] = (
				OpenRiskPlayError,
				_("{0} has an open risk play: no ask while the customer is at risk.").format(customer),
			)
		elif bands.get(customer) != HEALTHY:
			result[customer] = (
				NotHealthyError,
				_("{0} is not Healthy (its health band: {1}): ask only customers in good health.").format(
					customer, _(bands.get(customer) or "No Data")
				),
			)
		elif not answer or categorize(NPS, answer.headline_score) != PROMOTER:
			result[customer] = (
				NotAPromoterError,
				_(
					"{0} has no promoter answer (NPS 9 or 10) as its latest NPS answer in the last {1} days."
				).format(customer, PROMOTER_WINDOW_DAYS),
			)
		elif customer in asked:
			result[customer] = (
				AskedRecentlyError,
				_("{0} was already asked on {1}: a contact is asked at most once every {2} days.").format(
					contacts.get(customer) or customer, frappe.format(asked[customer], "Date"), days
				),
			)
	return result


def customers_with_open_risk_play(customers: Iterable[str]) -> set[str]:
	"""Of `customers`, those with a Play Run not closed of a risk play (RISK_TRIGGERS, RISK_BANDS)."""
	customers = list(customers)
	if not customers:
		return set()
	run, play = frappe.qb.DocType("Play Run"), frappe.qb.DocType("Play")
	rows = (
		frappe.qb.from_(run)
		.join(play)
		.on(play.name == run.play)
		.select(run.customer)
		.distinct()
		.where(run.customer.isin(customers))
		.where(run.status.isin(NOT_CLOSED))
		.where(
			play.trigger.isin(sorted(RISK_TRIGGERS))
			| ((play.trigger == BAND_ENTERED) & play.band.isin(list(RISK_BANDS)))
		)
	).run()
	return {customer for (customer,) in rows}


def latest_nps_answers(customers: Iterable[str], day=None) -> dict[str, frappe._dict]:
	"""customer -> its latest NPS answer submitted within PROMOTER_WINDOW_DAYS before the end of `day`
	(name, contact, headline_score, submitted_on); customers without one are absent."""
	customers = list(customers)
	if not customers:
		return {}
	day = getdate(day or today())
	since = get_datetime(day - timedelta(days=PROMOTER_WINDOW_DAYS))
	rows = frappe.get_all(
		"Survey Response",
		filters=[
			["customer", "in", customers],
			["headline_type", "=", NPS],
			["submitted_on", ">=", since],
			["submitted_on", "<", get_datetime(day + timedelta(days=1))],
		],
		fields=["name", "customer", "contact", "headline_score", "submitted_on"],
		order_by="submitted_on asc, creation asc",
	)
	return {row.customer: row for row in rows}  # the latest of each customer is the last


def recent_promoters(customers: Iterable[str], day=None) -> dict[str, frappe._dict]:
	"""customer -> its latest NPS answer when that is a promoter's (for a play's "Promoter" trigger)."""
	return {
		customer: answer
		for customer, answer in latest_nps_answers(customers, day).items()
		if categorize(NPS, answer.headline_score) == PROMOTER
	}


def recently_asked(contacts: Mapping[str, str | None], day=None) -> dict[str, date]:
	"""customer -> the day its contact (or, without a contact, the customer) was last asked within the
	interval before `day`; customers not asked then are absent. Referrals offered on the survey page are
	not asks."""
	day = getdate(day or today())
	since = day - timedelta(days=interval_days() - 1)
	by_contact = {contact for contact in contacts.values() if contact}
	without = [customer for customer, contact in contacts.items() if not contact]
	recent = {"asked_on": ("between", [since, day]), "survey_response": ("is", "not set")}
	last_by_contact, last_by_customer = {}, {}
	if by_contact:
		for row in frappe.get_all(
			"Advocacy Ask",
			filters={**recent, "contact": ("in", list(by_contact))},
			fields=["contact", "max(asked_on) as asked_on"],
			group_by="contact",
		):
			last_by_contact[row.contact] = getdate(row.asked_on)
	if without:
		for row in frappe.get_all(
			"Advocacy Ask",
			filters={**recent, "customer": ("in", without), "contact": ("is", "not set")},
			fields=["customer", "max(asked_on) as asked_on"],
			group_by="customer",
		):
			last_by_customer[row.customer] = getdate(row.asked_on)
	result = {}
	for customer, contact in contacts.items():
		last = last_by_contact.get(contact) if contact else last_by_customer.get(customer)
		if last:
			result[customer] = last
	return result


# Asking --------------------------------------------------------------------------------------------------


def ask(customer: str, contact: str | None, ask_type: str, play_run: str | None = None) -> str:
	"""A new ask (status Asked, today), under the rules; the session user must be allowed to create asks
	(a play's actions run as Administrator). Returns its name."""
	doc = frappe.get_doc(
		{
			"doctype": "Advocacy Ask",
			"customer": customer,
			"contact": contact,
			"ask_type": ask_type,
			"status": ASKED,
			"asked_on": today(),
		}
	)
	doc.flags[SERVER_FIELDS_FLAG] = {"play_run": play_run}
	return doc.insert().name


def ask_for_advocacy(customer: str, ask_type: str = REVIEW, play_run: str | None = None) -> str | None:
	"""What a play's "Ask for Advocacy" action does: ask the contact who gave the customer's latest
	promoter answer, if the rules allow it today; None (and nothing made) when they do not."""
	answer = recent_promoters([customer]).get(customer)
	if not answer:
		return None
	if eligible_to_ask([customer], {customer: answer.contact})[customer]:
		return None
	return ask(customer, answer.contact, ask_type, play_run)


def promoter_candidates(play, day) -> list:
	"""The play trigger "Promoter" (hooks.py `cs_success_play_finders`): customers in good health whose
	latest NPS answer is a promoter's and who may be asked today, each with that answer as the source."""
	from cs_success.playbooks.runs import Candidate

	healthy = frappe.get_all("Customer Health", filters={"band": HEALTHY}, pluck="name")
	answers = recent_promoters(healthy, day)
	if not answers:
		return []
	refused = eligible_to_ask(list(answers), {c: a.contact for c, a in answers.items()}, day)
	return [
		Candidate(
			customer,
			_("A promoter in good health: answered NPS {0} on {1}.").format(
				answer.headline_score, frappe.format(getdate(answer.submitted_on), "Date")
			),
			"Survey Response",
			answer.name,
		)
		for customer, answer in answers.items()
		if refused[customer] is None
	]


def play_action(run, play, row, customer_name):
	"""The play action "Ask for Advocacy" (hooks.py `cs_success_play_actions`): an ask of the row's type
	(a review unless it says otherwise), under the rules; nothing when they refuse today."""
	ask_for_advocacy(run.customer, ask_type=row.get("ask_type") or REVIEW, play_run=run.name)
	return None


# Referrals from the survey page ----------------------------------------------------------------------------


def promoter_response(invitation) -> str | None:
	"""The invitation's answer if it is a promoter's NPS answer (partial or complete), else None."""
	response = frappe.db.get_value(
		"Survey Response",
		{"invitation": invitation.name},
		["name", "headline_type", "headline_score"],
		as_dict=True,
		order_by="creation desc",
	)
	if not response or response.headline_type != NPS or response.headline_score is None:
		return None
	return response.name if categorize(NPS, response.headline_score) == PROMOTER else None


def refer_from_survey(token, name, company, email) -> str:
	"""The survey page's referral form: the token's invitation must have a promoter's answer. Returns the
	Lead. Checked and answered in the respondent's language."""
	invitation = find_invitation(token, for_update=True)  # one referral at a time per link
	with in_language(invitation.language if invitation else None):
		response = promoter_response(invitation) if invitation else None
		if not response:
			frappe.throw(
				_("This link cannot be used to recommend someone. Thank you all the same!"), ReferralError
			)
		if frappe.db.count("Advocacy Ask", {"survey_response": response}) >= MAX_REFERRALS_PER_ANSWER:
			frappe.throw(
				_("Thank you, we have received your recommendations. You can close this page now."),
				ReferralError,
			)
		return record_referral(invitation, name, company, email, survey_response=response)


def record_referral(invitation, name, company, email, survey_response: str | None = None) -> str:
	"""A referral: an ERPNext Lead (the one already there for this email, if any) and a Done Referral ask
	of the invitation's customer and contact pointing at it. The typed texts are stored as text. Made with
	ignore_permissions: the referrer is a guest. Returns the Lead."""
	if isinstance(invitation, str):
		invitation = frappe.db.get_value(
			"Survey Invitation", invitation, ["name", "customer", "contact"], as_dict=True
		)
	if survey_response is None and invitation.get("name"):
		survey_response = promoter_response(invitation)
	name, company, email = (_clean(value) for value in (name, company, email))
	email = email.lower()
	if not name:
		frappe.throw(_("Please enter the name of the person you recommend."), ReferralError)
	if not email or "," in email or len(email) > MAX_TEXT or validate_email_address(email) != email:
		frappe.throw(_("Please enter a valid email address."), ReferralError)
	lead = frappe.db.get_value("Lead", {"email_id": email}, "name") or _new_lead(
		invitation.customer, name, company, email
	)
	already = frappe.db.exists(
		"Advocacy Ask", {"customer": invitation.customer, "ask_type": REFERRAL, "result_lead": lead}
	)
	if not already:
		doc = frappe.get_doc(
			{
				"doctype": "Advocacy Ask",
				"customer": invitation.customer,
				"contact": invitation.contact,
				"ask_type": REFERRAL,
				"status": DONE,
				"asked_on": today(),
				"result_lead": lead,
			}
		)
		doc.flags[SERVER_FIELDS_FLAG] = {"survey_response": survey_response}
		doc.insert(ignore_permissions=True)
	return lead


def _clean(value) -> str:
	"""One line of text, made inert, at most MAX_TEXT characters as stored (escaping lengthens it)."""
	if not isinstance(value, str):
		return ""
	text = " ".join(value.split())[:MAX_TEXT]
	while len(as_text(text)) > MAX_TEXT:
		text = text[:-1]
	return as_text(text)


def _new_lead(customer: str, name: str, company: str, email: str) -> str:
	account_manager = frappe.db.get_value("Customer", customer, "account_manager")
	lead = frappe.get_doc(
		{
			"doctype": "Lead",
			"first_name": name,
			"company_name": company or None,
			"email_id": email,
			"source": next((s for s in REFERRAL_LEAD_SOURCES if frappe.db.exists("Lead Source", s)), None),
			# The person who looks after the advocate follows the referral up; never the guest session.
			"lead_owner": account_manager if account_manager and account_manager != email else "",
		}
	)
	# ERPNext saves the Contact it makes for a new Lead with the saver's permissions, which a guest has
	# none of: the system makes the Lead on the guest's behalf (the ask still names the guest).
	with as_administrator():
		lead.insert(ignore_permissions=True)
	return lead.name


# Referred revenue ----------------------------------------------------------------------------------------


def referrals(advocates: Iterable[str] | None = None, from_date=None, to_date=None) -> list[frappe._dict]:
	"""Referral asks that have a Lead (name, customer, result_lead, asked_on), oldest first."""
	filters = {"ask_type": REFERRAL, "result_lead": ("is", "set")}
	if advocates is not None:
		filters["customer"] = ("in", list(advocates) or [""])
	if from_date and to_date:
		filters["asked_on"] = ("between", [getdate(from_date), getdate(to_date)])
	return frappe.get_all(
		"Advocacy Ask",
		filters=filters,
		fields=["name", "customer", "result_lead", "asked_on"],
		order_by="asked_on asc, creation asc",
	)


def customers_from_leads(leads: Iterable[str]) -> dict[str, list[str]]:
	"""Lead -> the Customers made from it (Customer.lead_name), oldest first."""
	leads = list(set(leads))
	if not leads:
		return {}
	result = {}
	for row in frappe.get_all(
		"Customer",
		filters={"lead_name": ("in", leads)},
		fields=["name", "lead_name"],
		order_by="creation asc",
	):
		result.setdefault(row.lead_name, []).append(row.name)
	return result


def credited_referrals(asks: list) -> list:
	"""Of Referral asks (oldest first), the ones credited with their Lead: a Lead two advocates referred
	counts once, for the first."""
	seen, credited = set(), []
	for row in asks:
		if row.result_lead not in seen:
			seen.add(row.result_lead)
			credited.append(row)
	return credited


def referred_revenue(
	company: str, advocates: Iterable[str] | None = None, from_date=None, to_date=None
) -> dict[str, frappe._dict]:
	"""advocate -> its referrals (leads), the customers made from them and their New MRR at `company`
	(None while none of them shows New MRR in the ledger). The ledger is read through ledger/queries.py.
	The date range, when given, is the referrals' ask date. Whether the reader may see the money is the
	caller's check."""
	asks = referrals(advocates)
	if from_date and to_date:
		# Credit goes to the first referrer of all time; the range only picks which credits are shown.
		start, end = getdate(from_date), getdate(to_date)
		shown = {row.name for row in asks if start <= getdate(row.asked_on) <= end}
	else:
		shown = None
	credited = credited_referrals(asks)
	made = customers_from_leads(row.result_lead for row in credited)
	new_mrr = ledger.new_mrr_of(company, [c for customers in made.values() for c in customers])
	result: dict[str, frappe._dict] = {}
	for row in credited:
		if shown is not None and row.name not in shown:
			continue
		entry = result.setdefault(row.customer, frappe._dict(leads=[], customers=[], mrr=None))
		entry.leads.append(row.result_lead)
		for customer in made.get(row.result_lead, ()):
			entry.customers.append(customer)
			if customer in new_mrr:
				entry.mrr = (entry.mrr or 0.0) + new_mrr[customer]
	return result


def sync_referred_customers() -> int:
	"""Daily: each Referral ask whose Lead has become a Customer names that customer (the first made from
	it). Returns how many asks changed."""
	asks = frappe.get_all(
		"Advocacy Ask",
		filters={"ask_type": REFERRAL, "result_lead": ("is", "set")},
		fields=["name", "result_lead", "referred_customer"],
	)
	made = customers_from_leads(row.result_lead for row in asks)
	changed = 0
	for row in asks:
		customer = (made.get(row.result_lead) or [None])[0]
		if customer != row.referred_customer:
			frappe.db.set_value(
				"Advocacy Ask", row.name, "referred_customer", customer, update_modified=False
			)
			changed += 1
	return changed
