"""Testing genart-kit plugins: the conformance kit and helpers.

The contract classes (:class:`ModelContract`, :class:`RendererContract`, :class:`OpContract`,
:class:`ExporterContract`, :class:`ConditionerContract`; see :mod:`genart_kit.testing.contracts`) turn into a
plugin's tests in one line each; their fixtures come from :mod:`genart_kit.pytest_plugin`. They are imported
on first use (they import torch); the helpers below do not.

:func:`make_distribution` writes a throwaway installed distribution — a module plus a ``*.dist-info``
folder whose ``entry_points.txt`` declares it in the ``genart_kit`` group — so a test can put the folder on
``sys.path`` / ``PYTHONPATH`` and check that the plugin is discovered exactly as after ``pip install``.
:func:`run_genart` runs the ``genart`` command in a subprocess with a given environment.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Mapping, Sequence

from .._lazy import lazy_attributes

_CONTRACTS = ("Contract", "ModelContract", "RendererContract", "OpContract", "ExporterContract",
              "ConditionerContract", "frames_for")
__all__ = ["make_distribution", "run_genart", "Contract", "ModelContract", "RendererContract", "OpContract",
           "ExporterContract", "ConditionerContract", "frames_for"]


__getattr__, __dir__ = lazy_attributes(__name__, dict.fromkeys(_CONTRACTS, "contracts"), globals())


def make_distribution(
    root: str | os.PathLike[str],
    name: str,
    module_source: str,
    *,
    version: str = "1.0",
    entry_name: str | None = None,
    module_name: str | None = None,
) -> Path:
    """Write ``<root>/<module>.py`` and ``<root>/<name>-<version>.dist-info/`` declaring the entry point.

    Args:
        root: folder to write into (put it on ``PYTHONPATH`` to "install" the plugin).
        name: distribution name (``genart-hello``).
        module_source: Python source of the plugin module (dedented automatically).
        version: distribution version reported by ``genart plugins``.
        entry_name: entry-point name (default: *name*).
        module_name: module name (default: *name* with ``-`` replaced by ``_``).

    Returns:
        *root* as a :class:`~pathlib.Path`.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    module_name = module_name or name.replace("-", "_")
    (root / f"{module_name}.py").write_text(textwrap.dedent(module_source), encoding="utf-8")
    dist = root / f"{name.replace('-', '_')}-{version}.dist-info"
    dist.mkdir(exist_ok=True)
    (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", encoding="utf-8")
    (dist / "entry_points.txt").write_text(f"[genart_kit]\n{entry_name or name} = {module_name}\n", encoding="utf-8")
    return root


def run_genart(
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    pythonpath: Sequence[str | os.PathLike[str]] = (),
    cwd: str | os.PathLike[str] | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """Run ``python -m genart_kit ARGS`` in a subprocess and capture its output.

    Args:
        args: command-line arguments after ``genart``.
        env: extra environment variables (added to the current environment; a value of ``None`` is not allowed).
        pythonpath: folders prepended to ``PYTHONPATH`` (e.g. from :func:`make_distribution`).
        cwd: working directory.
        timeout: seconds before the subprocess is killed (a safety net, not a performance check).

    Returns:
        the completed process (``returncode``, ``stdout``, ``stderr`` as text).
    """
    full_env = dict(os.environ)
    full_env.update(env or {})
    paths = [str(p) for p in pythonpath]
    if full_env.get("PYTHONPATH"):
        paths.append(full_env["PYTHONPATH"])
    if paths:
        full_env["PYTHONPATH"] = os.pathsep.join(paths)
    return subprocess.run(
        [sys.executable, "-m", "genart_kit", *args],
        capture_output=True,
        text=True,
        env=full_env,
        cwd=cwd,
        timeout=timeout,
    )
