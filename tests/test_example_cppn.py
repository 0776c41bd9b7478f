"""The third-party example plugin examples/genart-cppn, installed as a user would and tested with its own tests.

It is pip-installed (non-editable, no dependencies, no build isolation: offline) into a temporary
``--target`` folder put on ``PYTHONPATH`` of the subprocesses only, so this project's environment is never
changed and nothing is left to uninstall (the folder goes with the test's temporary directory).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from genart_kit.testing import run_genart

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "genart-cppn"


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """Folder holding the installed genart-cppn distribution (``genart_cppn/`` and its ``*.dist-info``)."""
    target = tmp_path_factory.mktemp("cppn-site")
    # built from a copy: setuptools writes build/ and *.egg-info next to the sources
    source = tmp_path_factory.mktemp("cppn-build") / "genart-cppn"
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__", ".pytest_cache"))
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--no-deps", "--no-build-isolation", "--no-index",
         "--disable-pip-version-check", "--no-compile", "--target", str(target), str(source)],
        capture_output=True, text=True, cwd=source.parent, env={**os.environ, "PIP_NO_CACHE_DIR": "1"},
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert (target / "genart_cppn" / "model.py").is_file()
    return target


def _env(site: Path) -> dict[str, str]:
    paths = [str(site), os.environ.get("PYTHONPATH", "")]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in paths if p), "GENART_LOAD_PLUGINS": "cppn,gan,vae"}


def test_its_own_tests_pass_against_the_installed_package(installed):
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(EXAMPLE / "tests")],
        capture_output=True, text=True, cwd=EXAMPLE, env=_env(installed),
    )
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    assert " passed" in proc.stdout and "failed" not in proc.stdout and "skipped" not in proc.stdout
    # the tests ran against the installed copy, not the source tree
    probe = subprocess.run([sys.executable, "-c", "import genart_cppn; print(genart_cppn.__file__)"],
                           capture_output=True, text=True, cwd=EXAMPLE, env=_env(installed))
    assert probe.stdout.strip().startswith(str(installed))


def test_listed_by_genart_plugins_and_list(installed):
    plugins = run_genart(["--strict", "plugins", "--json"], pythonpath=[installed])
    assert plugins.returncode == 0, plugins.stderr
    info = {p["name"]: p for p in json.loads(plugins.stdout)}["cppn"]
    assert info["status"] == "ok" and info["version"] == "0.1.0"
    models = run_genart(["list", "models", "--json"], pythonpath=[installed])
    entry = {m["name"]: m for m in json.loads(models.stdout)}["cppn"]
    assert entry["plugin"] == "cppn" and entry["ready"] is True and entry["trainable"] is False
    assert entry["image_shape"] == [3, None, None]
    renderers = run_genart(["list", "renderers", "--json"], pythonpath=[installed])
    assert "kaleidoscope" in {r["name"] for r in json.loads(renderers.stdout)}
    # without it installed, nothing of it is left behind
    bare = run_genart(["list", "models", "--json"])
    assert "cppn" not in {m["name"] for m in json.loads(bare.stdout)}


def test_genart_sample_writes_a_colourful_grid(installed, tmp_path):
    from PIL import Image
    import numpy as np

    out = tmp_path / "cppn.png"
    proc = run_genart(["sample", "cppn", "-n", "4", "--seed", "2", "-o", str(out)], pythonpath=[installed])
    assert proc.returncode == 0, proc.stderr
    with Image.open(out) as im:
        rgb = np.asarray(im.convert("RGB"), dtype=np.float32) / 255
    assert im.size == (2 * 256 + 3 * 2, 2 * 256 + 3 * 2)  # 2 px padding around and between
    assert rgb.std() > 0.1 and (rgb.max(axis=2) - rgb.min(axis=2)).mean() > 0.2
