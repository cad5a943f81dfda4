"""The plays the app ships: what used to be the band alerts' ToDo and the unhappy answers' follow-up."""

STANDARD_PLAYS = (
	{
		"play_name": "Entered At Risk",
		"trigger": "Health Band Entered",
		"band": "At Risk",
		"description": "A customer's health fell into At Risk: its owner reviews the account.",
		"owner_rule": "Account Manager",
		"re_enrolment": "Every Time",
		"actions": [{"action_type": "Task", "subject": "Review the account", "priority": "Medium"}],
	},
	{
		"play_name": "Entered Critical",
		"trigger": "Health Band Entered",
		"band": "Critical",
		"description": "A customer's health fell into Critical: its owner acts now.",
		"owner_rule": "Account Manager",
		"re_enrolment": "Every Time",
		"actions": [{"action_type": "Task", "subject": "Act on the account now", "priority": "High"}],
	},
	{
		"play_name": "Unhappy Survey Answer",
		"trigger": "Unhappy Survey Answer",
		"description": "An NPS detractor, a CSAT of 1-2 or a CES of 1-3 (or at most the campaign's threshold): "
		"its owner follows up.",
		"owner_rule": "Account Manager",
		"re_enrolment": "Every Time",
		"actions": [{"action_type": "Task", "subject": "Follow up on the answer", "priority": "High"}],
	},
)
