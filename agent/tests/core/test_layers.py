"""The agent's layers, arrows pointing down only (STYLE.md, "The agent").

Every module of `dfaas_agent` belongs to one layer; a module imports only from its own
layer or the layers below it, at module level or inside a function. A new module must be
placed in `LAYERS`, so that the rule covers it too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import dfaas_agent

PACKAGE = Path(dfaas_agent.__file__).parent

LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # Pure: no I/O, no clock, no libp2p (the simulator imports them unchanged).
    (
        "core",
        (
            "dfaas_agent.__init__",
            "dfaas_agent.messages",
            "dfaas_agent.model",
            "dfaas_agent.node_defaults",
            "dfaas_agent.peers",
            "dfaas_agent.policy",
            "dfaas_agent.strategies",
        ),
    ),
    # Configuration and the adapters at the agent's edges.
    (
        "adapters",
        (
            "dfaas_agent.api",
            "dfaas_agent.config",
            "dfaas_agent.durations",
            "dfaas_agent.function_runtime",
            "dfaas_agent.haproxy",
            "dfaas_agent.identity",
            "dfaas_agent.metrics",
            "dfaas_agent.overlay",
            "dfaas_agent.policy.client",
            "dfaas_agent.usage",
        ),
    ),
    # The control loop's parts, which `Agent` runs.
    ("loop", ("dfaas_agent.loop",)),
    ("agent", ("dfaas_agent.agent",)),
    # Real adapters wired into an agent, signals, reload; the command line.
    ("service", ("dfaas_agent.service", "dfaas_agent.cli")),
)
"""Layers from the bottom up; a module belongs to the longest prefix that names it (a
package's modules belong with it; the root package's own is `dfaas_agent.__init__`)."""

TEST_HELPERS = "dfaas_testing"
"""Launches real processes for tests and benchmarks; a distribution of its own, never
imported by the agent."""

PURE = "core"
IMPURE_LIBRARIES = ("trio", "anyio", "httpx", "libp2p", "multiaddr", "hypercorn", "starlette")


def _module_name(path: Path) -> str:
    """`dfaas_agent.loop` for `loop/__init__.py`; the package's own is `dfaas_agent.__init__`."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" and len(parts) > 2 else parts)


def _modules() -> list[tuple[str, Path]]:
    return [(_module_name(path), path) for path in sorted(PACKAGE.rglob("*.py"))]


def _within(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _layer(module: str) -> int | None:
    """The layer's index; None for a module outside every layer."""
    best: tuple[int, int] | None = None  # (prefix length, layer)
    for index, (_, prefixes) in enumerate(LAYERS):
        for prefix in prefixes:
            if _within(module, prefix) and (best is None or len(prefix) > best[0]):
                best = (len(prefix), index)
    return None if best is None else best[1]


def _imports(module: str, path: Path) -> Iterator[str]:
    """Every module that `path` imports, absolute, `from x import y` also as `x.y`."""
    package = module.rpartition(".")[0]
    if path.name == "__init__.py" and module != "dfaas_agent.__init__":
        package = module
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def test_every_module_is_in_a_layer() -> None:
    unplaced = [name for name, _ in _modules() if _layer(name) is None]

    assert unplaced == [], "add these modules to LAYERS"


@pytest.mark.parametrize(("module", "path"), _modules(), ids=[m for m, _ in _modules()])
def test_a_module_imports_nothing_from_a_layer_above_it(module: str, path: Path) -> None:
    own = _layer(module)
    assert own is not None
    upward = sorted(
        {
            imported
            for imported in _imports(module, path)
            if _within(imported, "dfaas_agent")
            and (layer := _layer(imported)) is not None
            and layer > own
        }
    )

    assert upward == [], f"{module} ({LAYERS[own][0]}) imports from above its layer"


def test_the_agent_never_imports_its_test_helpers() -> None:
    helpers = sorted(
        f"{module}: {imported}"
        for module, path in _modules()
        for imported in _imports(module, path)
        if _within(imported, TEST_HELPERS)
    )

    assert helpers == []


def test_the_pure_core_imports_no_io_library() -> None:
    pure = [name for name, _ in LAYERS].index(PURE)
    impure = sorted(
        f"{module}: {imported}"
        for module, path in _modules()
        if _layer(module) == pure
        for imported in _imports(module, path)
        if imported.split(".")[0] in IMPURE_LIBRARIES
    )

    assert impure == []


def test_the_rule_sees_an_upward_import(tmp_path: Path) -> None:
    """The walk finds imports inside functions and relative ones."""
    source = tmp_path / "conversions.py"
    source.write_text("def f():\n    from ..agent import Agent\n    import dfaas_agent.service\n")

    imported = set(_imports("dfaas_agent.loop.conversions", source))

    assert {"dfaas_agent.agent", "dfaas_agent.agent.Agent", "dfaas_agent.service"} <= imported
    assert [_layer("dfaas_agent.loop.conversions"), _layer("dfaas_agent.agent")] == [2, 3]
