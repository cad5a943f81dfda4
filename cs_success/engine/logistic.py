"""L2-regularised logistic regression and the AUC's confidence interval, without Frappe: what Suggest
Weights (validation.py) and Churn Risk (churn_risk.py) fit and judge with.

The objective is scikit-learn's LogisticRegression(C=1/l2) (its tests use it as the oracle), minimised by
Newton-Raphson with a backtracking line search: deterministic, and a few iterations on a few features."""

from __future__ import annotations

import math

import numpy as np

# Two-sided 95 %.
Z_95 = 1.959963984540054


def log1p_exp(eta: np.ndarray) -> np.ndarray:
	return np.logaddexp(0.0, eta)


def sigmoid(eta: np.ndarray) -> np.ndarray:
	return np.exp(-np.logaddexp(0.0, -eta))


def logistic_newton(
	design: np.ndarray, y: np.ndarray, l2: float, max_iter: int = 100, tol: float = 1e-10
) -> np.ndarray:
	"""Minimise sum(log(1 + e^eta) - y eta) + l2/2 |beta[1:]|^2, eta = design @ beta, by Newton-Raphson.

	Column 0 of `design` is the intercept (not penalised). This is scikit-learn's objective for
	LogisticRegression(C=1/l2) up to the factor C. Deterministic; a backtracking line search keeps
	every step downhill."""
	n_params = design.shape[1]
	penalty = np.full(n_params, float(l2))
	penalty[0] = 0.0
	beta = np.zeros(n_params)
	mean_y = float(y.mean())
	beta[0] = math.log(mean_y / (1.0 - mean_y))

	def objective(candidate: np.ndarray) -> float:
		eta = design @ candidate
		return float(log1p_exp(eta).sum() - y @ eta + 0.5 * (penalty * candidate * candidate).sum())

	current = objective(beta)
	for _ in range(max_iter):
		p = sigmoid(design @ beta)
		gradient = design.T @ (p - y) + penalty * beta
		hessian = design.T @ (design * (p * (1.0 - p))[:, None])
		hessian[np.diag_indices(n_params)] += penalty
		try:
			step = np.linalg.solve(hessian, gradient)
		except np.linalg.LinAlgError:
			step = np.linalg.lstsq(hessian, gradient, rcond=None)[0]
		slope = float(gradient @ step)
		t = 1.0
		for _ in range(40):
			candidate = beta - t * step
			value = objective(candidate)
			if value <= current - 1e-4 * t * slope + 1e-12 * abs(current):
				break
			t /= 2.0
		else:
			break  # no further decrease within rounding: converged
		beta, current = candidate, value
		if float(np.abs(t * step).max()) < tol:
			break
	return beta


def auc_interval(value: float | None, positives: int, negatives: int) -> tuple[float, float] | None:
	"""The 95 % confidence interval of an AUC by Hanley and McNeil (1982), from the AUC and the two class
	sizes; None when the AUC is. It treats observations as independent: several dates of one customer
	are not, so the interval is if anything too narrow, and "beats chance" is only claimed above it."""
	if value is None or positives < 1 or negatives < 1:
		return None
	a = float(value)
	q1, q2 = a / (2.0 - a), 2.0 * a * a / (1.0 + a)
	variance = (a * (1 - a) + (positives - 1) * (q1 - a * a) + (negatives - 1) * (q2 - a * a)) / (
		positives * negatives
	)
	half = Z_95 * math.sqrt(max(variance, 0.0))
	return max(0.0, a - half), min(1.0, a + half)


def beats_chance(value: float | None, positives: int, negatives: int) -> bool:
	"""The AUC's 95 % interval lies wholly above one half."""
	interval = auc_interval(value, positives, negatives)
	return interval is not None and interval[0] > 0.5
