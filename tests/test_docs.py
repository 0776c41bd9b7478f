"""docs/writing-plugins.md is true: every python and bash block runs, in order, in an empty folder, and its
hook reference matches genart_kit/hookspecs.py.

Conventions of the page (stated at its top): ``python`` blocks share one interpreter; a block whose first
line is ``# file: PATH`` is written to PATH instead of being run; a block whose first line is
``# not run: REASON`` is skipped (and must give a reason); ``bash`` blocks run with ``bash -euo pipefail``.
The page's walk-through pip-installs the package it scaffolds (``genart-waves``) into this environment; it
is uninstalled at the end, whatever happens.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "writing-plugins.md"
BLOCK = re.compile(r"^```(\w+)\n(.*?)^```$", re.S | re.M)
RUNNABLE = {"python", "bash"}
DIST = "genart-waves"


def blocks() -> list[tuple[str, str]]:
    """``(language, code)`` for every fenced block of the page, in order."""
    return BLOCK.findall(PAGE.read_text(encoding="utf-8"))


def test_blocks_are_runnable_languages_or_data():
    langs = {lang for lang, _ in blocks()}
    assert langs <= {"python", "bash", "toml", "text"}, langs
    for lang, code in blocks():
        first = code.splitlines()[0]
        if first.startswith("# not run"):
            assert re.match(r"# not run: \w.{10,}", first), f"a not-run block must say why: {first!r}"
        if lang == "toml":
            tomllib.loads(code)


def test_only_the_upload_is_not_run():
    skipped = [code.splitlines()[0] for lang, code in blocks() if lang in RUNNABLE and code.startswith("# not run")]
    assert skipped == ["# not run: uploading needs a PyPI account and the network"]


def _driver() -> str:
    """A Python program that runs the page's blocks in order (in its own process: the registries, modules
    and files it creates stay out of the test process)."""
    steps = [(lang, code) for lang, code in blocks() if lang in RUNNABLE and not code.startswith("# not run")]
    return textwrap.dedent(f"""
        import os, subprocess, sys
        from pathlib import Path
        steps = {steps!r}
        ns = {{"__name__": "__docs__"}}
        sys.path.insert(0, os.getcwd())
        for i, (lang, code) in enumerate(steps):
            first = code.splitlines()[0]
            print(f"--- block {{i}} ({{lang}}): {{first}}", flush=True)
            if first.startswith("# file: "):
                path = Path(first[len("# file: "):].strip())
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(code, encoding="utf-8")
            elif lang == "python":
                exec(compile(code, f"<writing-plugins.md block {{i}}>", "exec"), ns)
            else:
                proc = subprocess.run(["bash", "-euo", "pipefail", "-c", code], text=True)
                if proc.returncode:
                    sys.exit(f"bash block {{i}} exited {{proc.returncode}}")
        print("--- all blocks ran", flush=True)
    """)


@pytest.mark.slow
def test_every_block_runs_in_order(tmp_path):
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
           "PIP_DISABLE_PIP_VERSION_CHECK": "1", "PIP_NO_INDEX": "1"}
    for name in ("GENART_LOAD_PLUGINS", "GENART_PLUGINS_DIR", "GENART_TRACE_PLUGINS", "GENART_STRICT_PLUGINS", "PYTHONPATH"):
        env.pop(name, None)
    try:
        proc = subprocess.run([sys.executable, "-c", _driver()], capture_output=True, text=True, cwd=tmp_path, env=env)
    finally:
        subprocess.run([sys.executable, "-m", "pip", "uninstall", "-y", DIST], capture_output=True, text=True, env=env)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0 and "--- all blocks ran" in proc.stdout, out[-6000:]
    # what the page says happens, happened
    assert "--strict failed, as it should" in proc.stdout
    assert re.search(r"\d+ passed", proc.stdout)
    assert (tmp_path / "stripes.gif").is_file() and (tmp_path / "dist" / "genart_waves-0.1.0-py3-none-any.whl").is_file()
    assert "[genart trace] call register_models" in proc.stdout
    gone = subprocess.run([sys.executable, "-c", "import genart_waves"], capture_output=True, text=True, cwd=ROOT)
    assert gone.returncode != 0, "genart-waves was not uninstalled"


# -------------------------------------------------------------------------------------- hook reference
def _spec_names() -> set[str]:
    from genart_kit import hookspecs

    return {name for name, obj in vars(hookspecs).items()
            if callable(obj) and hasattr(obj, f"{hookspecs.PROJECT}_spec")}


def test_hook_reference_matches_the_hookspecs():
    text = PAGE.read_text(encoding="utf-8")
    reference = text.split("\n## Hook reference\n", 1)[1]
    documented = set(re.findall(r"^### `(\w+)`$", reference, re.M))
    specs = _spec_names()
    assert specs, "no hookspecs found"
    assert documented == specs, f"undocumented: {sorted(specs - documented)}; not hooks: {sorted(documented - specs)}"


def test_the_kit_is_documented():
    """Every contract class and fixture the kit provides is named on the page."""
    import genart_kit.testing as testing

    text = PAGE.read_text(encoding="utf-8")
    contracts = [n for n in testing.__all__ if n.endswith("Contract") and n != "Contract"]
    fixtures = re.findall(r"^def (\w+)\(", (ROOT / "genart_kit" / "pytest_plugin.py").read_text(), re.M)
    assert len(contracts) == 5 and len(fixtures) == 4
    missing = [n for n in [*contracts, *fixtures] if f"`{n}`" not in text]
    assert not missing, missing
