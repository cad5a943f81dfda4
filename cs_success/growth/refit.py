"""The expansion refit: the propensity model fitted again on the site's history, then everyone's signals and
propensity written again. Monthly (hooks.py), after the first run (jobs.py), and when a CS Manager asks
(api/growth.py)."""

from __future__ import annotations

from cs_success.base.isolation import run_as_administrator
from cs_success.growth.propensity import fit
from cs_success.growth.signals import evaluate_all


@run_as_administrator
def refit_propensity() -> str | None:
	"""Returns the new model's name (None: no history to fit on yet)."""
	name = fit()
	evaluate_all()
	return name
