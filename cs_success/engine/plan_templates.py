"""Standard success plan templates shipped with the app (installed as Success Plan Template records)."""

from __future__ import annotations

from dataclasses import dataclass

OUR_TEAM = "Our Team"
CUSTOMER = "Customer"


@dataclass(frozen=True)
class PlanTemplateDefinition:
	name: str
	description: str
	duration_days: int
	objectives: tuple[tuple[str, str, int], ...]  # objective, metric, due after days
	milestones: tuple[tuple[str, int], ...]  # milestone, due after days
	tasks: tuple[tuple[str, str, str, int], ...]  # task, milestone, side, due after days


STANDARD_PLAN_TEMPLATES: tuple[PlanTemplateDefinition, ...] = (
	PlanTemplateDefinition(
		"Onboarding 30/60/90",
		"First three months: live in 30 days, adopted in 60, delivering value in 90.",
		90,
		(
			("Go live", "Go-live date reached", 30),
			("Active users", "Share of licensed users active weekly (%)", 60),
			("First business outcome", "Agreed outcome metric", 90),
		),
		(
			("Kick-off held", 7),
			("Live (day 30)", 30),
			("Adopted (day 60)", 60),
			("Value review (day 90)", 90),
		),
		(
			("Share goals and success criteria", "Kick-off held", CUSTOMER, 5),
			("Run the kick-off meeting", "Kick-off held", OUR_TEAM, 7),
			("Configure the system and import data", "Live (day 30)", OUR_TEAM, 21),
			("Nominate internal champions", "Live (day 30)", CUSTOMER, 14),
			("Train key users", "Adopted (day 60)", OUR_TEAM, 45),
			("Roll out to all teams", "Adopted (day 60)", CUSTOMER, 60),
			("Prepare the 90-day value review", "Value review (day 90)", OUR_TEAM, 85),
		),
	),
	PlanTemplateDefinition(
		"Quarterly Business Review",
		"Review the quarter's results and agree next quarter's goals.",
		30,
		(("Quarter goals met", "Share of last quarter's goals met (%)", 30),),
		(("Data prepared", 14), ("Review held", 21), ("Next quarter agreed", 30)),
		(
			("Collect usage, support and billing figures", "Data prepared", OUR_TEAM, 10),
			("Send business priorities for next quarter", "Data prepared", CUSTOMER, 14),
			("Hold the review meeting", "Review held", OUR_TEAM, 21),
			("Confirm next quarter's goals", "Next quarter agreed", CUSTOMER, 30),
		),
	),
	PlanTemplateDefinition(
		"Renewal Readiness",
		"Make the renewal a formality: value proven, risks cleared, terms agreed.",
		90,
		(("Renewal signed", "Renewal signed before the end date", 90),),
		(("Value documented", 30), ("Risks resolved", 60), ("Terms agreed", 80)),
		(
			("Summarise outcomes achieved this term", "Value documented", OUR_TEAM, 25),
			("Confirm the decision makers and budget", "Value documented", CUSTOMER, 30),
			("Close open tickets and overdue invoices", "Risks resolved", OUR_TEAM, 55),
			("Send the renewal proposal", "Terms agreed", OUR_TEAM, 65),
			("Approve the renewal", "Terms agreed", CUSTOMER, 80),
		),
	),
)
