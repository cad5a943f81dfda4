"""Registries instead of repeated strings: each measure names a reader that exists, each reader serves a
measure, the roles and band defaults the doctype JSON spells match the one module that names them, and no
new Python code spells a role name.

Runs without Frappe: the Frappe modules are read, not imported (as tests/test_layers.py does). The
registries' live objects are checked on a bench by cs_success/tests/test_registries.py."""

import ast
import json
from pathlib import Path

from cs_success.base import roles
from cs_success.engine import measures
from cs_success.engine.health_score import Bands

APP = Path(__file__).resolve().parent.parent / "cs_success"
DOCTYPES = APP / "cs_success" / "doctype"


def registered_readers() -> list[str]:
	"""The reader names READERS in health/measure_data.py registers (its keys are engine/measures.py
	names), in its order."""
	tree = ast.parse((APP / "health" / "measure_data.py").read_text())
	for node in tree.body:
		if isinstance(node, ast.AnnAssign | ast.Assign):
			targets = [node.target] if isinstance(node, ast.AnnAssign) else node.targets
			if any(isinstance(t, ast.Name) and t.id == "READERS" for t in targets):
				return [getattr(measures, key.id) for key in node.value.keys]
	raise AssertionError("health/measure_data.py has no READERS")


def test_every_measure_names_a_registered_reader():
	readers = set(registered_readers())
	assert [m.key for m in measures.MEASURES if m.reader not in readers] == []


def test_every_reader_serves_a_measure():
	named = {m.reader for m in measures.MEASURES}
	assert [reader for reader in registered_readers() if reader not in named] == []


def test_readers_are_registered_once():
	readers = registered_readers()
	assert len(readers) == len(set(readers))


def test_cs_settings_band_defaults_are_the_engines():
	fields = {
		f["fieldname"]: f
		for f in json.loads((DOCTYPES / "cs_settings" / "cs_settings.json").read_text())["fields"]
	}
	defaults = Bands()
	assert float(fields["healthy_min_score"]["default"]) == defaults.healthy_min
	assert float(fields["at_risk_min_score"]["default"]) == defaults.at_risk_min
	assert float(fields["coverage_floor"]["default"]) == defaults.coverage_floor


def test_permissions_name_only_known_roles_of_the_app():
	"""A CS role in a doctype's permissions that the app does not create would be created by Frappe's sync
	and left behind by the uninstall."""
	named = set()
	for path in (APP / "cs_success").rglob("*.json"):
		doc = json.loads(path.read_text())
		if isinstance(doc, dict):
			named.update(row.get("role") for row in doc.get("permissions", []) + doc.get("roles", []))
	assert {role for role in named if role and role.startswith("CS ")} == set(roles.ROLES)
	assert set(roles.MANAGER_ROLES) <= named


def test_python_takes_role_names_from_the_roles_module():
	"""Every role name the app checks (its own and System Manager) comes from base/roles.py."""
	spelled_roles = {*roles.ROLES, roles.SYSTEM_MANAGER}
	spelled = set()
	for path in APP.rglob("*.py"):
		relative = path.relative_to(APP.parent)
		if path == APP / "base" / "roles.py" or "tests" in relative.parts:
			continue
		tree = ast.parse(path.read_text(), str(path))
		if any(isinstance(n, ast.Constant) and n.value in spelled_roles for n in ast.walk(tree)):
			spelled.add(relative.as_posix())
	assert spelled == set()
