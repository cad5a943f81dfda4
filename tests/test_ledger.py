"""Recurring revenue ledger: expected figures worked out by hand in the comments."""

from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cs_success.engine.ledger import (
	ACQUIRED,
	BILLING_PERIODS,
	CHURN,
	CHURNED,
	CONTRACT,
	CONTRACTION,
	EXPANSION,
	NEW,
	REACTIVATED,
	REACTIVATION,
	SUBSCRIPTION,
	Agreement,
	CompanyBooks,
	Interval,
	InvoiceLine,
	LogoEvent,
	Movement,
	Piece,
	RenewalOutcome,
	Span,
	SubscriptionTerms,
	active_spans,
	add_months,
	contract_pieces,
	customer_books,
	customer_ledger,
	invoice_pieces,
	money,
	months_between,
	mrr_intervals,
	mrr_movements,
	mrr_on,
	renewal_outcomes,
	subscription_pieces,
)

D = date


def monthly(prefix, year, month, count, amount, day=1):
	"""`count` invoices of `amount` on `day` of consecutive months."""
	out = []
	for i in range(count):
		posting = add_months(D(year, month, day), i)
		out.append(InvoiceLine(f"{prefix}-{i + 1}", posting, amount))
	return out


def kinds(movements):
	return [(m.date, m.kind, m.amount) for m in movements]


# --- date helpers ------------------------------------------------------------------------------------


def test_add_months_clamps_to_month_end():
	assert add_months(D(2025, 1, 31), 1) == D(2025, 2, 28)
	assert add_months(D(2024, 1, 31), 1) == D(2024, 2, 29)  # leap year
	assert add_months(D(2025, 1, 31), 13) == D(2026, 2, 28)
	assert add_months(D(2025, 3, 31), -1) == D(2025, 2, 28)
	assert add_months(D(2025, 11, 15), 3) == D(2026, 2, 15)


def test_months_between_whole_months_are_exact():
	assert months_between(D(2025, 1, 31), D(2025, 2, 28)) == 1  # Jan 31 + 1 month
	assert months_between(D(2025, 1, 1), D(2026, 1, 1)) == 12  # 365 days, not 11.99
	assert months_between(D(2025, 2, 1), D(2025, 3, 1)) == 1  # 28 days, not 0.92
	# not a whole number of months: 14 days / 30.4375
	assert months_between(D(2025, 1, 1), D(2025, 1, 15)) == pytest.approx(14 / 30.4375)
	assert months_between(D(2025, 1, 1), D(2025, 1, 1)) == 0


def test_money():
	assert money(620.8333) == 620.83
	assert str(money(-0.001)) == "0.0"


def test_jan_31_invoice_covers_one_calendar_month():
	# billed monthly (override 1): [Jan 31, Feb 28) is one month, so MRR = 1,000 (not 1,000 * 30.4375 / 28)
	pieces = invoice_pieces([InvoiceLine("INV-1", D(2025, 1, 31), 1000)], [], BILLING_PERIODS["Monthly"])
	assert pieces == [Piece(D(2025, 1, 31), D(2025, 2, 28), 1000.0, "INV-1")]


# --- invoice periods and cadence -----------------------------------------------------------------------


def test_monthly_billing_is_one_interval_and_one_new_movement():
	# 12 x 1,000 on the 1st of each month 2025: gaps of 28..31 days all snap to 1 month
	ledger = customer_ledger(monthly("INV", 2025, 1, 12, 1000), [])
	assert ledger.intervals == [Interval(D(2025, 1, 1), D(2026, 1, 1), 1000.0)]
	assert kinds(ledger.movements) == [(D(2025, 1, 1), NEW, 1000.0), (D(2026, 1, 1), CHURN, 1000.0)]
	# February has 28 days but is still one month of 1,000 (days / 30.4375 would give 1,087.05)
	assert mrr_on(ledger.intervals, D(2025, 2, 14)) == 1000.0


def test_invoice_posted_early_does_not_double_count():
	# Jan 3, Feb 1, Mar 1: the Jan 3 invoice would cover [Jan 3, Feb 3) but the next one came on Feb 1
	# (gap 29 days, still monthly): it stops there, so MRR is 1,000 throughout, never 2,000 on Feb 1-2
	lines = [
		InvoiceLine("INV-1", D(2025, 1, 3), 1000),
		InvoiceLine("INV-2", D(2025, 2, 1), 1000),
		InvoiceLine("INV-3", D(2025, 3, 1), 1000),
	]
	intervals = mrr_intervals(invoice_pieces(lines, []))
	assert intervals == [Interval(D(2025, 1, 3), D(2025, 4, 1), 1000.0)]


def test_same_day_invoices_are_one_date():
	# two invoices on each 1st (1,000 + 500): one date per month, 1,500 MRR, no zero-day gaps
	lines = monthly("A", 2025, 1, 3, 1000) + monthly("B", 2025, 1, 3, 500)
	assert mrr_intervals(invoice_pieces(lines, [])) == [Interval(D(2025, 1, 1), D(2025, 4, 1), 1500.0)]


def test_six_monthly_billing():
	# 6,000 on 2025-01-10 and 2025-07-10: gap 181 days = 5.95 months -> 6; the last one reuses 6
	lines = [InvoiceLine("INV-1", D(2025, 1, 10), 6000), InvoiceLine("INV-2", D(2025, 7, 10), 6000)]
	ledger = customer_ledger(lines, [])
	assert ledger.intervals == [Interval(D(2025, 1, 10), D(2026, 1, 10), 1000.0)]
	assert mrr_on(ledger.intervals, D(2025, 12, 31)) == 1000.0


def test_annual_invoice_with_annual_billing_period():
	# 12,000 on 2025-03-15, customer billed annually: 1,000 MRR from 2025-03-15 to 2026-03-15
	ledger = customer_ledger(
		[InvoiceLine("INV-1", D(2025, 3, 15), 12000)],
		[],
		[],
		billing_period_override=BILLING_PERIODS["Annual"],
	)
	assert ledger.intervals == [Interval(D(2025, 3, 15), D(2026, 3, 15), 1000.0)]
	# a report for September 2025 sees 1,000 MRR, not 0 (no invoice was posted that month)
	assert mrr_on(ledger.intervals, D(2025, 9, 30)) == 1000.0
	assert mrr_on(ledger.intervals, D(2026, 3, 14)) == 1000.0
	assert mrr_on(ledger.intervals, D(2026, 3, 15)) == 0.0
	assert kinds(ledger.movements) == [(D(2025, 3, 15), NEW, 1000.0), (D(2026, 3, 15), CHURN, 1000.0)]


def test_annual_billing_detected_from_the_renewal():
	# 12,000 on 2025-03-15 and 2026-03-15: gap 365 days -> 12 months, both 1,000 MRR
	lines = [InvoiceLine("INV-1", D(2025, 3, 15), 12000), InvoiceLine("INV-2", D(2026, 3, 15), 12000)]
	intervals = mrr_intervals(invoice_pieces(lines, []))
	assert intervals == [Interval(D(2025, 3, 15), D(2027, 3, 15), 1000.0)]


def test_invoice_from_to_dates():
	# from 2025-02-01 to 2025-04-30 = 3 calendar months: 3,000 -> 1,000 (89 days / 30.4375 would give 1,025.98)
	line = InvoiceLine("INV-1", D(2025, 2, 5), 3000, period_start=D(2025, 2, 1), period_end=D(2025, 4, 30))
	assert mrr_intervals(invoice_pieces([line], [])) == [Interval(D(2025, 2, 1), D(2025, 5, 1), 1000.0)]


def test_mixed_cadence_monthly_then_annual():
	# Jan-Jun 2025 monthly at 1,000; then annual 12,000 on 2025-07-01 and 13,200 on 2026-07-01.
	# The annual invoice's own gap (365 days) is 12 months: 1,000 until 2026-07-01, then 13,200 / 12 = 1,100.
	# (The modal gap is 1 month: a naive modal cadence would give 12,000 MRR.)
	lines = monthly("M", 2025, 1, 6, 1000)
	lines += [InvoiceLine("Y-1", D(2025, 7, 1), 12000), InvoiceLine("Y-2", D(2026, 7, 1), 13200)]
	ledger = customer_ledger(lines, [])
	assert ledger.intervals == [
		Interval(D(2025, 1, 1), D(2026, 7, 1), 1000.0),
		Interval(D(2026, 7, 1), D(2027, 7, 1), 1100.0),
	]
	assert kinds(ledger.movements) == [
		(D(2025, 1, 1), NEW, 1000.0),
		(D(2026, 7, 1), EXPANSION, 100.0),
		(D(2027, 7, 1), CHURN, 1100.0),
	]


def test_lapse_uses_the_most_recent_billing_gap():
	# monthly Jan-Mar, then nothing until Nov (8 months: not a billing period, a lapse).
	# The Mar invoice covers one month (the last snappable gap), not 8: MRR is 0 from Apr 1 to Nov 1.
	lines = [*monthly("M", 2025, 1, 3, 1000), InvoiceLine("M-4", D(2025, 11, 1), 1000)]
	ledger = customer_ledger(lines, [])
	assert ledger.intervals == [
		Interval(D(2025, 1, 1), D(2025, 4, 1), 1000.0),
		Interval(D(2025, 11, 1), D(2025, 12, 1), 1000.0),
	]
	assert [m.kind for m in ledger.movements] == [NEW, CHURN, REACTIVATION, CHURN]


@pytest.mark.parametrize(
	"grace, expected_movements",
	[
		# renewal 19 days late (Jan 1 -> Jan 20), inside a 30 day grace: no churn, the gap keeps 1,000
		(30, [(D(2025, 1, 1), NEW, 1000.0), (D(2027, 1, 20), CHURN, 1000.0)]),
		# outside a 7 day grace: churned on 2026-01-01 (first uncovered day), reactivated 2026-01-20
		(
			7,
			[
				(D(2025, 1, 1), NEW, 1000.0),
				(D(2026, 1, 1), CHURN, 1000.0),
				(D(2026, 1, 20), REACTIVATION, 1000.0),
				(D(2027, 1, 20), CHURN, 1000.0),
			],
		),
	],
)
def test_late_renewal_and_grace(grace, expected_movements):
	# annual 12,000 on 2025-01-01, renewed late on 2026-01-20 (gap 384 days = 12.6 months -> 12)
	lines = [InvoiceLine("INV-1", D(2025, 1, 1), 12000), InvoiceLine("INV-2", D(2026, 1, 20), 12000)]
	ledger = customer_ledger(lines, [], grace_days=grace)
	assert kinds(ledger.movements) == expected_movements
	if grace == 30:
		assert ledger.spans == [Span(D(2025, 1, 1), D(2027, 1, 20))]
		assert mrr_on(ledger.intervals, D(2026, 1, 10)) == 1000.0
		assert ledger.events == [LogoEvent(D(2025, 1, 1), ACQUIRED), LogoEvent(D(2027, 1, 20), CHURNED)]
	else:
		assert mrr_on(ledger.intervals, D(2026, 1, 10)) == 0.0
		assert ledger.events == [
			LogoEvent(D(2025, 1, 1), ACQUIRED),
			LogoEvent(D(2026, 1, 1), CHURNED),
			LogoEvent(D(2026, 1, 20), REACTIVATED),
			LogoEvent(D(2027, 1, 20), CHURNED),
		]


# --- contracts -----------------------------------------------------------------------------------------


def test_mid_term_upgrade_with_monthly_invoices_under_contracts():
	# Contract A (Jan-Dec 2025) ended early on 2025-06-30 by an upgrade to B (2025-07-01 .. 2026-06-30).
	# Monthly invoices: 1,000 under A, 1,500 under B. Monthly invoices inside a contract term follow the
	# cadence: they are not spread over the rest of the term (that would give 1,000 / 6 = 166.67 in Jan).
	agreements = [
		Agreement("A", CONTRACT, D(2025, 1, 1), D(2025, 6, 30)),
		Agreement("B", CONTRACT, D(2025, 7, 1), D(2026, 6, 30)),
	]
	lines = monthly("A", 2025, 1, 6, 1000) + monthly("B", 2025, 7, 12, 1500)
	ledger = customer_ledger(lines, agreements)
	assert ledger.intervals == [
		Interval(D(2025, 1, 1), D(2025, 7, 1), 1000.0),
		Interval(D(2025, 7, 1), D(2026, 7, 1), 1500.0),
	]
	assert ledger.movements[1] == Movement(D(2025, 7, 1), EXPANSION, 500.0, 1000.0, 1500.0)
	# A ends and B starts the next day: renewed, A's term was worth 1,000 MRR on its last day
	assert ledger.renewals == [
		RenewalOutcome("A", D(2025, 6, 30), True, 1000.0),
		RenewalOutcome("B", D(2026, 6, 30), False, 1500.0),
	]


def test_downgrade_with_contract_values():
	# A: 6,000 over Jan-Jun 2025 = 1,000/month; B: 9,600 over 2025-07-01 .. 2026-06-30 = 800/month
	agreements = [
		Agreement("A", CONTRACT, D(2025, 1, 1), D(2025, 6, 30), value=6000),
		Agreement("B", CONTRACT, D(2025, 7, 1), D(2026, 6, 30), value=9600),
	]
	ledger = customer_ledger([], agreements)
	assert kinds(ledger.movements) == [
		(D(2025, 1, 1), NEW, 1000.0),
		(D(2025, 7, 1), CONTRACTION, 200.0),
		(D(2026, 7, 1), CHURN, 800.0),
	]
	assert ledger.renewals[0] == RenewalOutcome("A", D(2025, 6, 30), True, 1000.0)


def test_prorated_add_on_inside_an_annual_contract():
	# Annual contract 2025; 12,000 invoiced on 2025-01-01; an add-on of 300/month prorated from 2025-04-16:
	# 300 * 260 days / 30.4375 = 2,562.63, covering 2025-04-16 .. 2025-12-31 -> 2,562.63 / 8.5421 = 300.00.
	# (Cadence alone would snap the 105 day gap to 3 months and give the annual invoice 4,000 MRR.)
	agreements = [Agreement("C-1", CONTRACT, D(2025, 1, 1), D(2025, 12, 31))]
	lines = [InvoiceLine("INV-1", D(2025, 1, 1), 12000), InvoiceLine("INV-2", D(2025, 4, 16), 2562.63)]
	ledger = customer_ledger(lines, agreements)
	assert ledger.intervals == [
		Interval(D(2025, 1, 1), D(2025, 4, 16), 1000.0),
		Interval(D(2025, 4, 16), D(2026, 1, 1), 1300.0),
	]
	assert ledger.movements[1] == Movement(D(2025, 4, 16), EXPANSION, 300.0, 1000.0, 1300.0)


def test_renewal_invoiced_ahead_covers_the_next_term():
	# Renewal at a higher price invoiced on 2024-12-27, 5 days before term B starts: it pays for B
	# (14,400 / 12 = 1,200 from 2025-01-01), not for A's last 5 days (14,400 / (5 / 30.4375) = 87,660).
	agreements = [
		Agreement("A", CONTRACT, D(2024, 1, 1), D(2024, 12, 31)),
		Agreement("B", CONTRACT, D(2025, 1, 1), D(2025, 12, 31)),
	]
	lines = [InvoiceLine("INV-A", D(2024, 1, 1), 12000), InvoiceLine("INV-B", D(2024, 12, 27), 14400)]
	assert mrr_intervals(invoice_pieces(lines, agreements)) == [
		Interval(D(2024, 1, 1), D(2025, 1, 1), 1000.0),
		Interval(D(2025, 1, 1), D(2026, 1, 1), 1200.0),
	]


def test_contract_with_value_and_no_invoices():
	# 12,000 over 2025 = 12 months exactly -> 1,000 (365 / 30.4375 = 11.99 months would give 1,000.68)
	agreements = [Agreement("C-1", CONTRACT, D(2025, 1, 1), D(2025, 12, 31), value=12000)]
	ledger = customer_ledger([], agreements)
	assert ledger.intervals == [Interval(D(2025, 1, 1), D(2026, 1, 1), 1000.0)]
	assert ledger.renewals == [RenewalOutcome("C-1", D(2025, 12, 31), False, 1000.0)]


def test_contract_with_value_and_invoices_is_not_double_counted():
	# the monthly invoices overlap the term: they are the truth, MRR 1,000 not 2,000
	agreements = [Agreement("C-1", CONTRACT, D(2025, 1, 1), D(2025, 12, 31), value=12000)]
	lines = monthly("INV", 2025, 1, 12, 1000)
	pieces = invoice_pieces(lines, agreements)
	assert contract_pieces(agreements, pieces) == []
	assert customer_ledger(lines, agreements).intervals == [Interval(D(2025, 1, 1), D(2026, 1, 1), 1000.0)]


def test_evergreen_contract_does_not_bound_an_invoice():
	# a contract with no end cannot bound a period: the annual billing period applies
	agreements = [Agreement("C-1", CONTRACT, D(2025, 1, 1))]
	pieces = invoice_pieces([InvoiceLine("INV-1", D(2025, 3, 1), 12000)], agreements, 12)
	assert pieces == [Piece(D(2025, 3, 1), D(2026, 3, 1), 1000.0, "INV-1")]


def test_unsigned_contract_is_ignored():
	unsigned = Agreement("C-1", CONTRACT, D(2025, 1, 1), D(2025, 12, 31), value=12000, signed=False)
	ledger = customer_ledger([], [unsigned])
	assert ledger == ([], [], [], [], [])
	# nor does it bound an invoice: 2,400 billed monthly by default -> 2,400 MRR for one month
	pieces = invoice_pieces([InvoiceLine("INV-1", D(2025, 3, 1), 2400)], [unsigned])
	assert pieces == [Piece(D(2025, 3, 1), D(2025, 4, 1), 2400.0, "INV-1")]
	assert renewal_outcomes([unsigned], []) == []


def test_reactivation_after_a_gap_logo_events():
	# A: 2024 at 12,000 (1,000/month); nothing Jan-May 2025; B: 2025-06-01 .. 2026-05-31 at 6,000 (500/month)
	agreements = [
		Agreement("A", CONTRACT, D(2024, 1, 1), D(2024, 12, 31), value=12000),
		Agreement("B", CONTRACT, D(2025, 6, 1), D(2026, 5, 31), value=6000),
	]
	ledger = customer_ledger([], agreements)
	assert ledger.events == [
		LogoEvent(D(2024, 1, 1), ACQUIRED),
		LogoEvent(D(2025, 1, 1), CHURNED),  # first day not active
		LogoEvent(D(2025, 6, 1), REACTIVATED),
		LogoEvent(D(2026, 6, 1), CHURNED),
	]
	assert kinds(ledger.movements) == [
		(D(2024, 1, 1), NEW, 1000.0),
		(D(2025, 1, 1), CHURN, 1000.0),
		(D(2025, 6, 1), REACTIVATION, 500.0),
		(D(2026, 6, 1), CHURN, 500.0),
	]
	# B starts 152 days after A's due date: beyond 1 + 30 days, A was not renewed
	assert ledger.renewals[0] == RenewalOutcome("A", D(2024, 12, 31), False, 1000.0)


def test_agreement_keeps_the_logo_active_without_revenue():
	# invoices Jan-Mar 2025 but an agreement until 2025-06-30: active (logo) until 2025-07-01
	intervals = [Interval(D(2025, 1, 1), D(2025, 4, 1), 1000.0)]
	agreements = [Agreement("C-1", CONTRACT, D(2025, 1, 1), D(2025, 6, 30))]
	assert active_spans(intervals, agreements) == [Span(D(2025, 1, 1), D(2025, 7, 1))]
	# a 10-day gap is bridged with grace 10, not with grace 9
	later = [Interval(D(2025, 7, 11), None, 500.0)]
	assert active_spans(intervals + later, agreements, 10) == [Span(D(2025, 1, 1), None)]
	assert len(active_spans(intervals + later, agreements, 9)) == 2


# --- credit notes --------------------------------------------------------------------------------------


def test_credit_note_halving_an_annual_invoice():
	# 12,000 for 2025 (service dates) -> 1,000; credit note -6,000 posted 2025-02-10 against it covers the
	# same 12 months: -500, so 500 MRR all year (not -6,000 in February)
	lines = [
		InvoiceLine("INV-1", D(2025, 1, 1), 12000, service_start=D(2025, 1, 1), service_end=D(2025, 12, 31)),
		InvoiceLine("CN-1", D(2025, 2, 10), -6000, return_against="INV-1"),
	]
	pieces = invoice_pieces(lines, [])
	assert Piece(D(2025, 1, 1), D(2026, 1, 1), -500.0, "CN-1") in pieces
	assert mrr_intervals(pieces) == [Interval(D(2025, 1, 1), D(2026, 1, 1), 500.0)]


def test_credit_note_against_an_annual_billed_invoice():
	# -600 against a 1,200 invoice billed annually -> -50 over the same 12 months: 100 - 50 = 50
	lines = [
		InvoiceLine("INV-1", D(2025, 3, 1), 1200),
		InvoiceLine("CN-1", D(2025, 3, 20), -600, return_against="INV-1"),
	]
	pieces = invoice_pieces(lines, [], 12)
	assert Piece(D(2025, 3, 1), D(2026, 3, 1), -50.0, "CN-1") in pieces
	assert mrr_intervals(pieces) == [Interval(D(2025, 3, 1), D(2026, 3, 1), 50.0)]


def test_credit_note_larger_than_the_revenue_is_clamped():
	# 1,000 monthly Jan-Mar; a -1,500 credit note without return_against on Feb 1 covers one month:
	# February sums to -500 and is clamped to 0, never negative
	lines = [*monthly("INV", 2025, 1, 3, 1000), InvoiceLine("CN-1", D(2025, 2, 1), -1500)]
	ledger = customer_ledger(lines, [])
	assert ledger.intervals == [
		Interval(D(2025, 1, 1), D(2025, 2, 1), 1000.0),
		Interval(D(2025, 3, 1), D(2025, 4, 1), 1000.0),
	]
	assert mrr_on(ledger.intervals, D(2025, 2, 15)) == 0.0
	assert kinds(ledger.movements) == [
		(D(2025, 1, 1), NEW, 1000.0),
		(D(2025, 2, 1), CHURN, 1000.0),
		(D(2025, 3, 1), REACTIVATION, 1000.0),
		(D(2025, 4, 1), CHURN, 1000.0),
	]
	assert all(m.mrr_before >= 0 and m.mrr_after >= 0 for m in ledger.movements)


# --- subscriptions -------------------------------------------------------------------------------------


def test_subscription_cancelled_with_only_cancelled_on():
	# plans 100 + 50 per month from 2025-01-01, cancellation effective 2025-05-15 (covered to 05-14)
	sub = SubscriptionTerms(
		"SUB-1", D(2025, 1, 1), cancelled_on=D(2025, 5, 15), plans=((100, "Month", 1), (50, "Month", 1))
	)
	agreement = Agreement("SUB-1", SUBSCRIPTION, D(2025, 1, 1), cancelled_on=D(2025, 5, 15))
	# a new subscription the same day does not make a cancellation a renewal
	ledger = customer_ledger([], [agreement], [sub])
	assert ledger.intervals == [Interval(D(2025, 1, 1), D(2025, 5, 15), 150.0)]
	assert kinds(ledger.movements) == [(D(2025, 1, 1), NEW, 150.0), (D(2025, 5, 15), CHURN, 150.0)]
	assert ledger.renewals == [RenewalOutcome("SUB-1", D(2025, 5, 14), False, 150.0, cancelled=True)]
	assert ledger.events == [LogoEvent(D(2025, 1, 1), ACQUIRED), LogoEvent(D(2025, 5, 15), CHURNED)]


def test_cancelled_term_is_not_renewed_even_if_another_starts():
	agreements = [
		Agreement("A", CONTRACT, D(2025, 1, 1), D(2025, 12, 31), cancelled_on=D(2025, 6, 1)),
		Agreement("B", CONTRACT, D(2025, 6, 1), D(2026, 5, 31)),
	]
	outcomes = renewal_outcomes(agreements, [])
	assert outcomes[0] == RenewalOutcome("A", D(2025, 5, 31), False, 0.0, cancelled=True)


def test_subscription_with_a_trial():
	# trial to 2025-01-14: revenue from 2025-01-15, 1,200 a year = 100/month, ongoing (open-ended)
	sub = SubscriptionTerms("SUB-1", D(2025, 1, 1), trial_end=D(2025, 1, 14), plans=((1200, "Year", 1),))
	agreement = Agreement("SUB-1", SUBSCRIPTION, D(2025, 1, 1))
	ledger = customer_ledger([], [agreement], [sub])
	assert ledger.intervals == [Interval(D(2025, 1, 15), None, 100.0)]
	assert ledger.movements == [Movement(D(2025, 1, 15), NEW, 100.0, 0.0, 100.0)]
	assert mrr_on(ledger.intervals, D(2025, 1, 14)) == 0.0
	# the logo is active (in trial) from the subscription's start; ongoing, so no churn and no renewal due
	assert ledger.events == [LogoEvent(D(2025, 1, 1), ACQUIRED)]
	assert ledger.renewals == []


def test_subscription_plan_normalisation():
	# 100 every 2 weeks: 100 * 52 / 12 / 2 = 216.6667; 2,400 every 2 years: 2,400 / 24 = 100;
	# 10 a day: 10 * 365 / 12 = 304.1667. Sum 620.8333 -> 620.83 (rounding each plan first gives 620.84)
	sub = SubscriptionTerms(
		"SUB-1",
		D(2025, 1, 1),
		end=D(2025, 12, 31),
		plans=((100, "Week", 2), (2400, "Year", 2), (10, "Day", 1)),
	)
	pieces = subscription_pieces([sub])
	assert len(pieces) == 1 and pieces[0].end == D(2026, 1, 1)
	assert mrr_intervals(pieces) == [Interval(D(2025, 1, 1), D(2026, 1, 1), 620.83)]
	weekly = SubscriptionTerms("SUB-2", D(2025, 1, 1), plans=((100, "Week", 1),))
	assert money(subscription_pieces([weekly])[0].mrr) == 433.33  # not 4 weeks x 100 = 400


def test_subscription_end_before_cancellation():
	# ends 2025-03-31 (inclusive) though cancelled_on is later: revenue stops on 2025-04-01
	sub = SubscriptionTerms(
		"S", D(2025, 1, 1), end=D(2025, 3, 31), cancelled_on=D(2025, 6, 1), plans=((90, "Month", 3),)
	)
	assert subscription_pieces([sub]) == [Piece(D(2025, 1, 1), D(2025, 4, 1), 30.0, "S")]


# --- the movement identity -----------------------------------------------------------------------------

BASE = D(2025, 1, 1)


@st.composite
def pieces_strategy(draw):
	count = draw(st.integers(min_value=0, max_value=8))
	out = []
	for i in range(count):
		start = BASE + timedelta(days=draw(st.integers(0, 400)))
		length = draw(st.one_of(st.none(), st.integers(1, 400)))
		end = None if length is None else start + timedelta(days=length)
		cents = draw(st.integers(-300000, 500000))
		out.append(Piece(start, end, cents / 100, f"P{i}"))
	return out


@settings(max_examples=300)
@given(pieces_strategy(), st.integers(0, 40), st.lists(st.integers(-10, 900), max_size=10))
def test_mrr_equals_the_sum_of_movements(pieces, grace, offsets):
	intervals = mrr_intervals(pieces, grace)
	movements = mrr_movements(intervals)
	assert all(iv.mrr > 0 for iv in intervals)
	for a, b in pairwise(intervals):
		assert a.end is not None and a.end <= b.start
	assert all(m.amount > 0 for m in movements)
	signs = {NEW: 1, EXPANSION: 1, REACTIVATION: 1, CONTRACTION: -1, CHURN: -1}
	days = {m.date for m in movements} | {BASE + timedelta(days=o) for o in offsets}
	for day in days:
		total = sum(signs[m.kind] * m.amount for m in movements if m.date <= day)
		assert mrr_on(intervals, day) == pytest.approx(total, abs=1e-6)
	# New comes first and once; Reactivation only after a Churn
	seen_churn = False
	for i, m in enumerate(movements):
		assert (m.kind == NEW) == (i == 0)
		if m.kind == REACTIVATION:
			assert seen_churn
		seen_churn = seen_churn or m.kind == CHURN
	if grace == 0:
		# without bridging, MRR is the clamped, rounded sum of the pieces covering the day
		for day in days:
			raw = sum(p.mrr for p in pieces if p.start <= day and (p.end is None or day < p.end))
			assert mrr_on(intervals, day) == pytest.approx(max(0.0, raw), abs=0.011)


def test_month_end_billing_has_no_spring_gap():
	# Billed 1,000 on each month's last day: Jan 31, Feb 28, Mar 31, Apr 30. add_months(Feb 28, 1) is
	# Mar 28, so naive periods leave Mar 28-30 uncovered (a false churn and reactivation). Each
	# invoice instead covers up to the next one: MRR 1,000 from Jan 31 to May 30 (Apr 30 + 1 month).
	dates = [D(2025, 1, 31), D(2025, 2, 28), D(2025, 3, 31), D(2025, 4, 30)]
	lines = [InvoiceLine(f"E-{i}", d, 1000) for i, d in enumerate(dates)]
	ledger = customer_ledger(lines, [])
	assert ledger.intervals == [Interval(D(2025, 1, 31), D(2025, 5, 30), 1000.0)]
	assert [m.kind for m in ledger.movements] == [NEW, CHURN]


def test_books_keep_money_per_company_and_the_logo_across_companies():
	# Company A has one invoice of 1,200 on 2025-01-01 and no other clue: the default one month, so
	# 1,200 MRR in January. Company B bills 600 a month for July to September. Money stays apart
	# (each company its own currency); the logo is one customer: acquired Jan 1, churned Feb 1 (first
	# day not covered), reactivated Jul 1 at B, churned Oct 1.
	books = customer_books(
		{
			"A": CompanyBooks([InvoiceLine("A-1", D(2025, 1, 1), 1200)]),
			"B": CompanyBooks([InvoiceLine(f"B-{m}", D(2025, m, 1), 600) for m in (7, 8, 9)]),
		},
		billing_period_override=None,
	)
	assert books.companies["A"].intervals == [Interval(D(2025, 1, 1), D(2025, 2, 1), 1200.0)]
	assert books.companies["B"].intervals == [Interval(D(2025, 7, 1), D(2025, 10, 1), 600.0)]
	assert books.events == [
		LogoEvent(D(2025, 1, 1), ACQUIRED),
		LogoEvent(D(2025, 2, 1), CHURNED),
		LogoEvent(D(2025, 7, 1), REACTIVATED),
		LogoEvent(D(2025, 10, 1), CHURNED),
	]


def test_books_count_a_contract_at_its_company_once():
	# A signed contract 2025-01-01..2025-12-31 worth 12,000 and no invoices: 1,000 MRR at the contract
	# company only; its renewal outcome is listed there once.
	contract = Agreement("C-1", CONTRACT, D(2025, 1, 1), D(2025, 12, 31), value=12000)
	books = customer_books({}, [contract], contract_company="A")
	assert list(books.companies) == ["A"]
	assert books.companies["A"].intervals == [Interval(D(2025, 1, 1), D(2026, 1, 1), 1000.0)]
	assert books.companies["A"].renewals == [RenewalOutcome("C-1", D(2025, 12, 31), False, 1000.0)]
	assert books.spans == [Span(D(2025, 1, 1), D(2026, 1, 1))]


def test_monthly_contract_terms_each_take_their_own_invoice():
	# Terms of one month, a contract and an invoice of 100 each: Jan, Feb, Mar 2025. Feb's contract
	# starts within 31 days of Jan's invoice, but Jan's invoice falls in Jan's term and belongs to it:
	# 100 MRR Jan 1 - Mar 31, never 200 in one month and 0 in another.
	contracts = [
		Agreement("C-1", CONTRACT, D(2025, 1, 1), D(2025, 1, 31)),
		Agreement("C-2", CONTRACT, D(2025, 2, 1), D(2025, 2, 28)),
		Agreement("C-3", CONTRACT, D(2025, 3, 1), D(2025, 3, 31)),
	]
	lines = [InvoiceLine(f"I-{m}", D(2025, m, 1), 100) for m in (1, 2, 3)]
	ledger = customer_ledger(lines, contracts)
	assert ledger.intervals == [Interval(D(2025, 1, 1), D(2025, 4, 1), 100.0)]
	assert [r.renewed for r in ledger.renewals] == [True, True, False]


def test_monthly_terms_after_a_31_day_month_keep_their_own_invoices():
	# Signed monthly terms Aug 17 - Sep 16 and Sep 17 - Oct 16 2025, each invoiced 2,500 on its first day.
	# August has 31 days, so Sep 17's term starts exactly ADVANCE_DAYS (31) after Aug 17's invoice and was
	# a candidate for it; the Sep 17 invoice, similar and one month on, then made Aug 17 look like periodic
	# billing and the cadence gave 833.33 and 3,333.33. Each term is one month, as long as the cadence: an
	# invoice a month later is the next term's own, not billing inside this one. Expected: 2,500 MRR from
	# Aug 17 to Oct 17 (first day not covered), one interval, one New movement, one churn on Oct 17.
	contracts = [
		Agreement("C-AUG", CONTRACT, D(2025, 8, 17), D(2025, 9, 16)),
		Agreement("C-SEP", CONTRACT, D(2025, 9, 17), D(2025, 10, 16)),
	]
	lines = [InvoiceLine("I-AUG", D(2025, 8, 17), 2500), InvoiceLine("I-SEP", D(2025, 9, 17), 2500)]
	# A customer whose default billing period is three months (as on the site where it was found): a lone
	# "periodic" invoice was spread over three months (2,500 / 3 = 833.33, plus 2,500 in September).
	pieces = invoice_pieces(lines, contracts, default_months=3)
	assert mrr_intervals(pieces) == [Interval(D(2025, 8, 17), D(2025, 10, 17), 2500.0)]
	ledger = customer_ledger(lines, contracts)
	assert ledger.intervals == [Interval(D(2025, 8, 17), D(2025, 10, 17), 2500.0)]
	assert kinds(ledger.movements) == [(D(2025, 8, 17), NEW, 2500.0), (D(2025, 10, 17), CHURN, 2500.0)]


def test_monthly_terms_over_a_year_of_31_and_30_day_months():
	# Twelve monthly terms from 2025-01-17, each invoiced 1,000 on its first day (terms end the day before
	# the next one starts, so they run 28 to 31 days). Whatever the month lengths, MRR is 1,000 throughout:
	# 2025-01-17 .. 2026-01-17, one interval.
	starts = [add_months(D(2025, 1, 17), i) for i in range(12)]
	contracts = [
		Agreement(f"C-{i}", CONTRACT, start, add_months(start, 1) - timedelta(days=1))
		for i, start in enumerate(starts)
	]
	lines = [InvoiceLine(f"I-{i}", start, 1000) for i, start in enumerate(starts)]
	assert mrr_intervals(invoice_pieces(lines, contracts, default_months=3)) == [
		Interval(D(2025, 1, 17), D(2026, 1, 17), 1000.0)
	]
	assert customer_ledger(lines, contracts).intervals == [Interval(D(2025, 1, 17), D(2026, 1, 17), 1000.0)]


def test_monthly_term_renewal_invoiced_a_few_days_ahead():
	# Monthly terms Aug 17 - Sep 16 and Sep 17 - Oct 16 2025; the first invoiced on Aug 17, the renewal
	# 2,500 invoiced on Sep 12, five days before its term starts. Sep 12 is nearest Sep 17's start: it pays
	# Sep 17 - Oct 16, and Aug 17's invoice pays its own term. 2,500 from Aug 17 to Oct 17, never
	# 2,500 / (26 days / 30.4375) for Aug 17 - Sep 12.
	contracts = [
		Agreement("C-AUG", CONTRACT, D(2025, 8, 17), D(2025, 9, 16)),
		Agreement("C-SEP", CONTRACT, D(2025, 9, 17), D(2025, 10, 16)),
	]
	lines = [InvoiceLine("I-AUG", D(2025, 8, 17), 2500), InvoiceLine("I-SEP", D(2025, 9, 12), 2500)]
	assert customer_ledger(lines, contracts).intervals == [Interval(D(2025, 8, 17), D(2025, 10, 17), 2500.0)]


def test_monthly_billing_inside_an_annual_term_with_its_renewal_near():
	# Annual term 2025 billed 1,000 monthly, renewed for 2026 (signed, no invoice yet). Dec 1's invoice is
	# 31 days before the renewal starts, so the renewal is a candidate, but the annual term (12 months,
	# longer than the one-month cadence) holds Nov 1's similar invoice: Dec 1 is periodic billing and pays
	# December only, not 2026 (which would be 1,000 / 12 = 83.33 MRR for a year).
	contracts = [
		Agreement("C-2025", CONTRACT, D(2025, 1, 1), D(2025, 12, 31)),
		Agreement("C-2026", CONTRACT, D(2026, 1, 1), D(2026, 12, 31)),
	]
	ledger = customer_ledger(monthly("M", 2025, 1, 12, 1000), contracts)
	assert ledger.intervals == [Interval(D(2025, 1, 1), D(2026, 1, 1), 1000.0)]
