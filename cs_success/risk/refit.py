"""The refit: every horizon's model fitted again on the site's history, then every customer scored with the
new models. Monthly (hooks.py), after the first run (jobs.py), and when a CS Manager asks (api/risk.py)."""

from __future__ import annotations

from datetime import date

from cs_success.base.isolation import run_as_administrator
from cs_success.risk.model import HORIZONS, fit
from cs_success.risk.scoring import score_customers


@run_as_administrator
def refit_all(on: date | None = None) -> dict[int, str | None]:
	"""Returns horizon -> the new model's name (None: no history to fit on yet)."""
	fitted = {horizon: fit(horizon, on) for horizon in HORIZONS}
	score_customers(None)
	return fitted
