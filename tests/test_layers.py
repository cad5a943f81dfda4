"""The app's layers, lowest first, and a check that no module imports a higher layer or joins a cycle.

Every import counts, lazy ones inside functions included: a lazy import still makes the lower module
know the higher one. Listeners are told through hook keys read with `frappe.get_hooks`, not imports.
Read without importing anything (the modules need Frappe; this runs anywhere)."""

import ast
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "cs_success"

# Lowest first. A module may import its own layer and those below it; the first matching prefix decides.
LAYERS = (
	("engine", ("cs_success.engine",)),
	("base", ("cs_success.base",)),
	(
		"ledger, touchpoints, success plans",
		("cs_success.ledger", "cs_success.touchpoints", "cs_success.success_plans"),
	),
	("health, surveys", ("cs_success.health", "cs_success.surveys")),
	("playbooks", ("cs_success.playbooks",)),
	("growth, risk", ("cs_success.growth", "cs_success.risk")),
	("pipeline and Customer glue", ("cs_success.jobs", "cs_success.customer")),
	(
		"surface",
		(
			"cs_success.cs_success",
			"cs_success.api",
			"cs_success.www",
			"cs_success.templates",
			"cs_success.analytics",
			"cs_success.ledger_reports",
			"cs_success.customer_dashboard",
			"cs_success.install",
			"cs_success.demo",
			"cs_success.commands",
			"cs_success.benchmarks",
			"cs_success.patches",
			"cs_success.hooks",
			"cs_success.config",
		),
	),
)


def layer_of(module: str) -> int | None:
	for index, (_name, prefixes) in enumerate(LAYERS):
		if any(module == p or module.startswith(p + ".") for p in prefixes):
			return index
	return None


def module_name(path: Path) -> str:
	parts = path.relative_to(APP.parent).with_suffix("").parts
	return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def app_modules() -> dict[str, Path]:
	return {
		module_name(path): path for path in APP.rglob("*.py") if "tests" not in path.relative_to(APP).parts
	}


def imports_of(path: Path, module: str) -> set[str]:
	"""Every cs_success module named by an import anywhere in the file (top level or lazy)."""
	found = set()
	package = module if path.name == "__init__.py" else module.rpartition(".")[0]
	for node in ast.walk(ast.parse(path.read_text(), str(path))):
		if isinstance(node, ast.Import):
			found.update(alias.name for alias in node.names)
		elif isinstance(node, ast.ImportFrom):
			base = node.module or ""
			if node.level:
				anchor = package.split(".")
				anchor = anchor[: len(anchor) - (node.level - 1)]
				base = ".".join([*anchor, base] if base else anchor)
			found.add(base)
			found.update(f"{base}.{alias.name}" for alias in node.names)
	return {name for name in found if name == "cs_success" or name.startswith("cs_success.")}


def resolve(name: str, modules: dict[str, Path]) -> str | None:
	"""The module an imported name lives in (`from x import f` names x.f, which is not a module)."""
	while name:
		if name in modules:
			return name
		name = name.rpartition(".")[0]
	return None


def import_graph() -> dict[str, set[str]]:
	modules = app_modules()
	graph = {}
	for module, path in modules.items():
		targets = {resolve(name, modules) for name in imports_of(path, module)}
		graph[module] = {t for t in targets if t and t != module and not module.startswith(t + ".")}
	return graph


def test_every_module_has_a_layer():
	assert [m for m in app_modules() if m != "cs_success" and layer_of(m) is None] == []


def test_no_module_imports_a_higher_layer():
	climbing = []
	for module, targets in sorted(import_graph().items()):
		own = layer_of(module)
		if own is None:
			continue
		for target in sorted(targets):
			theirs = layer_of(target)
			if theirs is not None and theirs > own:
				climbing.append(f"{module} ({LAYERS[own][0]}) -> {target} ({LAYERS[theirs][0]})")
	assert climbing == []


def test_no_import_cycle():
	graph = import_graph()
	index, low, stack, on_stack, cycles = {}, {}, [], set(), []

	def connect(node):  # Tarjan's strongly connected components
		index[node] = low[node] = len(index)
		stack.append(node)
		on_stack.add(node)
		for target in graph.get(node, ()):
			if target not in index:
				connect(target)
				low[node] = min(low[node], low[target])
			elif target in on_stack:
				low[node] = min(low[node], index[target])
		if low[node] == index[node]:
			component = []
			while True:
				member = stack.pop()
				on_stack.discard(member)
				component.append(member)
				if member == node:
					break
			if len(component) > 1:
				cycles.append(sorted(component))

	for node in sorted(graph):
		if node not in index:
			connect(node)
	assert cycles == []
