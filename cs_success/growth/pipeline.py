"""The sales pipeline expansion opportunities go into: ERPNext's Opportunity, or, where Frappe CRM is
installed (detected at run time, as Helpdesk is), a CRM Deal. One interface, two stores:
- `open_for(customers)`: customer -> its open expansion opportunity or deal;
- `create(expansion)`: a new one from what customer success knows;
- `open_value(company, customers)`: the amount of the open ones, None when there are none;
- `opened_on(customers)`: customer -> the days its expansion opportunities or deals (not lost) were opened,
  for CS-sourced expansion.

ERPNext: type *Expansion*, source *Customer Success* (both made on install). CRM: the deal's source is a CRM
Lead Source *Customer Success*, its customer the custom field `cs_customer` (install.py), its first status
the CRM's first Open one; a deal counts as open while its status type is Open, Ongoing or On Hold."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date

import frappe
from frappe import _
from frappe.utils import escape_html, flt, getdate, now_datetime, today

EXPANSION_TYPE = "Expansion"
CS_SOURCE = "Customer Success"
CRM_APP = "crm"
CRM_CUSTOMER_FIELD = "cs_customer"


@dataclass(frozen=True)
class Expansion:
	customer: str
	company: str
	currency: str
	amount: float  # a year of the uplift
	probability: float  # percent
	closing: date
	owner: str
	item: str | None
	item_qty: float
	item_rate: float
	note: str  # HTML, escaped by the caller


def sales_pipeline():
	return CrmDeals() if CRM_APP in frappe.get_installed_apps() else ErpnextOpportunities()


def _make_theirs(doc, made_for: str | None) -> None:
	"""Made by a play's job (as Administrator) for the run's owner: theirs, as if they had made it, so their
	if-owner rule shows it to them."""
	if made_for and doc.owner != made_for:
		doc.db_set("owner", made_for, update_modified=False)


class ErpnextOpportunities:
	doctype = "Opportunity"
	# An opportunity still in play; Converted, Lost and Closed ones are settled.
	OPEN_STATUSES = ("Open", "Replied", "Quotation")

	def open_for(self, names: Sequence[str] | None) -> dict[str, str]:
		filters = {
			"opportunity_from": "Customer",
			"opportunity_type": EXPANSION_TYPE,
			"status": ("in", self.OPEN_STATUSES),
		}
		if names is not None:
			filters["party_name"] = ("in", list(names))
		rows = frappe.get_all(
			self.doctype, filters=filters, fields=["name", "party_name"], order_by="creation asc"
		)
		return {row.party_name: row.name for row in rows}

	def create(self, expansion: Expansion, made_for: str | None = None) -> str:
		items = []
		if expansion.item:
			items.append(
				{"item_code": expansion.item, "qty": expansion.item_qty, "rate": expansion.item_rate}
			)
		doc = frappe.get_doc(
			{
				"doctype": self.doctype,
				"sales_stage": self.first_sales_stage(),
				"opportunity_from": "Customer",
				"party_name": expansion.customer,
				"opportunity_type": EXPANSION_TYPE,
				"source": CS_SOURCE if frappe.db.exists("Lead Source", CS_SOURCE) else None,
				"company": expansion.company,
				"currency": expansion.currency,
				"transaction_date": today(),
				"expected_closing": expansion.closing,
				"opportunity_amount": expansion.amount,
				"probability": expansion.probability,
				"opportunity_owner": expansion.owner,
				"items": items,
				"notes": [{"note": expansion.note, "added_by": expansion.owner, "added_on": now_datetime()}],
			}
		)
		doc.insert()
		_make_theirs(doc, made_for)
		return doc.name

	@staticmethod
	def first_sales_stage() -> str:
		"""ERPNext's default stage (Prospecting) where the site has it, else its first: a site whose setup
		wizard never ran has none, and the Opportunity's default would fail as a missing link."""
		if frappe.db.exists("Sales Stage", "Prospecting"):
			return "Prospecting"
		stage = frappe.db.get_value("Sales Stage", {}, "name", order_by="creation asc")
		if not stage:
			frappe.throw(
				_("ERPNext has no Sales Stage yet: add one (the setup wizard adds Prospecting) first.")
			)
		return stage

	def open_value(self, company: str | None, customers: Sequence[str] | None) -> float | None:
		# ERPNext fills the base amount in the browser only: one made on the server has the amount and its
		# conversion rate.
		conditions = ["opportunity_type = %(type)s", "status IN %(open)s", "opportunity_from = 'Customer'"]
		params = {"type": EXPANSION_TYPE, "open": self.OPEN_STATUSES}
		if company:
			conditions.append("company = %(company)s")
			params["company"] = company
		if customers is not None:
			conditions.append("party_name IN %(customers)s")
			params["customers"] = tuple(customers) or ("",)
		count, amount = frappe.db.sql(
			f"""SELECT COUNT(*), SUM(IF(IFNULL(base_opportunity_amount, 0) != 0, base_opportunity_amount,
				opportunity_amount * IF(IFNULL(conversion_rate, 0) = 0, 1, conversion_rate)))
			FROM `tabOpportunity` WHERE {" AND ".join(conditions)}""",
			params,
		)[0]
		return flt(amount) if count else None

	def opened_on(self, customers: Iterable[str]) -> dict[str, list[date]]:
		opened: dict[str, list[date]] = {}
		for row in frappe.get_all(
			self.doctype,
			filters={
				"opportunity_type": EXPANSION_TYPE,
				"opportunity_from": "Customer",
				"status": ("!=", "Lost"),
				"party_name": ("in", list(customers) or [""]),
			},
			fields=["party_name", "transaction_date"],
		):
			opened.setdefault(row.party_name, []).append(getdate(row.transaction_date))
		return opened


class CrmDeals:
	doctype = "CRM Deal"
	OPEN_TYPES = ("Open", "Ongoing", "On Hold")

	def _statuses(self, types: Sequence[str]) -> list[str]:
		return frappe.get_all(
			"CRM Deal Status", filters={"type": ("in", types)}, pluck="name", order_by="position asc"
		)

	def open_for(self, names: Sequence[str] | None) -> dict[str, str]:
		filters = {
			"source": CS_SOURCE,
			CRM_CUSTOMER_FIELD: ("is", "set"),
			"status": ("in", self._statuses(self.OPEN_TYPES) or [""]),
		}
		if names is not None:
			filters[CRM_CUSTOMER_FIELD] = ("in", list(names))
		rows = frappe.get_all(
			self.doctype, filters=filters, fields=["name", CRM_CUSTOMER_FIELD], order_by="creation asc"
		)
		return {row[CRM_CUSTOMER_FIELD]: row.name for row in rows}

	def create(self, expansion: Expansion, made_for: str | None = None) -> str:
		organization = self.organization(expansion.customer)
		crm_currency = frappe.db.get_single_value("FCRM Settings", "currency")
		statuses = self._statuses(("Open",)) or self._statuses(self.OPEN_TYPES)
		if not statuses:
			frappe.throw(_("Frappe CRM has no open deal status yet: add one first."))
		note = expansion.note
		if expansion.item:
			# Not as the deal's products: their total would overwrite the expected value (a year of the next
			# plan, not the uplift). Named in the note instead.
			note += "<br>" + escape_html(
				_("Next plan: {0} x {1}.").format(expansion.item, f"{flt(expansion.item_qty):g}")
			)
		doc = frappe.get_doc(
			{
				"doctype": self.doctype,
				"organization": organization,
				"status": statuses[0],
				CRM_CUSTOMER_FIELD: expansion.customer,
				"source": CS_SOURCE,
				# The CRM converts a deal in another currency at a rate it fetches online: only its own.
				"currency": expansion.currency if expansion.currency == crm_currency else None,
				"deal_value": expansion.amount,
				"expected_deal_value": expansion.amount,
				# The CRM puts its status's probability in place of a 0: the smallest it keeps instead.
				"probability": expansion.probability or 0.1,
				"expected_closure_date": expansion.closing,
				"deal_owner": expansion.owner,
				"next_step": _("Expansion: see the note from customer success"),
			}
		)
		doc.insert()
		_make_theirs(doc, made_for)
		frappe.get_doc(
			{
				"doctype": "FCRM Note",
				"title": _("Room to Grow"),
				"content": note,
				"reference_doctype": self.doctype,
				"reference_docname": doc.name,
			}
		).insert(ignore_permissions=True)
		return doc.name

	@staticmethod
	def organization(customer: str) -> str:
		"""The CRM Organization named like the customer, made when missing."""
		name = frappe.db.get_value("Customer", customer, "customer_name") or customer
		if not frappe.db.exists("CRM Organization", name):
			frappe.get_doc({"doctype": "CRM Organization", "organization_name": name}).insert(
				ignore_permissions=True
			)
		return name

	def open_value(self, company: str | None, customers: Sequence[str] | None) -> float | None:
		filters = {"source": CS_SOURCE, "status": ("in", self._statuses(self.OPEN_TYPES) or [""])}
		filters[CRM_CUSTOMER_FIELD] = (
			("in", list(customers) or [""]) if customers is not None else ("is", "set")
		)
		rows = frappe.get_all(self.doctype, filters=filters, fields=["deal_value", "exchange_rate"])
		if not rows:
			return None
		return sum(flt(row.deal_value) * (flt(row.exchange_rate) or 1.0) for row in rows)

	def opened_on(self, customers: Iterable[str]) -> dict[str, list[date]]:
		opened: dict[str, list[date]] = {}
		for row in frappe.get_all(
			self.doctype,
			filters={
				"source": CS_SOURCE,
				CRM_CUSTOMER_FIELD: ("in", list(customers) or [""]),
				"status": ("not in", self._statuses(("Lost",)) or [""]),
			},
			fields=[CRM_CUSTOMER_FIELD, "creation"],
		):
			opened.setdefault(row[CRM_CUSTOMER_FIELD], []).append(getdate(row.creation))
		return opened
