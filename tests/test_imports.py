"""The package's modules import each other without cycles (counting imports inside functions:
a cycle there is a layering knot all the same)."""
import ast
from pathlib import Path

import pubpipe

PACKAGE = Path(pubpipe.__file__).parent


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, name: str, known: set) -> set:
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                target = f"{base}.{alias.name}"
                found.add(target if target in known else base)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in known and m != name}


def _graph() -> dict:
    files = {_module(p): p for p in PACKAGE.rglob("*.py")}
    return {name: _imports(path, name, set(files)) for name, path in files.items()}


def _cycles(graph: dict) -> list:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_no_import_cycles():
    assert _cycles(_graph()) == []


def test_the_checker_sees_a_cycle_inside_a_function():
    graph = {"a": {"b"}, "b": {"a"}, "c": set()}
    assert _cycles(graph) == [["a", "b"]]



RECOVERY = ("pubpipe.recover",)
"""The recovery stage: cleaning, the line model, structure, the anthology (`pubpipe.recover`).
`pubpipe.inline` and `pubpipe.typography` are not in it, for the readers and renderers use them:
the marks of emphasis and the typeset text are the model's vocabulary."""
LATER = ("pubpipe.pipeline", "pubpipe.cli")
FLOW_SUPPORT = ("pubpipe.orchestrate.runner", "pubpipe.orchestrate.progress", "pubpipe.orchestrate.processes")
"""What of `pubpipe.orchestrate` the renderers and publishing may use: the runner their steps go
through, progress events, and the child processes (the layout processes, EPUBCheck's JVM)."""
ORCHESTRATION = tuple(sorted({_module(p) for p in (PACKAGE / "orchestrate").glob("*.py")}
                             - {"pubpipe.orchestrate", *FLOW_SUPPORT}))
"""The rest of `pubpipe.orchestrate` (the servers, serve, Ctrl-C, the terminal…): a later stage."""
NOT_FOR_STAGES = tuple(m for m in (*FLOW_SUPPORT, *ORCHESTRATION) if m != "pubpipe.orchestrate.processes")
"""All of `pubpipe.orchestrate` but its child processes, which reading and recovery use for the
helper that does half of a big build's per-source work (`processes.on_both_cores`; processes.py
imports no Prefect and nothing of a stage)."""
LAYERS = {
    # a stage: what it must not import (a later stage, or the stage beside it)
    "pubpipe.read": ("pubpipe.render", "pubpipe.publish", *NOT_FOR_STAGES, *RECOVERY, *LATER),
    **{m: ("pubpipe.render", "pubpipe.publish", *NOT_FOR_STAGES, *LATER) for m in RECOVERY},
    "pubpipe.render": ("pubpipe.read", "pubpipe.publish", *ORCHESTRATION, *RECOVERY, *LATER),
    "pubpipe.publish": (*ORCHESTRATION, *LATER),
}


def _within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def _misplaced(graph: dict) -> list:
    return sorted(f"{m} imports {t}" for m, targets in graph.items() for t in targets
                  for stage, banned in LAYERS.items() if _within(m, stage) and any(_within(t, b) for b in banned))


def test_stages_import_no_later_stage():
    assert _misplaced(_graph()) == []


def test_the_layer_check_sees_a_reader_that_renders():
    graph = {"pubpipe.read.ingest": {"pubpipe.render.pdf.reading", "pubpipe.model"},
             "pubpipe.reader": {"pubpipe.render"}, "pubpipe.render.web.site": {"pubpipe.model"}}
    assert _misplaced(graph) == ["pubpipe.read.ingest imports pubpipe.render.pdf.reading"]


def test_the_layer_check_lets_a_renderer_use_only_flow_support():
    assert "pubpipe.orchestrate.interrupts" in ORCHESTRATION and "pubpipe.orchestrate.runner" not in ORCHESTRATION
    graph = {"pubpipe.render.pdf.parts": {"pubpipe.orchestrate.interrupts", "pubpipe.orchestrate.runner"}}
    assert _misplaced(graph) == ["pubpipe.render.pdf.parts imports pubpipe.orchestrate.interrupts"]


def test_the_layer_check_lets_reading_and_recovery_use_only_the_child_processes():
    graph = {"pubpipe.recover.steps": {"pubpipe.orchestrate.processes", "pubpipe.orchestrate.runner"},
             "pubpipe.read.intake": {"pubpipe.orchestrate.processes", "pubpipe.orchestrate.tempserver"}}
    assert _misplaced(graph) == ["pubpipe.read.intake imports pubpipe.orchestrate.tempserver",
                                 "pubpipe.recover.steps imports pubpipe.orchestrate.runner"]


def test_the_build_process_does_not_import_weasyprint():
    """The build process imports the flow and its steps but lays nothing out: WeasyPrint (~0.5 s of
    CPU at the start of every build) is imported by the layout processes alone
    (`pubpipe.render.pdf.engine`); the names tests and benchmarks read from reading still work."""
    import subprocess
    import sys
    code = ("import sys; import pubpipe.cli, pubpipe_flows.publish, pubpipe.pipeline; "
            "from pubpipe.render.pdf import reading, keptsheet; keptsheet.key('en', 1, 50); "
            "assert not [m for m in sys.modules if m.split('.')[0] == 'weasyprint'], 'imported'; "
            "assert reading.SafeFetcher and reading.HTML and reading.CSS and reading.FontConfiguration; "
            "assert 'weasyprint' in sys.modules")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
