from cs_success.engine.health_score import MeasureRule
from cs_success.engine.scorecards import CustomerSegment, Scorecard, select_scorecard

RULES = (MeasureRule("open_tickets", 1, 0, 5),)
DEFAULT = Scorecard("Default", RULES, is_default=True)
ONBOARDING = Scorecard("Onboarding", RULES, priority=1, max_age_days=90)
ENTERPRISE = Scorecard(
	"Enterprise", RULES, priority=2, customer_groups=frozenset({"Commercial", "Enterprise"})
)
BALTICS = Scorecard(
	"Baltics", RULES, priority=3, territories=frozenset({"Latvia", "Lithuania"}), min_age_days=91
)
ALL = [DEFAULT, ENTERPRISE, BALTICS, ONBOARDING]


def test_first_matching_by_priority():
	assert select_scorecard(ALL, CustomerSegment("Enterprise", "Latvia", 30)).name == "Onboarding"
	assert select_scorecard(ALL, CustomerSegment("Enterprise", "Latvia", 200)).name == "Enterprise"
	assert select_scorecard(ALL, CustomerSegment("Retail", "Lithuania", 200)).name == "Baltics"


def test_default_when_nothing_else_matches():
	assert select_scorecard(ALL, CustomerSegment("Retail", "Turkey", 400)).name == "Default"
	assert select_scorecard([ENTERPRISE], CustomerSegment("Retail", "Turkey", 400)) is None


def test_age_bounds_are_inclusive():
	assert ONBOARDING.applies_to(CustomerSegment(None, None, 90))
	assert not ONBOARDING.applies_to(CustomerSegment(None, None, 91))
	assert BALTICS.applies_to(CustomerSegment("Retail", "Latvia", 91))
