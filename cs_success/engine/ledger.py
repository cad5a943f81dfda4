"""Recurring revenue ledger per (company, customer), without Frappe (DOMAIN.md, "Recurring revenue ledger").

The caller reads one customer's billing documents (company currency), groups them per (company, customer)
and calls these functions per key. Dates are `datetime.date`; every interval is half-open [start, end)
(`end` is the first day not covered, None = ongoing).

Pipeline (`customer_ledger` wires it):
- `invoice_pieces`: each invoice gets a covered period (service dates, invoice from/to dates, the contract
  term, a billing period override, the detected billing cadence) and an MRR = amount / months(period).
- `contract_pieces`: contract value spread over its term, only when no invoice covers the term.
- `subscription_pieces`: ERPNext subscription plans normalised to a month.
- `mrr_intervals` sums the pieces into piecewise-constant MRR; `mrr_movements` derives New, Expansion,
  Contraction, Churn and Reactivation; `active_spans` and `logo_events` the logo lifecycle;
  `renewal_outcomes` whether each agreement term was renewed.

Decisions beyond the plain rules (see the function docstrings):
- Periodic invoices (cadence or override) cover [posting date, posting date + k months) but stop at the next
  periodic invoice when that one is posted early (the gap still snaps to k), and their MRR is amount / k:
  invoices posted a few days early do not double count (no spurious Expansion/Contraction pairs).
- An invoice inside a contract term is bounded by the term only when it is not periodic billing: an invoice
  with a sibling of a similar amount (within 10 %) posted at a 1, 3, 6 or 12 month gap in the same term
  follows the cadence (monthly invoices under an annual contract are not spread over the rest of the term).
- A contract starting within 31 days after the posting date also bounds an invoice (renewal invoiced ahead),
  then over the contract's term.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Sequence
from datetime import date, timedelta
from typing import NamedTuple

NEW = "New"
EXPANSION = "Expansion"
CONTRACTION = "Contraction"
CHURN = "Churn"
REACTIVATION = "Reactivation"

ACQUIRED = "Acquired"
CHURNED = "Churned"
REACTIVATED = "Reactivated"

CONTRACT = "Contract"
SUBSCRIPTION = "Subscription"

BILLING_PERIODS = {"Monthly": 1, "Quarterly": 3, "Six-monthly": 6, "Annual": 12}

# Feb 28 + 1 month is Mar 28; a customer billed on each month's last day is next billed Mar 31.
MONTH_END_SLACK_DAYS = 3
DAYS_PER_MONTH = 30.4375
SNAP_MONTHS = (1, 3, 6, 12)
SNAP_TOLERANCE = 0.15  # a gap snaps to k months when within 15 % of k
SIMILAR_AMOUNT = 0.10  # periodic billing: sibling invoices within 10 % of each other
ADVANCE_DAYS = 31  # a term starting this many days after the posting date bounds the invoice
RENEWAL_LOOKBACK_DAYS = 31
ZERO_MRR = 0.005
ONE_DAY = timedelta(days=1)

# MRR per unit of plan amount, by billing interval (divided by interval_count)
PLAN_MONTHLY_FACTOR = {"Day": 365 / 12, "Week": 52 / 12, "Month": 1.0, "Year": 1 / 12}


class InvoiceLine(NamedTuple):
	invoice: str
	posting_date: date
	amount: float  # base net amount, negative on a credit note
	service_start: date | None = None
	service_end: date | None = None  # inclusive
	return_against: str | None = None
	period_start: date | None = None  # invoice from_date
	period_end: date | None = None  # invoice to_date, inclusive


class Agreement(NamedTuple):
	name: str
	kind: str  # CONTRACT or SUBSCRIPTION
	start: date
	end: date | None = None  # inclusive last day, None = evergreen
	cancelled_on: date | None = None  # first day no longer covered
	value: float | None = None  # total contract value over the term (Contract only)
	signed: bool = True


class SubscriptionTerms(NamedTuple):
	name: str
	start: date
	trial_end: date | None = None  # inclusive
	end: date | None = None  # inclusive
	cancelled_on: date | None = None
	plans: tuple = ()  # ((amount, interval, interval_count), ...)


class Piece(NamedTuple):
	start: date
	end: date | None
	mrr: float  # not rounded: pieces are summed
	source: str = ""


class Interval(NamedTuple):
	start: date
	end: date | None
	mrr: float


class Span(NamedTuple):
	start: date
	end: date | None


class Movement(NamedTuple):
	date: date
	kind: str
	amount: float  # magnitude, always positive
	mrr_before: float
	mrr_after: float


class LogoEvent(NamedTuple):
	date: date
	kind: str


class RenewalOutcome(NamedTuple):
	agreement: str
	due_date: date
	renewed: bool
	mrr: float
	cancelled: bool = False


class CustomerLedger(NamedTuple):
	intervals: list
	spans: list
	movements: list
	events: list
	renewals: list


def money(x: float) -> float:
	return round(x, 2) + 0.0  # + 0.0 turns -0.0 into 0.0


_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def add_months(d: date, k: int) -> date:
	"""Calendar months; the day is clamped to the month's last day (Jan 31 + 1 month = Feb 28/29)."""
	years, month0 = divmod(d.month - 1 + k, 12)
	year = d.year + years
	if d.day <= 28:
		return date(year, month0 + 1, d.day)
	last = _MONTH_DAYS[month0]
	if month0 == 1 and year % 4 == 0 and (year % 100 != 0 or year % 400 == 0):
		last = 29
	return date(year, month0 + 1, min(d.day, last))


def months_between(start: date, end: date) -> float:
	"""Length of [start, end) in months: exactly k when start + k months == end, else days / 30.4375."""
	if end <= start:
		return 0.0
	k = (end.year - start.year) * 12 + end.month - start.month
	if k > 0 and add_months(start, k) == end:
		return float(k)
	return (end - start).days / DAYS_PER_MONTH


def _snap(start: date, end: date) -> int | None:
	months = (end - start).days / DAYS_PER_MONTH
	for k in SNAP_MONTHS:
		if abs(months - k) <= SNAP_TOLERANCE * k:
			return k
	return None


def _covered_end(agreement) -> date | None:
	"""First day not covered: min(end + 1, cancelled_on), None when ongoing."""
	end = agreement.end + ONE_DAY if agreement.end is not None else None
	if agreement.cancelled_on is not None and (end is None or agreement.cancelled_on < end):
		return agreement.cancelled_on
	return end


def _ran(agreement) -> bool:
	covered = _covered_end(agreement)
	return covered is None or covered > agreement.start


def _piece(start: date, end: date, amount: float, source: str) -> Piece | None:
	months = months_between(start, end)
	if not months or not amount:
		return None
	return Piece(start, end, amount / months, source)


# --- 1. invoices -------------------------------------------------------------------------------------


class _Invoice:
	__slots__ = ("amount", "credit", "name", "period", "posting", "rest", "return_against", "serviced")

	def __init__(self, name: str, posting: date):
		self.name = name
		self.posting = posting
		self.amount = 0.0  # all lines
		self.rest = 0.0  # lines without service dates
		self.serviced: dict = {}  # (start, end exclusive) -> amount
		self.period = None  # (from_date, to_date + 1)
		self.return_against = None
		self.credit = False


def _group_invoices(lines: Iterable[InvoiceLine]) -> dict[str, _Invoice]:
	invoices: dict[str, _Invoice] = {}
	for line in lines:
		inv = invoices.get(line.invoice)
		if inv is None:
			inv = invoices[line.invoice] = _Invoice(line.invoice, line.posting_date)
		elif line.posting_date < inv.posting:
			inv.posting = line.posting_date
		inv.amount += line.amount
		if line.return_against:
			inv.return_against = line.return_against
		if (
			inv.period is None
			and line.period_start is not None
			and line.period_end is not None
			and line.period_end >= line.period_start
		):
			inv.period = (line.period_start, line.period_end + ONE_DAY)
		if (
			line.service_start is not None
			and line.service_end is not None
			and line.service_end >= line.service_start
		):
			key = (line.service_start, line.service_end + ONE_DAY)
			inv.serviced[key] = inv.serviced.get(key, 0.0) + line.amount
		else:
			inv.rest += line.amount
	for inv in invoices.values():
		inv.credit = inv.amount < 0 or inv.return_against is not None
	return invoices


def _explicit_pieces(inv: _Invoice) -> tuple[list[Piece], bool]:
	"""Rules 1 and 2. Returns the pieces and whether the invoice-level amount is resolved."""
	out = [p for (start, end), amount in inv.serviced.items() if (p := _piece(start, end, amount, inv.name))]
	if abs(inv.rest) < 1e-9:
		return out, True
	if inv.period is not None and (p := _piece(inv.period[0], inv.period[1], inv.rest, inv.name)):
		out.append(p)
		return out, True
	return out, False


def _similar(a: float, b: float) -> bool:
	return a > 0 and b > 0 and abs(a - b) <= SIMILAR_AMOUNT * max(a, b)


def _contract_period(inv: _Invoice, contracts: Sequence[Agreement], pending: Sequence[_Invoice]):
	"""Rule 3: the term of the latest-starting signed contract containing the posting date (or starting within
	ADVANCE_DAYS after it), unless the invoice is periodic billing inside that term."""
	posting = inv.posting
	candidates = [c for c in contracts if c.start - timedelta(days=ADVANCE_DAYS) <= posting < _covered_end(c)]
	if not candidates:
		return None
	for other in pending:
		if other is inv or other.posting == posting or not _similar(other.rest, inv.rest):
			continue
		gap = _snap(min(posting, other.posting), max(posting, other.posting))
		if gap is None:
			continue
		# Periodic billing: a similar invoice one cadence step away inside a term LONGER than that step
		# (monthly invoices under an annual contract). Under a term no longer than the step, the other
		# invoice pays the next term (monthly terms, each invoiced): after a 31-day month the next term
		# starts exactly ADVANCE_DAYS after this invoice and is a candidate, but it is not this one's.
		if any(min(c.start, posting) <= other.posting <= c.end and _longer_than(c, gap) for c in candidates):
			return None  # the cadence decides
	# The term whose start is nearest the posting date: a monthly term's invoice, dated at its start,
	# belongs to it and not to next month's term; a renewal invoiced a few days ahead belongs to the
	# term it renews into, not to the last days of the one it falls in.
	chosen = min(candidates, key=lambda c: (abs((c.start - posting).days), -c.start.toordinal(), c.name))
	return max(posting, chosen.start), chosen.end + ONE_DAY


def _longer_than(term: Agreement, months: int) -> bool:
	"""Whether a term runs past `months` calendar months from its start (beyond a month end's slack)."""
	return term.end + ONE_DAY > add_months(term.start, months) + timedelta(days=MONTH_END_SLACK_DAYS)


def _periodic_periods(dates: list[date], override: int | None, default_months: int) -> dict:
	"""Rules 4 and 5 for the distinct sorted posting dates: date -> (end, months)."""
	gaps = [_snap(dates[i], dates[i + 1]) for i in range(len(dates) - 1)]
	gaps.append(None)
	if override:
		months = [override] * len(dates)
	else:
		modal = Counter(g for g in gaps if g).most_common(1)
		fallback = modal[0][0] if modal else default_months
		months, recent = [], None
		for gap in gaps:
			months.append(gap or recent or fallback)
			recent = gap or recent
	periods = {}
	for i, (d, k) in enumerate(zip(dates, months, strict=True)):
		end = add_months(d, k)
		if gaps[i] == k and dates[i + 1] <= end + timedelta(days=MONTH_END_SLACK_DAYS):
			# The next invoice keeps the rhythm: early, or on a longer month's last day after a shorter
			# one's (Feb 28 -> Mar 31). This one covers up to it: neither a double count nor a gap.
			# Later than that is a lapse, for grace_days to judge.
			end = dates[i + 1]
		periods[d] = (end, k)
	return periods


def invoice_pieces(
	lines: Iterable[InvoiceLine],
	agreements: Iterable[Agreement] = (),
	billing_period_override: int | None = None,
	default_months: int = 1,
) -> list[Piece]:
	"""One customer's invoice lines -> MRR pieces. Period per line with service dates, else per invoice:
	from/to dates, contract term, billing_period_override (months), detected cadence, default_months.
	A credit note against a known invoice covers that invoice's pieces proportionally."""
	invoices = _group_invoices(lines)
	contracts = [a for a in agreements if a.signed and a.kind == CONTRACT and a.end is not None and _ran(a)]
	by_invoice: dict[str, list[Piece]] = {}
	pending: list[_Invoice] = []
	for inv in invoices.values():
		if inv.credit:
			continue
		by_invoice[inv.name], resolved = _explicit_pieces(inv)
		if not resolved:
			pending.append(inv)

	periodic: list[_Invoice] = []
	for inv in pending:
		period = _contract_period(inv, contracts, pending) if contracts else None
		if period is None:
			periodic.append(inv)
		elif p := _piece(period[0], period[1], inv.rest, inv.name):
			by_invoice[inv.name].append(p)

	if periodic:
		periods = _periodic_periods(
			sorted({inv.posting for inv in periodic}), billing_period_override, default_months
		)
		for inv in periodic:
			end, k = periods[inv.posting]
			by_invoice[inv.name].append(Piece(inv.posting, end, inv.rest / k, inv.name))

	out = [p for pieces in by_invoice.values() for p in pieces]
	for inv in invoices.values():
		if inv.credit:
			out.extend(_credit_pieces(inv, invoices, by_invoice, billing_period_override, default_months))
	out.sort(key=lambda p: (p.start, p.end, p.source))
	return out


def _credit_pieces(inv, invoices, by_invoice, override, default_months) -> list[Piece]:
	original = invoices.get(inv.return_against) if inv.return_against else None
	if original is not None and not original.credit and original.amount > 0 and by_invoice.get(original.name):
		ratio = inv.amount / original.amount
		return [Piece(p.start, p.end, p.mrr * ratio, inv.name) for p in by_invoice[original.name]]
	out, resolved = _explicit_pieces(inv)
	if not resolved:
		months = override or default_months
		out.append(Piece(inv.posting, add_months(inv.posting, months), inv.rest / months, inv.name))
	return out


# --- 2. and 3. contracts and subscriptions -------------------------------------------------------------


def contract_pieces(agreements: Iterable[Agreement], invoice_pieces: Sequence[Piece]) -> list[Piece]:
	"""A signed contract with a value and an end: value / months(term) over its term (up to a cancellation),
	only when no invoice piece overlaps the term (the invoices are then the truth)."""
	out = []
	for a in agreements:
		if not (a.signed and a.kind == CONTRACT and a.value and a.end is not None and _ran(a)):
			continue
		covered = _covered_end(a)
		if any(p.start < covered and (p.end is None or p.end > a.start) for p in invoice_pieces):
			continue
		out.append(Piece(a.start, covered, a.value / months_between(a.start, a.end + ONE_DAY), a.name))
	return out


def plan_mrr(amount: float, interval: str, interval_count: int = 1) -> float:
	"""A subscription plan's amount per billing interval normalised to a month."""
	return amount * PLAN_MONTHLY_FACTOR[interval] / (interval_count or 1)


def subscription_pieces(subscriptions: Iterable[SubscriptionTerms]) -> list[Piece]:
	"""Revenue from start (the day after trial_end when in trial) up to cancelled_on or end + 1."""
	out = []
	for s in subscriptions:
		start = s.start
		if s.trial_end is not None and s.trial_end >= start:
			start = s.trial_end + ONE_DAY
		stop = _covered_end(s)
		if stop is not None and stop <= start:
			continue
		mrr = sum(plan_mrr(*plan) for plan in s.plans)
		if abs(mrr) >= ZERO_MRR:
			out.append(Piece(start, stop, mrr, s.name))
	return out


# --- 4. to 8. the ledger -----------------------------------------------------------------------------


def mrr_intervals(pieces: Iterable[Piece], grace_days: int = 0) -> list[Interval]:
	"""Piecewise-constant MRR (rounded, never negative, zero spans dropped); zero gaps of at most
	grace_days between two non-zero spans take the MRR of the span before."""
	deltas: dict[date, float] = {}
	for p in pieces:
		if p.end is not None and p.end <= p.start:
			continue
		deltas[p.start] = deltas.get(p.start, 0.0) + p.mrr
		if p.end is not None:
			deltas[p.end] = deltas.get(p.end, 0.0) - p.mrr
	bounds = sorted(deltas)
	out: list[Interval] = []
	total = 0.0
	for i, d in enumerate(bounds):
		total += deltas[d]
		mrr = money(total) if total >= ZERO_MRR else 0.0
		if not mrr:
			continue
		end = bounds[i + 1] if i + 1 < len(bounds) else None
		if out and out[-1].end == d and out[-1].mrr == mrr:
			out[-1] = Interval(out[-1].start, end, mrr)
		else:
			out.append(Interval(d, end, mrr))
	if grace_days <= 0 or len(out) < 2:
		return out
	bridged = [out[0]]
	for iv in out[1:]:
		prev = bridged[-1]
		if prev.end is not None and (iv.start - prev.end).days <= grace_days:
			if prev.mrr == iv.mrr:
				bridged[-1] = Interval(prev.start, iv.end, iv.mrr)
				continue
			bridged[-1] = Interval(prev.start, iv.start, prev.mrr)
		bridged.append(iv)
	return bridged


def mrr_on(intervals: Sequence[Interval], d: date) -> float:
	i = bisect_right(intervals, d, key=lambda iv: iv.start) - 1
	if i >= 0 and (intervals[i].end is None or d < intervals[i].end):
		return intervals[i].mrr
	return 0.0


def _merge_spans(raw: Iterable[tuple], grace_days: int) -> list[Span]:
	out: list[Span] = []
	for start, end in sorted(raw, key=lambda s: s[0]):
		if out:
			last = out[-1]
			if last.end is None:
				break
			if (start - last.end).days <= grace_days:
				out[-1] = Span(last.start, None if end is None else max(end, last.end))
				continue
		out.append(Span(start, end))
	return out


def active_spans(
	intervals: Iterable[Interval], agreements: Iterable[Agreement] = (), grace_days: int = 0
) -> list[Span]:
	"""Logo lifecycle: union of the MRR intervals and the signed agreements' covered spans, gaps of at most
	grace_days bridged."""
	raw = [(iv.start, iv.end) for iv in intervals]
	raw.extend((a.start, _covered_end(a)) for a in agreements if a.signed and _ran(a))
	return _merge_spans(raw, grace_days)


def mrr_movements(intervals: Iterable[Interval]) -> list[Movement]:
	"""MRR on d == sum(New + Expansion + Reactivation - Contraction - Churn) of the movements dated <= d."""
	out: list[Movement] = []
	before = 0.0
	last_end = None
	seen = churned = False

	def move(d, after):
		nonlocal before, churned
		if after == before:
			return
		if not after:
			kind = CHURN
			churned = True
		elif not before:
			kind = REACTIVATION if churned else NEW
		else:
			kind = EXPANSION if after > before else CONTRACTION
		out.append(Movement(d, kind, money(abs(after - before)), before, after))
		before = after

	for iv in intervals:
		if seen and last_end != iv.start:
			move(last_end, 0.0)
		move(iv.start, iv.mrr)
		last_end, seen = iv.end, True
		if last_end is None:
			break
	if seen and last_end is not None:
		move(last_end, 0.0)
	return out


def logo_events(spans: Iterable[Span]) -> list[LogoEvent]:
	out: list[LogoEvent] = []
	for i, span in enumerate(spans):
		out.append(LogoEvent(span.start, REACTIVATED if i else ACQUIRED))
		if span.end is not None:
			out.append(LogoEvent(span.end, CHURNED))
	return out


def renewal_outcomes(
	agreements: Iterable[Agreement], intervals: Sequence[Interval], grace_days: int = 30
) -> list[RenewalOutcome]:
	"""Each signed term with an end or a cancellation is due on its last covered day. Cancelled (on or before
	its end) = not renewed; else renewed when another signed agreement starts within
	[due - 31 days, due + 1 + grace_days]. mrr = ledger MRR on the due date."""
	signed = [a for a in agreements if a.signed and _ran(a)]
	out = []
	for a in signed:
		if a.end is None and a.cancelled_on is None:
			continue
		cancelled = a.cancelled_on is not None and (a.end is None or a.cancelled_on <= a.end)
		due = a.cancelled_on - ONE_DAY if cancelled else a.end
		renewed = False
		if not cancelled:
			low = due - timedelta(days=RENEWAL_LOOKBACK_DAYS)
			high = due + timedelta(days=1 + grace_days)
			renewed = any(o is not a and o.name != a.name and low <= o.start <= high for o in signed)
		out.append(RenewalOutcome(a.name, due, renewed, money(mrr_on(intervals, due)), cancelled))
	out.sort(key=lambda r: (r.due_date, r.agreement))
	return out


def customer_ledger(
	lines: Iterable[InvoiceLine],
	agreements: Iterable[Agreement],
	subscriptions: Iterable[SubscriptionTerms] = (),
	billing_period_override: int | None = None,
	default_months: int = 1,
	grace_days: int = 0,
	renewal_grace_days: int = 30,
) -> CustomerLedger:
	"""Everything for one (company, customer). `agreements` holds the Contracts and the Subscriptions (as
	Agreement, kind SUBSCRIPTION) for the logo spans and renewals; `subscriptions` their plans for MRR."""
	agreements = [a for a in agreements if a.signed]
	pieces = invoice_pieces(lines, agreements, billing_period_override, default_months)
	pieces += contract_pieces(agreements, pieces) + subscription_pieces(subscriptions)
	intervals = mrr_intervals(pieces, grace_days)
	spans = active_spans(intervals, agreements, grace_days)
	return CustomerLedger(
		intervals=intervals,
		spans=spans,
		movements=mrr_movements(intervals),
		events=logo_events(spans),
		renewals=renewal_outcomes(agreements, intervals, renewal_grace_days),
	)


class CompanyBooks(NamedTuple):
	"""One company's documents for a customer."""

	lines: Sequence[InvoiceLine] = ()
	subscriptions: Sequence[SubscriptionTerms] = ()  # for MRR
	subscription_agreements: Sequence[Agreement] = ()  # the same subscriptions, for spans and renewals


class CompanyLedger(NamedTuple):
	intervals: list[Interval]
	movements: list[Movement]
	renewals: list[RenewalOutcome]


class CustomerBooks(NamedTuple):
	companies: dict  # company -> CompanyLedger
	spans: list[Span]
	events: list[LogoEvent]


def customer_books(
	by_company: dict,
	contracts: Sequence[Agreement] = (),
	contract_company: str | None = None,
	billing_period_override: int | None = None,
	default_months: int = 1,
	grace_days: int = 0,
	renewal_grace_days: int = 30,
) -> CustomerBooks:
	"""A customer's whole ledger. Money is kept per company (each in its own currency); the logo
	lifecycle is the customer's across companies. Contracts carry no company: they bound the
	periods of every company's invoices, and their value and renewals count at `contract_company`."""
	contracts = [c for c in contracts if c.signed]
	companies = {}
	all_intervals: list[Interval] = []
	all_agreements: list[Agreement] = list(contracts)
	for company in sorted(
		set(by_company) | ({contract_company} if contract_company and contracts else set())
	):
		books = by_company.get(company) or CompanyBooks()
		pieces = invoice_pieces(books.lines, contracts, billing_period_override, default_months)
		own = [a for a in books.subscription_agreements if a.signed]
		if company == contract_company:
			pieces += contract_pieces(contracts, pieces)
			own += contracts
		pieces += subscription_pieces(books.subscriptions)
		intervals = mrr_intervals(pieces, grace_days)
		companies[company] = CompanyLedger(
			intervals, mrr_movements(intervals), renewal_outcomes(own, intervals, renewal_grace_days)
		)
		all_intervals += intervals
		all_agreements += own if company != contract_company else books.subscription_agreements
	spans = active_spans(all_intervals, all_agreements, grace_days)
	return CustomerBooks(companies, spans, logo_events(spans))
