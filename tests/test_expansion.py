"""Expansion signals and uplift (cs_success/engine/expansion.py), figures by hand."""

from cs_success.engine.expansion import (
	GROWING,
	PROMOTER,
	RENEWAL_ROOM,
	SEAT_PRESSURE,
	WHITE_SPACE,
	CustomerFacts,
	Plan,
	Seats,
	Settings,
	assess,
	expanded_within,
	monthly_unit_price,
	next_plan,
	white_space,
)

HEALTHY = "Healthy"
TOP = {"NPS": 9, "CSAT": 5}
# A ladder of two item groups. Per month and seat: Basic 10, Team 25 (300 a year), Pro 40; Storage alone.
PLANS = {
	"Basic": Plan("Basic", "SaaS Basic", "SaaS", 10.0),
	"Team": Plan("Team", "SaaS Team", "SaaS", monthly_unit_price(300, "Year", 1)),
	"Pro": Plan("Pro", "SaaS Pro", "SaaS", 40.0),
	"Storage": Plan("Storage", "Storage 1TB", "Storage", 5.0),
}


def _assess(facts, peer_buyers=None, peers=0, spend=None, settings=None):
	return assess(facts, settings or Settings(), PLANS, peer_buyers or {}, peers, spend or {}, HEALTHY, TOP)


def test_monthly_unit_price_of_intervals():
	assert monthly_unit_price(300, "Year", 1) == 25.0
	assert monthly_unit_price(60, "Month", 6) == 10.0
	# A weekly plan: 52 weeks make 12 months, 10 a week is 10 * 52 / 12 = 43.33 a month.
	assert abs(monthly_unit_price(10, "Week", 1) - 43.333333) < 1e-4


def test_next_plan_is_the_cheapest_dearer_plan_of_the_same_item_group():
	assert next_plan(PLANS, "Basic").name == "Team"  # 25, not Pro's 40
	assert next_plan(PLANS, "Team").name == "Pro"
	assert next_plan(PLANS, "Pro") is None  # the top
	assert next_plan(PLANS, "Storage") is None  # alone in its item group: no ladder to climb
	assert next_plan(PLANS, None) is None


def test_seats_at_ninety_percent_raise_the_signal_and_the_uplift_is_the_next_plan_times_seats():
	# 9 of 10 seats used = 90 %: at the threshold. Team -> Pro: (40 - 25) x 10 seats = 150 a month.
	facts = CustomerFacts(band="At Risk", seats=Seats("Team", 10), seats_used=9)
	result = _assess(facts)
	assert [s.kind for s in result.signals] == [SEAT_PRESSURE]
	assert result.signals[0].values["share"] == 0.9
	assert result.next_plan == "Pro"
	assert result.uplift_mrr == 150.0
	# 8 of 10: below the threshold, no signal, no uplift.
	none = _assess(CustomerFacts(seats=Seats("Team", 10), seats_used=8))
	assert none.signals == () and none.uplift_mrr is None


def test_no_seats_is_not_full():
	assert _assess(CustomerFacts(seats=Seats("Team", 0), seats_used=5)).signals == ()
	assert _assess(CustomerFacts(seats=None, seats_used=5)).signals == ()


def test_growing_needs_healthy_and_growth_over_30_or_90_days():
	# 110 now against 100 thirty days ago: +10 %, the threshold.
	grown = CustomerFacts(band=HEALTHY, usage_now=110, usage_30_days_ago=100, usage_90_days_ago=200)
	assert [s.values["days"] for s in _assess(grown).signals] == [30]
	# Down over 30 days, up 50 % over 90 (110 against 73.33): the 90-day signal.
	slow = CustomerFacts(band=HEALTHY, usage_now=110, usage_30_days_ago=120, usage_90_days_ago=110 / 1.5)
	[signal] = _assess(slow).signals
	assert signal.kind == GROWING and signal.values["days"] == 90 and abs(signal.values["share"] - 0.5) < 1e-9
	# The same growth in a customer At Risk is no expansion signal.
	assert _assess(CustomerFacts(band="At Risk", usage_now=110, usage_30_days_ago=100)).signals == ()
	# Growth from nothing is not measurable.
	assert _assess(CustomerFacts(band=HEALTHY, usage_now=5, usage_30_days_ago=0)).signals == ()


def test_promoter_needs_a_top_score():
	assert [s.kind for s in _assess(CustomerFacts(promoter_score=("NPS", 9))).signals] == [PROMOTER]
	assert _assess(CustomerFacts(promoter_score=("NPS", 8))).signals == ()
	assert [s.kind for s in _assess(CustomerFacts(promoter_score=("CSAT", 5))).signals] == [PROMOTER]
	assert _assess(CustomerFacts(promoter_score=("CES", 7))).signals == ()  # CES has no top box here


def test_white_space_needs_enough_peers_and_a_share_of_them():
	settings = Settings(min_peers=5, peer_share=0.3)
	# 10 peers: Storage bought by 3 (30 %, enough), Training by 2 (20 %), SaaS bought by the customer.
	buyers = {"Storage": 3, "Training": 2, "SaaS": 9}
	assert white_space({"SaaS"}, buyers, 10, settings) == ("Storage",)
	# 4 peers are too few to tell, whatever they buy.
	assert white_space({"SaaS"}, {"Storage": 4}, 4, settings) == ()


def test_white_space_uplift_is_the_peers_median_monthly_spend():
	# No plan to climb (top of its ladder): peers pay 20, 30 and 100 a month for Storage, median 30.
	facts = CustomerFacts(seats=Seats("Pro", 10), seats_used=1, item_groups=frozenset({"SaaS"}))
	result = _assess(facts, {"Storage": 3}, 10, {"Storage": [100.0, 20.0, 30.0]})
	assert [s.kind for s in result.signals] == [WHITE_SPACE]
	assert result.item_groups == ("Storage",) and result.next_plan is None
	assert result.uplift_mrr == 30.0


def test_renewal_room_only_beside_another_signal():
	alone = CustomerFacts(days_to_renewal=20)
	assert _assess(alone).signals == ()
	with_room = CustomerFacts(promoter_score=("NPS", 10), days_to_renewal=20)
	assert [s.kind for s in _assess(with_room).signals] == [PROMOTER, RENEWAL_ROOM]
	far = CustomerFacts(promoter_score=("NPS", 10), days_to_renewal=91)
	assert [s.kind for s in _assess(far).signals] == [PROMOTER]


def test_expanded_within_is_after_the_day_and_within_the_horizon():
	days = {"A": [100, 200]}
	assert expanded_within(days, "A", 10, 90)  # 100 is in (10, 100]
	assert not expanded_within(days, "A", 100, 90)  # the day itself is not after it; 200 > 190
	assert expanded_within(days, "A", 110, 90)  # 200 in (110, 200]
	assert not expanded_within(days, "B", 0, 1000)
