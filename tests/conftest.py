"""Hypothesis on a shared, busy machine: no per-example deadline and no health check on slowness or
on filtered examples, which fail runs at random under load without saying anything about the code."""

from hypothesis import HealthCheck, settings

settings.register_profile(
	"cs_success", deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much]
)
settings.load_profile("cs_success")
