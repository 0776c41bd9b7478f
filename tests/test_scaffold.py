"""``genart new-plugin``: every kind of package it writes passes its own tests (the conformance kit) at once;
the model kind is really pip-installed (editable) into this environment, tested, listed and uninstalled."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from genart_kit import scaffold
from genart_kit.errors import InvalidInputError
from genart_kit.testing import run_genart

KINDS = ["model", "renderer", "op", "exporter", "conditioner"]


def _pytest(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          capture_output=True, text=True, cwd=cwd, env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def packages(tmp_path_factory) -> dict[str, Path]:
    """One scaffolded package per kind, named genart-kitcheck-<kind>."""
    root = tmp_path_factory.mktemp("scaffold")
    return {kind: scaffold.create(f"genart-kitcheck-{kind}", kind, root)[0] for kind in KINDS}


def test_every_kind_writes_a_complete_package(packages):
    for kind, pkg in packages.items():
        module = f"genart_kitcheck_{kind}"
        files = sorted(str(p.relative_to(pkg)) for p in pkg.rglob("*") if p.is_file())
        assert files == sorted(["README.md", "pyproject.toml", f"src/{module}/__init__.py", f"src/{module}/plugin.py",
                                f"src/{module}/{kind}.py", f"tests/test_{module}.py"])
        project = tomllib.loads((pkg / "pyproject.toml").read_text())
        assert project["project"]["entry-points"]["genart_kit"] == {f"kitcheck-{kind}": f"{module}.plugin"}
        assert project["project"]["name"] == f"genart-kitcheck-{kind}"
        assert "genart-kit" in project["project"]["dependencies"][0]
        readme = (pkg / "README.md").read_text()
        assert "$" not in readme and f"kitcheck-{kind}" in readme


def test_the_plugin_modules_import_no_torch(packages):
    paths = os.pathsep.join(str(p / "src") for p in packages.values())
    code = ("import sys\n" + "".join(f"import genart_kitcheck_{k}.plugin\n" for k in KINDS)
            + "assert 'torch' not in sys.modules, 'a plugin module imported torch'\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, "PYTHONPATH": paths})
    assert proc.returncode == 0, proc.stderr


def test_every_kind_passes_its_own_tests(packages):
    """The non-model kinds on PYTHONPATH (the model kind is pip-installed below), in one pytest run."""
    others = [k for k in KINDS if k != "model"]
    paths = os.pathsep.join(str(packages[k] / "src") for k in others)
    proc = _pytest("-v", *(str(packages[k] / "tests") for k in others), cwd=packages["op"].parent,
                   env={"PYTHONPATH": paths})
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert " failed" not in proc.stdout and " error" not in proc.stdout
    for k, contract in zip(others, ["TestRenderer", "TestOp", "TestExporter", "TestConditioner"]):
        ran = [line for line in proc.stdout.splitlines() if f"test_genart_kitcheck_{k}.py::{contract}::" in line]
        assert len(ran) >= 6 and all("PASSED" in line for line in ran), (k, ran)


@pytest.mark.slow
def test_model_kind_pip_installed_tested_listed_uninstalled(tmp_path):
    pkg, names = scaffold.create("genart-kitcheck-installed", "model", tmp_path)
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    install = subprocess.run([*pip, "install", "--no-deps", "--no-build-isolation", "--no-index", "-e", str(pkg)],
                             capture_output=True, text=True, cwd=tmp_path)
    assert install.returncode == 0, install.stdout[-2000:] + install.stderr[-2000:]
    try:
        tested = _pytest("-q", str(pkg), cwd=tmp_path)  # exactly what the user types: pytest NAME
        assert tested.returncode == 0 and " passed" in tested.stdout, tested.stdout[-4000:] + tested.stderr[-2000:]
        listed = run_genart(["plugins", "--json"], cwd=tmp_path)
        mine = [p for p in json.loads(listed.stdout) if p["name"] == names.part]
        assert mine and mine[0]["status"] == "ok" and mine[0]["hooks"] == ["register_models"], listed.stdout
        assert mine[0]["version"] == "0.1.0"
        strict = run_genart(["--strict", "list", "models"], cwd=tmp_path, env={"GENART_LOAD_PLUGINS": names.part})
        assert strict.returncode == 0 and names.part in strict.stdout, strict.stdout + strict.stderr
        sampled = run_genart(["sample", names.part, "-n", "2", "-o", str(tmp_path / "s.npy")],
                             cwd=tmp_path, env={"GENART_LOAD_PLUGINS": names.part})
        assert sampled.returncode == 0, sampled.stderr
        import numpy as np

        assert np.load(tmp_path / "s.npy").shape == (2, 64, 64, 3)  # the size option's default
    finally:
        gone = subprocess.run([*pip, "uninstall", "-y", names.dist], capture_output=True, text=True, cwd=tmp_path)
    assert gone.returncode == 0, gone.stderr
    after = run_genart(["plugins", "--json"], cwd=tmp_path)
    assert names.part not in [p["name"] for p in json.loads(after.stdout)]


# ------------------------------------------------------------------------------------------------ errors
@pytest.mark.parametrize("name, kind, why", [
    ("1sparkle", "model", "invalid plugin name"),
    ("genart--sparkle", "model", "invalid plugin name"),
    ("genart sparkle", "model", "invalid plugin name"),
    ("genart-kit", "model", "genart-kit's own name"),
    ("genart-class", "op", "keyword"),
    ("json", "model", "importable already"),
    ("genart-invert", "renderer", "built-in renderer"),
    ("genart-gif", "exporter", "built-in exporter"),
    ("genart-webm2", "model", None),
    ("genart-ops", "op", "reserved"),
])
def test_names_checked(name, kind, why):
    if why is None:
        assert scaffold.names_for(name, kind).part == "webm2"
        return
    with pytest.raises(InvalidInputError, match=why):
        scaffold.names_for(name, kind)


def test_names_derived():
    n = scaffold.names_for("genart-my-look", "renderer")
    assert (n.dist, n.module, n.part, n.func, n.title, n.suffix) == (
        "genart-my-look", "genart_my_look", "my-look", "my_look", "MyLook", ".mylook")


def test_existing_non_empty_target_refused_by_the_cli(tmp_path):
    (tmp_path / "genart-sparkle").mkdir()
    (tmp_path / "genart-sparkle" / "notes.txt").write_text("mine")
    proc = run_genart(["new-plugin", "genart-sparkle", "--dir", str(tmp_path)])
    assert proc.returncode == 1 and "exists and is not empty" in proc.stderr and "Traceback" not in proc.stderr
    assert sorted(os.listdir(tmp_path / "genart-sparkle")) == ["notes.txt"]
    bad = run_genart(["new-plugin", "genart-sparkle", "--kind", "dataset", "--dir", str(tmp_path)])
    assert bad.returncode == 2 and "invalid choice" in bad.stderr
    missing = run_genart(["new-plugin", "genart-sparkle", "--dir", str(tmp_path / "nope")])
    assert missing.returncode == 1 and "not an existing folder" in missing.stderr


def test_empty_target_folder_is_used_and_the_cli_says_what_next(tmp_path):
    (tmp_path / "genart-sparkle").mkdir()
    proc = run_genart(["new-plugin", "genart-sparkle", "--kind", "op"], cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "pip install -e genart-sparkle" in proc.stdout and "python -m pytest genart-sparkle" in proc.stdout and "pip install pytest" in proc.stdout
    assert (tmp_path / "genart-sparkle" / "src" / "genart_sparkle" / "op.py").is_file()


def test_a_failed_write_leaves_nothing(tmp_path, monkeypatch):
    calls = []

    def failing(template, names, kind):
        calls.append(template)
        if len(calls) == 3:
            raise OSError("disk full")
        return "x"

    monkeypatch.setattr(scaffold, "_render", failing)
    with pytest.raises(OSError):
        scaffold.create("genart-sparkle", "model", tmp_path)
    assert os.listdir(tmp_path) == []
