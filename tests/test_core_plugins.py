"""The plugin system: discovery through entry points, local plugin folders, restriction, validation,
isolation of broken plugins, name collisions, tracing, and the `genart plugins` / `genart list` commands."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from genart_kit.testing import make_distribution, run_genart

GOOD = """
    from genart_kit import hookimpl

    __version__ = "ignored-for-installed"

    class Toy:
        def __init__(self, checkpoint=None, device=None, width=1):
            self.checkpoint, self.device, self.width = checkpoint, device, width

    def invert(strength=1.0):
        return ("invert", strength)

    @hookimpl
    def register_models(register):
        register("toy-model", "genart_hello:Toy", description="a toy model", latent_dim=3,
                 image_shape=(1, 4, 4), conditional=False, pretrained=False)

    @hookimpl
    def register_renderers(register):
        register("toy-invert", invert, description="inverts")
"""

IMPORT_ERROR = """
    import this_module_does_not_exist_anywhere
"""

RAISING_HOOK = """
    from genart_kit import hookimpl

    @hookimpl
    def register_ops(register):
        register("half-registered", "x:y")
        raise RuntimeError("database on fire")
"""

MISSPELT = """
    from genart_kit import hookimpl

    @hookimpl
    def register_model(register):
        register("never", "x:y")
"""

BAD_ARGS = """
    from genart_kit import hookimpl

    @hookimpl
    def register_models(register, colour):
        pass
"""


def _plugins_json(proc) -> dict:
    assert proc.returncode == 0, proc.stderr
    return {p["name"]: p for p in json.loads(proc.stdout)}


@pytest.fixture
def site(tmp_path):
    """A folder with one good and four broken throwaway distributions."""
    make_distribution(tmp_path, "genart-hello", GOOD, version="1.2.3", entry_name="hello", module_name="genart_hello")
    make_distribution(tmp_path, "genart-broken-import", IMPORT_ERROR, entry_name="broken_import")
    make_distribution(tmp_path, "genart-raising", RAISING_HOOK, entry_name="raising")
    make_distribution(tmp_path, "genart-misspelt", MISSPELT, entry_name="misspelt")
    make_distribution(tmp_path, "genart-badargs", BAD_ARGS, entry_name="badargs")
    return tmp_path


def test_third_party_plugin_is_discovered_listed_and_usable(site):
    plugins = _plugins_json(run_genart(["plugins", "--json"], pythonpath=[site]))
    hello = plugins["hello"]
    assert hello["status"] == "ok" and hello["error"] is None
    assert hello["version"] == "1.2.3"
    assert hello["hooks"] == ["register_models", "register_renderers"]
    assert "genart_hello" in hello["source"] and "genart-hello" in hello["source"]

    models = json.loads(run_genart(["list", "models", "--json"], pythonpath=[site]).stdout)
    toy = next(m for m in models if m["name"] == "toy-model")
    assert toy["plugin"] == "hello" and toy["latent_dim"] == 3 and toy["image_shape"] == [1, 4, 4]

    code = (
        "import genart_kit as ga; m = ga.model('toy-model', checkpoint='c.safetensors', width=5);"
        "print(type(m).__name__, m.checkpoint, m.width);"
        "print(ga.registry.get('renderer', 'toy-invert').resolve()(0.5))"
    )
    proc = _python(code, site)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split("\n")[:2] == ["Toy c.safetensors 5", "('invert', 0.5)"]


def _python(code: str, *pythonpath, env=None):
    import os
    import subprocess

    full = dict(os.environ, PYTHONPATH=os.pathsep.join(map(str, pythonpath)), **(env or {}))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=full, timeout=600)


def test_broken_plugins_are_isolated_and_reported(site):
    plugins = _plugins_json(run_genart(["plugins", "--json"], pythonpath=[site]))
    assert plugins["hello"]["status"] == "ok"
    expectations = {
        "broken_import": "ModuleNotFoundError: No module named 'this_module_does_not_exist_anywhere'",
        "raising": "hook register_ops raised RuntimeError: database on fire",
        "misspelt": "'register_model' matches no hookspec",
        "badargs": "{'colour'}",
    }
    for name, reason in expectations.items():
        assert plugins[name]["status"] == "error", name
        assert reason in plugins[name]["error"], (name, plugins[name]["error"])
        assert "\n" not in plugins[name]["error"]
    # A raising hook contributes nothing, not even what it registered before raising.
    ops = json.loads(run_genart(["list", "ops", "--json"], pythonpath=[site]).stdout)
    assert "half-registered" not in [o["name"] for o in ops]
    # Every command still works, and the table view names each broken plugin with its reason.
    table = run_genart(["plugins"], pythonpath=[site])
    assert table.returncode == 0
    assert "misspelt: error:" in table.stdout and "database on fire" in table.stdout
    listing = run_genart(["list", "models"], pythonpath=[site])
    assert listing.returncode == 0 and "toy-model" in listing.stdout


def test_strict_turns_plugin_problems_into_failure(site, tmp_path):
    proc = run_genart(["--strict", "list", "models"], pythonpath=[site])
    assert proc.returncode == 2
    assert "plugin 'misspelt'" in proc.stderr and "(--strict)" in proc.stderr
    only_good = run_genart(["--strict", "list", "models"], pythonpath=[site], env={"GENART_LOAD_PLUGINS": "hello"})
    assert only_good.returncode == 0, only_good.stderr


def test_load_plugins_variable_restricts_installed_plugins(site):
    from genart_kit.plugins import BUILTIN_PLUGINS

    none = _plugins_json(run_genart(["plugins", "--json"], pythonpath=[site], env={"GENART_LOAD_PLUGINS": ""}))
    assert set(none) == set(BUILTIN_PLUGINS)  # the core's own parts stay: restricting plugins never removes them
    assert all(p["source"].startswith("built-in") and p["status"] == "ok" for p in none.values())
    only = _plugins_json(run_genart(["plugins", "--json"], pythonpath=[site], env={"GENART_LOAD_PLUGINS": "hello,raising"}))
    assert set(only) == {"hello", "raising", *BUILTIN_PLUGINS}
    exporters = json.loads(run_genart(["list", "exporters", "--json"], env={"GENART_LOAD_PLUGINS": ""}).stdout)
    assert "gif" in [e["name"] for e in exporters]
    renderers = json.loads(run_genart(["list", "renderers", "--json"], env={"GENART_LOAD_PLUGINS": "gan"}).stdout)
    assert "colormap" in [e["name"] for e in renderers]
    unknown = _plugins_json(run_genart(["plugins", "--json"], pythonpath=[site], env={"GENART_LOAD_PLUGINS": "hello,helo"}))
    assert unknown["hello"]["status"] == "ok"
    assert unknown["helo"]["status"] == "error" and "no installed plugin named 'helo'" in unknown["helo"]["error"]


def test_name_collision_is_an_error_naming_both_plugins(tmp_path):
    twin = GOOD.replace("genart_hello", "genart_twin")
    make_distribution(tmp_path, "genart-hello", GOOD, entry_name="hello", module_name="genart_hello")
    make_distribution(tmp_path, "genart-twin", twin, entry_name="twin", module_name="genart_twin")
    plugins = _plugins_json(run_genart(["plugins", "--json"], pythonpath=[tmp_path]))
    for name in ("hello", "twin"):
        assert plugins[name]["status"] == "error"
        assert "model name 'toy-model' is registered by plugins 'hello' and 'twin'" in plugins[name]["error"]
    proc = _python("import genart_kit as ga; ga.model('toy-model')", tmp_path)
    assert proc.returncode != 0
    assert "PluginError: model 'toy-model' is registered by plugins 'hello' and 'twin'" in proc.stderr
    # The renderer both register collides too; their other contributions would survive a partial clash.
    renderers = json.loads(run_genart(["list", "renderers", "--json"], pythonpath=[tmp_path]).stdout)
    assert "toy-invert" not in [r["name"] for r in renderers]


def test_local_plugins_folder_by_option_and_environment(tmp_path):
    folder = tmp_path / "local"
    folder.mkdir()
    (folder / "sparkle.py").write_text(
        "from genart_kit import hookimpl\n__version__ = '0.3'\n"
        "@hookimpl\ndef register_renderers(register):\n    register('sparkle', 'builtins:abs', description='local')\n"
    )
    via_option = _plugins_json(run_genart(["--plugins-dir", str(folder), "plugins", "--json"]))
    assert via_option["sparkle"]["status"] == "ok" and via_option["sparkle"]["version"] == "0.3"
    assert via_option["sparkle"]["source"] == str(folder / "sparkle.py")
    via_env = json.loads(run_genart(["list", "renderers", "--json"], env={"GENART_PLUGINS_DIR": str(folder)}).stdout)
    assert any(r["name"] == "sparkle" and r["plugin"] == "sparkle" for r in via_env)
    # A string loader naming the local module resolves, and the module can import a sibling helper.
    (folder / "sparkle_helpers.py").write_text("def glow(x):\n    return ('glow', x)\n")
    (folder / "glow.py").write_text(
        "from genart_kit import hookimpl\nfrom sparkle_helpers import glow\n"
        "@hookimpl\ndef register_renderers(register):\n    register('glow', 'glow:glow', description='local')\n"
    )
    used = _python(
        "from genart_kit import registry as r; r.configure([" + repr(str(folder)) + "]);"
        "print(r.get('renderer', 'glow').resolve()(2))"
    )
    assert used.returncode == 0, used.stderr
    assert used.stdout.strip() == "('glow', 2)"
    missing = _plugins_json(run_genart(["--plugins-dir", str(tmp_path / "nope"), "plugins", "--json"]))
    assert "does not exist" in missing[str(tmp_path / "nope")]["error"]


def test_trace_variable_logs_every_hook_call(site):
    proc = run_genart(["list", "models"], pythonpath=[site], env={"GENART_TRACE_PLUGINS": "1"})
    assert proc.returncode == 0
    for hook in ("register_models", "register_renderers"):
        assert f"call {hook}(register) -> plugins: hello" in proc.stderr
    assert "done register_ops" in proc.stderr and "raised RuntimeError: database on fire" in proc.stderr


def test_unknown_name_suggests_close_names(site):
    proc = _python("import genart_kit as ga; ga.model('toy-modle')", site)
    assert "UnknownNameError: unknown model 'toy-modle'. Did you mean 'toy-model'?" in proc.stderr


def test_in_process_manager_isolates_and_lists(site, monkeypatch):
    monkeypatch.syspath_prepend(str(site))
    import importlib

    importlib.invalidate_caches()
    from genart_kit.registry import Registry

    reg = Registry()
    assert "toy-model" in reg.names("models")
    assert reg.get("model", "toy-model").plugin == "hello"
    problems = {p.name for p in reg.plugins.problems()}
    assert {"broken_import", "raising", "misspelt", "badargs"} <= problems
    with pytest.raises(LookupError):
        reg.get("kind-that-is-not", "x")


@pytest.mark.parametrize(
    "source, reason",
    [
        ("raise KeyboardInterrupt\n", "failed to import: KeyboardInterrupt"),
        ("raise BaseException('boom')\n", "failed to import: BaseException: boom"),
        ("import sys\nsys.exit(3)\n", "failed to import: SystemExit: 3"),
        (
            "import sys\nfrom genart_kit import hookimpl\n@hookimpl\ndef register_models(register):\n    sys.exit(5)\n",
            "hook register_models raised SystemExit: 5",
        ),
        (
            "from genart_kit import hookimpl\n@hookimpl\ndef register_renderers(register):\n    raise KeyboardInterrupt\n",
            "hook register_renderers raised KeyboardInterrupt",
        ),
    ],
)
def test_plugins_that_exit_or_interrupt_stay_isolated(tmp_path, source, reason):
    (tmp_path / "rude.py").write_text(source)
    plugins = _plugins_json(run_genart(["--plugins-dir", str(tmp_path), "plugins", "--json"]))
    assert plugins["rude"]["status"] == "error" and reason in plugins["rude"]["error"]
    listing = run_genart(["--plugins-dir", str(tmp_path), "list", "exporters"])
    assert listing.returncode == 0 and "gif" in listing.stdout


def test_exporter_suffixes_are_validated_and_collisions_reported(tmp_path):
    (tmp_path / "badsuffix.py").write_text(
        "from genart_kit import hookimpl\n@hookimpl\ndef register_exporters(register):\n"
        "    register('badsuf', 'builtins:print', suffixes=[5])\n"
    )
    (tmp_path / "aaa.py").write_text(
        "from genart_kit import hookimpl\n@hookimpl\ndef register_exporters(register):\n"
        "    register('hijack', 'builtins:print', suffixes=('.GIF',))\n"
    )
    plugins = _plugins_json(run_genart(["--plugins-dir", str(tmp_path), "plugins", "--json"]))
    assert "invalid suffixes [5]" in plugins["badsuffix"]["error"]
    assert "claims the file suffix of the built-in exporter 'gif'" in plugins["aaa"]["error"], plugins["aaa"]
    assert plugins["exporters"]["status"] == "ok"  # the built-in keeps its suffix
    listing = run_genart(["--plugins-dir", str(tmp_path), "list", "exporters"])
    assert listing.returncode == 0
    proc = _python(
        "from genart_kit import registry as r; r.configure([" + repr(str(tmp_path)) + "]); print(r.find_exporter('.gif').name)"
    )
    assert proc.stdout.strip() == "gif", proc.stderr


def test_source_checkout_runs_before_pip_install(tmp_path):
    """A fresh clone run as `python -m genart_kit` (nothing installed) has the built-in parts and finds the
    first-party plugins from its own pyproject.toml."""
    import shutil

    root = Path(__file__).resolve().parents[1]
    clone = tmp_path / "clone"
    shutil.copytree(root / "genart_kit", clone / "genart_kit", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(root / "plugins", clone / "plugins", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(root / "pyproject.toml", clone / "pyproject.toml")
    # an interpreter that does not see the installed genart-kit: -S drops site-packages, so add back only the
    # third-party libraries the core needs (pluggy), from their own folder
    import pluggy

    libs = tmp_path / "libs"
    shutil.copytree(Path(pluggy.__file__).parent, libs / "pluggy")
    env = {"PYTHONPATH": str(libs), "PATH": os.environ.get("PATH", "")}
    proc = subprocess.run([sys.executable, "-S", "-m", "genart_kit", "plugins", "--json"], cwd=clone,
                          capture_output=True, text=True, env=env, timeout=300)
    assert proc.returncode == 0, proc.stderr
    plugins = {p["name"]: p for p in json.loads(proc.stdout)}
    assert {"ops", "renderers", "exporters", "datasets", "gan", "vae"} <= set(plugins), plugins
    assert all(p["status"] == "ok" for p in plugins.values()), plugins
    assert str(clone) in plugins["gan"]["source"] or "genart_gan.plugin" in plugins["gan"]["source"]


def test_strict_resolves_every_loader(tmp_path):
    dangling = """
        from genart_kit import hookimpl

        @hookimpl
        def register_renderers(register):
            register("ghost", "genart_dangling:missing", description="points at nothing")
    """
    make_distribution(tmp_path, "genart-dangling", dangling, entry_name="dangling", module_name="genart_dangling")
    lazy = run_genart(["plugins", "--json"], pythonpath=[tmp_path])
    assert _plugins_json(lazy)["dangling"]["status"] == "ok"  # listing stays lazy: nothing is resolved
    strict = run_genart(["--strict", "plugins"], pythonpath=[tmp_path])
    assert strict.returncode == 2
    assert "renderer 'ghost'" in strict.stderr and "genart_dangling:missing" in strict.stderr
    assert run_genart(["--strict", "plugins"]).returncode == 0  # every shipped loader resolves


# ----------------------------------------------------------------- slow plugins are bounded (issue 15)

SLEEPS_AT_IMPORT = "import time\nprint('loading sleepy')\ntime.sleep(3600)\n"
SLEEPS_IN_HOOK = """
import time
from genart_kit import hookimpl

@hookimpl
def register_models(register):
    register("late-model", "builtins:print")  # staged, then the hook never returns

@hookimpl
def register_renderers(register):
    time.sleep(3600)
    print("woke up")
"""


def test_a_plugin_that_sleeps_at_import_or_in_a_hook_is_reported_and_the_command_goes_on(tmp_path):
    (tmp_path / "sleepy.py").write_text(SLEEPS_AT_IMPORT)
    (tmp_path / "dozy.py").write_text(SLEEPS_IN_HOOK)
    (tmp_path / "sparkle.py").write_text(
        "from genart_kit import hookimpl\n"
        "@hookimpl\ndef register_renderers(register):\n    register('sparkle', 'builtins:abs', description='local')\n")
    env = {"GENART_PLUGIN_TIMEOUT": "1.5"}
    plugins = _plugins_json(run_genart(["--plugins-dir", str(tmp_path), "plugins", "--json"], env=env, timeout=120))
    assert plugins["sleepy"]["status"] == "error"
    assert "still importing after 1.5 s" in plugins["sleepy"]["error"]
    assert "GENART_PLUGIN_TIMEOUT" in plugins["sleepy"]["error"]
    assert plugins["dozy"]["status"] == "error"
    assert "hook register_renderers still running when the plugin's 1.5 s" in plugins["dozy"]["error"]
    assert plugins["sparkle"]["status"] == "ok"
    listing = run_genart(["--plugins-dir", str(tmp_path), "list", "models", "--json"], env=env, timeout=120)
    assert listing.returncode == 0, listing.stderr
    names = [m["name"] for m in json.loads(listing.stdout)]  # stdout stays JSON: no 'woke up', no 'loading'
    assert "late-model" not in names and "gan-mnist" in names  # a plugin past the bound contributes nothing


def test_plugin_timeout_variable_is_checked(tmp_path):
    for args in (["plugins"], ["--help"], ["no-such-command"]):  # the last two load plugins to build the parser
        proc = run_genart(args, env={"GENART_PLUGIN_TIMEOUT": "soon"}, timeout=120)
        assert proc.returncode != 0
        assert "GENART_PLUGIN_TIMEOUT" in proc.stderr and "'soon'" in proc.stderr
        assert "Traceback" not in proc.stderr
