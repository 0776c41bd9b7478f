"""The `genart` command's core behaviour: fast paths that never import torch, versions, one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import genart_kit
from genart_kit.testing import run_genart

HEAVY = ("torch", "torchvision", "matplotlib")


def _imported_after(argv: list[str]) -> dict:
    code = (
        "import sys, json, contextlib, io\n"
        "from genart_kit.cli import main\n"
        "buf = io.StringIO()\n"
        "with contextlib.redirect_stdout(buf):\n"
        "    try:\n"
        f"        status = main({argv!r})\n"
        "    except SystemExit as e:\n"
        "        status = e.code\n"
        f"print(json.dumps({{'status': status, 'heavy': [m for m in {HEAVY!r} if m in sys.modules], 'out': buf.getvalue()}}))\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "argv",
    [["--help"], ["plugins"], ["plugins", "--json"], ["list", "models"], ["list", "renderers", "--json"], ["list", "exporters"], ["run", "--help"], ["train", "--help"]],
)
def test_listing_and_help_never_import_torch(argv):
    result = _imported_after(argv)
    assert result["status"] in (0, None), result
    assert result["heavy"] == [], f"`genart {' '.join(argv)}` imported {result['heavy']}"


def test_help_lists_every_command():
    out = _imported_after(["--help"])["out"]
    for command in ("plugins", "list"):
        assert f"\n    {command} " in out


def test_version_via_module_and_script():
    proc = run_genart(["--version"])
    assert proc.returncode == 0 and proc.stdout.strip() == f"genart-kit {genart_kit.__version__}"


def test_errors_are_one_line_without_traceback_and_debug_adds_it():
    proc = run_genart(["list", "models"], env={"GENART_LOAD_PLUGINS": ""})
    assert proc.returncode == 0 and "No models registered" in proc.stdout
    bad = subprocess.run(
        [sys.executable, "-c", "from genart_kit.cli import main; import sys; sys.exit(main(['plugins']))"],
        capture_output=True, text=True, env={"GENART_PLUGINS_DIR": "/nonexistent-genart-dir", "PATH": ""}, timeout=600,
    )
    assert bad.returncode == 0  # a missing plugins folder is a plugin problem, reported in the table
    assert "does not exist" in bad.stdout


def test_unknown_model_error_is_one_clear_line(tmp_path):
    from genart_kit.errors import UnknownNameError
    from genart_kit.registry import get_registry

    with pytest.raises(UnknownNameError) as info:
        get_registry().get("model", "vae-mnsit")
    text = str(info.value)
    assert text.startswith("unknown model 'vae-mnsit'.") and "\n" not in text and "genart list models" in text


def test_strict_exits_non_zero_with_a_broken_plugin(tmp_path):
    (tmp_path / "broken.py").write_text("raise ImportError('needs libfoo: pip install foo')\n")
    ok = run_genart(["--plugins-dir", str(tmp_path), "plugins"])
    assert ok.returncode == 0 and "needs libfoo" in ok.stdout
    strict = run_genart(["--strict", "--plugins-dir", str(tmp_path), "plugins"])
    assert strict.returncode == 2 and "plugin 'broken': failed to import: ImportError: needs libfoo" in strict.stderr
    assert "Traceback" not in strict.stderr
    debug = run_genart(["--debug", "--plugins-dir", str(tmp_path), "plugins"])
    assert "Traceback (most recent call last)" in debug.stdout


def test_usage_errors_are_one_line():
    proc = run_genart(["list", "modles"])
    assert proc.returncode == 2
    assert proc.stderr.strip().splitlines() == [
        "genart: error: argument KIND: invalid choice: 'modles' (choose from 'models', 'ops', 'renderers', "
        "'exporters', 'conditioners', 'datasets', 'names', 'commands') (see `genart list --help`)"
    ]


def test_model_function_survives_importing_the_contract_module():
    import importlib

    import genart_kit as ga

    importlib.import_module("genart_kit.generative")
    assert callable(ga.model) and ga.model.__module__ == "genart_kit"


def test_suggestions_ignore_case_and_options_are_never_abbreviated(capsys) -> None:
    from genart_kit.cli import main
    from genart_kit.errors import suggest

    assert suggest("GAN", ["cgan", "gan", "vae"]).startswith(" Did you mean 'gan'")
    assert suggest("Vae-Mnist", ["vae-mnist", "cvae-mnist"]).startswith(" Did you mean 'vae-mnist'")
    assert suggest("zzz", ["gan"]) == ""
    assert main(["train", "gan", "--over"]) == 1  # not taken as --overwrite
    assert "has no option 'over' (--over)" in capsys.readouterr().err
