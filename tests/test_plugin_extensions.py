"""What plugins add besides parts: sub-commands (``register_commands``), names in sketches and the REPL
(``register_namespace``), the run's ``--size`` reaching models that declare it, and the name rules every
registration goes through."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from genart_kit import hookimpl, registry
from genart_kit.cli import main
from genart_kit.errors import InvalidInputError
from genart_kit.plugin_commands import BUILTIN_COMMANDS

ROOT = Path(__file__).resolve().parents[1]


# ------------------------------------------------------------------------------------------- commands


def _hello(args):
    print(f"hello {args.name} x{args.times}")
    return 3 if args.name == "three" else None


class HelloPlugin:
    @hookimpl
    def register_commands(self, register):
        parser = register("hello", _hello, help="say hello", epilog="Example: genart hello --name you")
        parser.add_argument("--name", default="world")
        parser.add_argument("--times", type=int, default=1)


def test_a_plugin_command_runs_with_its_arguments_and_exit_status(capsys):
    with registry.isolated(HelloPlugin()) as reg:
        assert not reg.plugins.problems()
        assert main(["hello", "--name", "you", "--times", "2"]) == 0
        assert capsys.readouterr().out.strip() == "hello you x2"
        assert main(["hello", "--name", "three"]) == 3  # the handler's int is the exit status
        with pytest.raises(SystemExit) as exc:
            main(["--help"])
        assert exc.value.code == 0
        out = capsys.readouterr().out
        assert "hello" in out and "say hello (plugin" in out
        with pytest.raises(SystemExit):
            main(["hello", "--help"])
        assert "Example: genart hello --name you" in capsys.readouterr().out
        with pytest.raises(SystemExit) as exc:
            main(["hello", "--times", "many"])  # argparse checks the plugin's own types
        assert exc.value.code == 2


def test_builtin_command_names_match_the_command_line():
    from genart_kit.cli import build_parser

    from genart_kit.plugin_commands import RESERVED_DESTS

    parser = build_parser()
    assert set(parser.commands.choices) <= BUILTIN_COMMANDS  # type: ignore[attr-defined]
    assert {a.dest for a in parser._actions} <= RESERVED_DESTS  # global options a plugin's arguments cannot take
    assert {"run", "list", "train", "sample", "replay", "plugins", "repl", "new-plugin"} <= set(parser.commands.choices)  # type: ignore[attr-defined]


class _BadCommandPlugin:
    def __init__(self, name, handler=_hello):
        self.name, self.handler = name, handler

    @hookimpl
    def register_commands(self, register):
        register(self.name, self.handler, help="bad")

    @hookimpl
    def register_renderers(self, register):
        register("bad-plugin-renderer", "genart_kit.render.color:colormap")


@pytest.mark.parametrize("name, reason", [
    ("run", "built-in command"),
    ("Hello", "lower-case"),
    ("hello world", "lower-case"),
    ("x" * 41, "1..40"),
    (7, "not a string"),
])
def test_a_bad_or_builtin_command_name_marks_the_plugin_and_keeps_everything_else(name, reason, capsys):
    with registry.isolated(_BadCommandPlugin(name), HelloPlugin()) as reg:
        problems = reg.plugins.problems()
        assert len(problems) == 1 and reason in str(problems), problems
        assert "bad-plugin-renderer" not in reg.names("renderers")  # none of a failed plugin's parts
        assert main(["hello"]) == 0  # the healthy plugin's command still works
        assert "hello world x1" in capsys.readouterr().out
        assert main(["list", "renderers"]) == 0  # and the built-in "run" is untouched


def test_a_handler_that_is_not_callable_is_refused():
    with registry.isolated(_BadCommandPlugin("notcallable", handler="nope")) as reg:
        assert "not callable" in str(reg.plugins.problems())


def test_two_plugins_with_one_command_name_both_fail_and_the_command_is_withdrawn(capsys):
    class Other:
        @hookimpl
        def register_commands(self, register):
            register("hello", lambda args: print("other"))

    with registry.isolated(HelloPlugin(), Other()) as reg:
        assert "hello" not in reg.commands
        assert len(reg.plugins.problems()) == 2
        with pytest.raises(SystemExit) as exc:
            main(["hello"])
        assert exc.value.code == 2
        assert "invalid choice: 'hello'" in capsys.readouterr().err


def test_a_handler_that_crashes_exits_1_with_one_line_naming_the_plugin(capsys):
    class Crash:
        @hookimpl
        def register_commands(self, register):
            register("crash", lambda args: 1 / 0)

    with registry.isolated(Crash()):
        assert main(["crash"]) == 1
    err = capsys.readouterr().err
    assert "command 'crash' of plugin" in err and "ZeroDivisionError" in err
    assert "Traceback" not in err


def _write_plugin(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "greeter.py").write_text(textwrap.dedent("""
        from genart_kit import hookimpl

        def greet(args):
            print("greetings", args.who)

        @hookimpl
        def register_commands(register):
            register("greet", greet, help="greet someone").add_argument("who")

        @hookimpl
        def register_namespace(register):
            register("TAU2", 12.566, description="two tau")
    """))
    return folder


def test_plugins_dir_works_before_and_after_the_subcommand(tmp_path):
    folder = _write_plugin(tmp_path / "local")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENART_")}
    for argv in (["--plugins-dir", str(folder), "greet", "you"], ["greet", "you", "--plugins-dir", str(folder)],
                 ["greet", f"--plugins-dir={folder}", "you"]):
        proc = subprocess.run([sys.executable, "-m", "genart_kit", *argv], capture_output=True, text=True, env=env,
                              cwd=tmp_path)
        assert proc.returncode == 0, (argv, proc.stderr)
        assert proc.stdout.strip() == "greetings you"
    proc = subprocess.run([sys.executable, "-m", "genart_kit", "list", "names", "--plugins-dir", str(folder)],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "TAU2" in proc.stdout and "two tau" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "genart_kit", "list", "commands", "--plugins-dir", str(folder)],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "genart greet" in proc.stdout and "greet someone" in proc.stdout
    proc = subprocess.run([sys.executable, "-m", "genart_kit", "list", "models", "--plugins-dir"],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 2 and "--plugins-dir: expected one argument" in proc.stderr


# ------------------------------------------------------------------------------------------ namespace


class NamesPlugin:
    @hookimpl
    def register_namespace(self, register):
        register("GOLDEN", 1.618, description="the golden ratio")
        register("palette", "genart_kit.render.color:colormap", description="a colour-map factory")
        register("shadowed", ("a tuple", "from the plugin"))
        register("broken_name", "genart_kit.render.color:no_such_thing")


SKETCH = """
import genart_kit as ga

shadowed = "from the sketch"

def sketch(p, seed=0, frames=2, size=28):
    assert GOLDEN == 1.618
    assert callable(palette)
    assert shadowed == "from the sketch", shadowed
    import torch

    return torch.zeros(frames, 1, size, size)
"""


def test_sketches_get_plugin_names_and_their_own_definitions_win(tmp_path):
    from genart_kit.sketch import load_sketch

    path = tmp_path / "uses_names.py"
    path.write_text(SKETCH)
    with registry.isolated(NamesPlugin()) as reg:
        names = reg.namespace()
        assert names["GOLDEN"] == 1.618
        assert "broken_name" not in names  # left out, and its plugin reported
        assert "broken_name" in str(reg.plugins.problems())
        frames = load_sketch(path).render({}, frames=2, size=8)
        assert tuple(frames.shape) == (2, 1, 8, 8)


def test_the_repl_session_gets_plugin_names_without_losing_its_own(tmp_path):
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    from genart_kit.repl.app import Repl

    with registry.isolated(NamesPlugin()), create_pipe_input() as pipe:
        import io

        out = io.StringIO()
        repl = Repl(input=pipe, output=DummyOutput(), stdout=out, history_path=False, preload=False)
        repl.namespace["shadowed"] = "mine"
        repl.run_code("GOLDEN * 2")
        repl.run_code("shadowed")
        assert "3.236" in out.getvalue()
        assert "'mine'" in out.getvalue()
        assert repl.namespace["ga"].__name__ == "genart_kit"


@pytest.mark.parametrize("name", ["class", "print", "_private", "two words", "9lives"])
def test_namespace_names_must_be_public_identifiers(name):
    class Bad:
        @hookimpl
        def register_namespace(self, register):
            register(name, 1)

    with registry.isolated(Bad()) as reg:
        assert "namespace name" in str(reg.plugins.problems())
        assert name not in reg.namespace()


# --------------------------------------------------------------------------------------- name rules


@pytest.mark.parametrize("name, reason", [
    ("", "is empty"),
    ("   ", "only whitespace"),
    ("a/b", "path separator"),
    ("a\\b", "path separator"),
    ("line\nbreak", "control character"),
    ("nul\x00", "control character"),
    ("n" * 101, "at most 100"),
    (None, "not a string"),
])
def test_every_kind_refuses_names_that_would_break_files_tables_or_shells(name, reason):
    class Bad:
        @hookimpl
        def register_renderers(self, register):
            register(name, "genart_kit.render.color:colormap")

        @hookimpl
        def register_ops(self, register):
            register("fine-op", "genart_kit.latent.walks:noise_loop")

    with registry.isolated(Bad()) as reg:
        problems = str(reg.plugins.problems())
        assert reason in problems, problems
        assert "fine-op" not in reg.names("ops")  # all or nothing per plugin


def test_check_name_accepts_ordinary_names():
    for name in ("vae-mnist", "my_model.v2", "café", "x" * 100):
        assert registry.check_name(name) is None, name
    assert registry.check_name("GOLDEN", "name") is None


# ---------------------------------------------------------------------------------------------- --size


class SizedPlugin:
    """A procedural model that renders at any size (declares a ``size`` option)."""

    @hookimpl
    def register_models(self, register):
        from genart_kit.options import Option

        register("sized", _load_sized, latent_dim=3, image_shape=(3, None, None),
                 ready=True, options=[Option("size", int, 16, "frame size in pixels", min=4, max=1024)])


def _load_sized(checkpoint=None, device=None, size=16):
    import torch

    from genart_kit.generative import GenerativeModel

    class Sized(GenerativeModel):
        def __init__(self):
            super().__init__()
            self.name, self.latent_dim, self.image_shape = "sized", 3, (3, size, size)

        def _decode(self, z, condition):
            return torch.sigmoid(z)[:, :, None, None].expand(-1, 3, size, size).clone()

    return Sized()


SIZED_SKETCH = """
import genart_kit as ga

def sketch(p, seed=0, frames=2, size=16):
    model = ga.model("sized")
    fixed = ga.model("sized", size=10)  # an explicit size wins
    assert fixed.image_shape == (3, 10, 10), fixed.image_shape
    return ga.latent.noise_loop(model, frames, seed=seed) | model
"""


def test_the_runs_size_reaches_a_model_that_declares_a_size_option(tmp_path):
    import genart_kit as ga
    from genart_kit.sketch import load_sketch

    path = tmp_path / "sized_sketch.py"
    path.write_text(SIZED_SKETCH)
    with registry.isolated(SizedPlugin()) as reg:
        assert not reg.plugins.problems()
        clip = load_sketch(path).render({}, frames=2, size=40)
        assert tuple(clip.shape) == (2, 3, 40, 40)
        assert ga.model("sized").image_shape == (3, 16, 16)  # outside a run: the declared default
        with pytest.raises(InvalidInputError, match="Did you mean 'size'"):
            ga.model("sized", sise=3)


def test_a_plugin_in_error_contributes_nothing_and_its_missing_command_says_why(capsys):
    class Colliding:
        """Takes a built-in renderer's name, and also adds a command and a name."""

        @hookimpl
        def register_renderers(self, register):
            register("invert", "genart_kit.render.color:colormap")

        @hookimpl
        def register_commands(self, register):
            register("colliding-hello", _hello)

        @hookimpl
        def register_namespace(self, register):
            register("LUCKY", 7)

    with registry.isolated(Colliding()) as reg:
        assert "built-in renderer" in str(reg.plugins.problems())
        assert "LUCKY" not in reg.namespace() and "colliding-hello" not in reg.commands
        assert reg.get("renderer", "invert").plugin != "Colliding"
        with pytest.raises(SystemExit) as exc:
            main(["colliding-hello"])
        assert exc.value.code == 2
        err = capsys.readouterr().err
        assert "invalid choice: 'colliding-hello'" in err and "Colliding failed to load" in err and "genart plugins" in err


@pytest.mark.parametrize("where", ["import", "hook"])
def test_ctrl_c_while_plugins_load_stops_the_command(tmp_path, where):
    import signal
    import time

    folder = tmp_path / "slow"
    folder.mkdir()
    body = "import time\ntime.sleep(60)\n" if where == "import" else (
        "import time\nfrom genart_kit import hookimpl\n\n@hookimpl\ndef register_renderers(register):\n    time.sleep(60)\n")
    (folder / "slowplugin.py").write_text("open(__file__ + '.started', 'w').close()\n" + body)
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENART_")}
    out = tmp_path / "never.png"
    proc = subprocess.Popen([sys.executable, "-m", "genart_kit", "--plugins-dir", str(folder), "sample", "gan-mnist",
                             "-n", "1", "-o", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    try:
        while not (folder / "slowplugin.py.started").exists():
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.1)
        if where == "hook":
            time.sleep(0.5)  # the import is done; the hook sleeps
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err
    assert not out.exists()


def test_plugin_texts_cannot_break_help_or_listings_and_names_must_read_as_written(capsys):
    class Texty:
        @hookimpl
        def register_commands(self, register):
            register("pct", _hello, help="makes art 100% faster \ud800 (%(prog)s)", description="50% off")

        @hookimpl
        def register_renderers(self, register):
            register("texty-look", "genart_kit.render.color:colormap", description="odd \ud800 text\nwith a break")

    with registry.isolated(Texty()) as reg:
        assert not reg.plugins.problems()
        with pytest.raises(SystemExit) as exc:
            main(["--help"])
        assert exc.value.code == 0
        out = capsys.readouterr().out
        assert "makes art 100% faster" in out
        assert main(["list", "commands"]) == 0 and main(["list", "renderers"]) == 0
        out = capsys.readouterr().out
        assert "odd text with a break" in out and "\ud800" not in out
    for name in ("upscale ", " spacey", "evil\u202ename", "zero\u200bwidth", "line\u2028sep", "\ud800"):
        assert registry.check_name(name) is not None, repr(name)
    assert "every sketch" in registry.check_name("ga", "name")


def test_plugin_command_arguments_cannot_take_genarts_own_and_odd_returns_are_errors(capsys):
    class Clash:
        @hookimpl
        def register_commands(self, register):
            register("clash", _hello).add_argument("--plugins-dir", default="MINE")

    with registry.isolated(Clash()) as reg:
        assert "which genart uses itself" in str(reg.plugins.problems())
        assert "clash" not in reg.commands

    class Odd:
        @hookimpl
        def register_commands(self, register):
            for name, value in (("gives-text", "done"), ("gives-true", True), ("gives-300", 300), ("gives-7", 7)):
                register(name, lambda args, value=value: value)

    with registry.isolated(Odd()):
        assert main(["gives-7"]) == 7
        for name in ("gives-text", "gives-true", "gives-300"):
            capsys.readouterr()
            assert main([name]) == 1, name
            assert "a handler returns None or an exit status 0..255" in capsys.readouterr().err


def test_the_same_plugins_folder_twice_loads_once(tmp_path):
    folder = _write_plugin(tmp_path / "twice")
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("GENART_")}, "GENART_PLUGINS_DIR": str(folder)}
    proc = subprocess.run([sys.executable, "-m", "genart_kit", "--strict", "--plugins-dir", str(folder), "greet", "x"],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "greetings x"


def test_a_plugin_that_prints_never_corrupts_json_output(tmp_path):
    import json

    folder = tmp_path / "chatty"
    folder.mkdir()
    (folder / "chatty.py").write_text(
        "print('hello from import')\nfrom genart_kit import hookimpl\n\n@hookimpl\n"
        "def register_renderers(register):\n    print('hello from a hook')\n"
        "    register('chatty-look', 'genart_kit.render.color:colormap')\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("GENART_")}
    for argv in (["plugins", "--json"], ["list", "renderers", "--json"]):
        proc = subprocess.run([sys.executable, "-m", "genart_kit", "--plugins-dir", str(folder), *argv],
                              capture_output=True, text=True, env=env, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        json.loads(proc.stdout)  # nothing but the JSON on stdout
        assert "hello from import" in proc.stderr
    assert "chatty-look" in proc.stdout
