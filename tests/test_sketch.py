"""Sketch files: Param parsing/validation, loading, rendering, recipes, watching (incl. local modules)."""

from __future__ import annotations

import os
import textwrap
import threading
import time
from pathlib import Path

import re

import pytest
import torch

from genart_kit.errors import InvalidInputError, UnknownNameError
from genart_kit.sketch import Param, Params, SketchError, Watcher, load_sketch, watch

TOY = Path(__file__).with_name("test_pipeline_toys.py")

SKETCH = '''\
"""Toy sketch: a noise loop through a toy model.

Second paragraph of help.
"""
import sys
sys.path.insert(0, {tests!r})
import genart_kit as ga
from genart_kit.sketch import Param
from test_pipeline_toys import ToyModel

PARAMS = {{
    "keys": Param(3, min=1, max=8, help="keyframes"),
    "colormap": Param("magma", choices=["magma", "viridis"], help="colours"),
    "radius": Param(1.0, min=0.0, max=2.0),
    "trails": Param(False, help="trails on"),
}}
DEFAULTS = {{"frames": 6, "size": 24, "fps": 12}}


def sketch(p, seed, frames, size):
    m = ToyModel()
    clip = ga.latent.noise_loop(m, frames, seed=seed, radius=p.radius) | m
    if p.trails:
        clip = clip | ga.render.trails(0.5)
    return clip | ga.render.colormap(p.colormap) | ga.render.upscale(size)
'''


def write_sketch(folder: Path, body: str = SKETCH, name: str = "toy.py") -> Path:
    path = folder / name
    path.write_text(body.format(tests=str(TOY.parent)) if "{tests" in body else body, encoding="utf-8")
    return path


def bump(path: Path, text: str) -> None:
    """Rewrite *path* and make sure its mtime changes even on coarse-grained file systems."""
    st = path.stat()
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


# ------------------------------------------------------------------------------------------ Param
def test_param_types_and_parsing():
    p = Param(3, min=1, max=8)
    assert p.type is int and p.parse("5", "keys") == 5 and p.parse("4.0", "keys") == 4
    with pytest.raises(InvalidInputError, match=r"parameter 'keys' must be a whole number in \[1, 8\], got 9"):
        p.parse("9", "keys")
    with pytest.raises(InvalidInputError, match="keys"):
        p.parse("2.5", "keys")
    f = Param(0.5, min=0.0, max=1.0)
    assert f.parse("1", "r") == 1.0 and f.validate(1, "r") == 1.0
    for bad in ("nan", "inf", "x", "1.5"):
        with pytest.raises(InvalidInputError, match="'r'"):
            f.parse(bad, "r")
    b = Param(False)
    assert b.parse("yes", "t") is True and b.parse("0", "t") is False
    with pytest.raises(InvalidInputError, match="true or false"):
        b.parse("maybe", "t")
    c = Param("magma", choices=["magma", "viridis"])
    with pytest.raises(InvalidInputError, match="one of magma, viridis.*Did you mean 'magma'"):
        c.parse("magmaa", "colormap")
    assert "one of magma, viridis" in c.describe() and "int in [1, 8], default 3" == p.describe()


def test_param_declaration_errors():
    with pytest.raises(InvalidInputError, match="min"):
        Param(1, min=5, max=2)
    with pytest.raises(InvalidInputError, match="default"):
        Param(10, min=0, max=5)
    with pytest.raises(InvalidInputError, match="bool, int, float or str"):
        Param([1, 2])
    with pytest.raises(InvalidInputError):
        Param("a", choices=[])


def test_params_namespace():
    p = Params({"keys": 3, "items": "x"})
    assert p.keys == 3 and p["items"] == "x" and "keys" in p and len(p) == 2 and p.as_dict() == {"keys": 3, "items": "x"}
    with pytest.raises(AttributeError, match="Did you mean 'keys'"):
        _ = p.key
    with pytest.raises(AttributeError, match="read-only"):
        p.keys = 4


# ---------------------------------------------------------------------------------- load/render
def test_load_and_render(tmp_path):
    sk = load_sketch(write_sketch(tmp_path))
    assert sk.name == "toy" and sk.title.startswith("Toy sketch") and list(sk.params) == ["keys", "colormap", "radius", "trails"]
    assert sk.defaults == {"seed": 0, "frames": 6, "fps": 12.0, "size": 24}
    clip = sk.render()
    assert clip.shape == (6, 3, 24, 24)
    r = clip.recipe
    assert r["params"] == {"keys": 3, "colormap": "magma", "radius": 1.0, "trails": False}
    assert r["seed"] == 0 and r["frames"] == 6 and r["fps"] == 12.0 and r["size"] == 24
    assert r["sketch"]["name"] == "toy" and len(r["sketch"]["sha256"]) == 64 and "def sketch" in r["source"]
    clip2 = sk.render({"colormap": "viridis", "trails": "true"}, seed=3, frames=4, size=16)
    assert clip2.shape == (4, 3, 16, 16) and clip2.recipe["params"]["trails"] is True
    assert sk.render(["radius=0.5"]).recipe["params"]["radius"] == 0.5
    help_text = sk.help_text()
    assert "keys" in help_text and "int in [1, 8], default 3" in help_text and "Second paragraph" in help_text


def test_bad_parameters_and_options(tmp_path):
    sk = load_sketch(write_sketch(tmp_path))
    with pytest.raises(UnknownNameError, match="no parameter 'key'.*Did you mean 'keys'"):
        sk.render({"key": 3})
    with pytest.raises(InvalidInputError, match=r"parameter 'radius' must be a number in \[0, 2\]"):
        sk.render(["radius=5"])
    with pytest.raises(InvalidInputError, match="NAME=VALUE"):
        sk.render(["radius"])
    with pytest.raises(InvalidInputError, match="frames"):
        sk.render(frames=0)
    with pytest.raises(InvalidInputError, match="fps"):
        sk.render(fps=-1)
    with pytest.raises(InvalidInputError, match="size"):
        sk.render(size=0)


def test_sketch_errors_are_reported_with_lines(tmp_path):
    with pytest.raises(InvalidInputError, match="not found"):
        load_sketch(tmp_path / "nope.py")
    bad = write_sketch(tmp_path, "def sketch(p):\n    return 1 +\n", "syntax.py")
    with pytest.raises(SketchError, match=r"failed to load: SyntaxError.*\(line 2\)"):
        load_sketch(bad)
    nofn = write_sketch(tmp_path, "x = 1\n", "nofn.py")
    with pytest.raises(SketchError, match="defines no function"):
        load_sketch(nofn)
    raising = write_sketch(tmp_path, "def sketch(p):\n    return undefined_name\n", "raising.py")
    with pytest.raises(SketchError, match=r"raised NameError.*\(line 2\)") as info:
        load_sketch(raising).render()
    assert "raising.py" in info.value.details
    wrong = write_sketch(tmp_path, "def sketch(p):\n    return 42\n", "wrong.py")
    with pytest.raises(SketchError, match="must return a clip"):
        load_sketch(wrong).render()
    reserved = write_sketch(tmp_path, "from genart_kit.sketch import Param\nPARAMS = {'seed': Param(1)}\ndef sketch(p):\n    pass\n", "reserved.py")
    with pytest.raises(InvalidInputError, match="clash"):
        load_sketch(reserved)
    exits = write_sketch(tmp_path, "import sys\nsys.exit(3)\n", "exits.py")
    with pytest.raises(SketchError, match="SystemExit"):
        load_sketch(exits)


def test_function_signature_flexibility(tmp_path):
    body = textwrap.dedent(f'''
        import sys; sys.path.insert(0, {str(TOY.parent)!r})
        import genart_kit as ga
        from test_pipeline_toys import ToyModel
        def sketch(params, *, frames, fps, **rest):
            m = ToyModel()
            assert rest == {{"seed": 0, "size": 256}}
            return ga.latent.noise_loop(m, frames) | m
    ''')
    clip = load_sketch(write_sketch(tmp_path, body, "sig.py")).render(frames=3)
    assert len(clip) == 3


def test_bare_name_lookup(tmp_path, monkeypatch):
    (tmp_path / "sketches").mkdir()
    write_sketch(tmp_path / "sketches", SKETCH, "mine.py")
    monkeypatch.chdir(tmp_path)
    assert load_sketch("mine").name == "mine"
    with pytest.raises(InvalidInputError, match="Sketches here: mine"):
        load_sketch("other")


# ------------------------------------------------------------------------------------------ watch
def test_watcher_rerenders_and_keeps_last_good(tmp_path):
    path = write_sketch(tmp_path)
    clips, errors = [], []
    w = Watcher(path, lambda clip, sk: clips.append(clip), errors.append, frames=3, size=8)
    assert w.poll() and len(clips) == 1 and w.last_clip is clips[0]
    assert not w.poll()  # nothing changed
    good = path.read_text()
    bump(path, good.replace('"magma", choices', '"viridis", choices'))
    assert w.poll() and len(clips) == 2 and clips[1].recipe["params"]["colormap"] == "viridis"
    bump(path, good.replace("def sketch(p, seed, frames, size):", "def sketch(p, seed, frames, size):\n    1 / 0"))
    assert w.poll()
    assert len(clips) == 2 and len(errors) == 1 and isinstance(errors[0], SketchError) and "ZeroDivisionError" in str(errors[0])
    assert w.last_clip is clips[1] and w.last_error is errors[0]  # last good result kept
    bump(path, "def sketch(:\n")
    assert w.poll() and len(errors) == 2 and "SyntaxError" in str(errors[1])
    bump(path, good)
    assert w.poll() and len(clips) == 3 and w.last_error is None


def test_watcher_follows_local_modules(tmp_path):
    (tmp_path / "helper.py").write_text("COLORMAP = 'magma'\n")
    body = SKETCH.replace('    return clip | ga.render.colormap(p.colormap)', '    import helper\n    return clip | ga.render.colormap(helper.COLORMAP)')
    body = body.replace("from test_pipeline_toys import ToyModel", "from test_pipeline_toys import ToyModel\nimport helper")
    path = write_sketch(tmp_path, body)
    seen = []
    w = Watcher(path, lambda clip, sk: seen.append(clip.describe()), frames=2, size=8)
    w.poll()
    assert "magma" in seen[-1]
    assert any(f.name == "helper.py" for f in w.files)
    bump(tmp_path / "helper.py", "COLORMAP = 'viridis'\n")
    assert w.poll()
    assert "viridis" in seen[-1]


def test_watcher_in_a_background_thread_stops(tmp_path):
    path = write_sketch(tmp_path)
    got = threading.Event()
    w = Watcher(path, lambda clip, sk: got.set(), interval=0.05, frames=2, size=8)
    thread = w.start()
    assert got.wait(60)
    w.stop()
    assert not thread.is_alive()
    # the blocking helper returns once the event is set
    stop = threading.Event()
    stop.set()
    assert watch(path, lambda c, s: None, stop_event=stop).runs == 0


def test_on_clip_errors_keep_watching(tmp_path):
    path = write_sketch(tmp_path)
    errors = []

    def on_clip(clip, sk):
        raise RuntimeError("disk full")

    w = Watcher(path, on_clip, errors.append, frames=2, size=8)
    assert w.poll() and isinstance(errors[0], RuntimeError) and w.last_clip is None


def test_render_result_is_deterministic(tmp_path):
    sk = load_sketch(write_sketch(tmp_path))
    a = sk.render(seed=5).tensor()
    b = load_sketch(write_sketch(tmp_path)).render(seed=5).tensor()
    assert torch.equal(a, b)
    assert not torch.equal(a, sk.render(seed=6).tensor())
    time.sleep(0)  # keep the import of time used in helpers


def test_syntax_error_is_reported_once_without_toolkit_frames(tmp_path):
    from genart_kit.sketch import SketchError, load_sketch

    path = tmp_path / "broken.py"
    path.write_text("import genart_kit as ga\n\n\ndef sketch(p):\n    return (\n", encoding="utf-8")
    with pytest.raises(SketchError) as info:
        load_sketch(path)
    msg, details = str(info.value), info.value.details
    assert msg.count("line ") == 1, msg
    assert "genart_kit" not in details and "sketch.py" not in details.replace(str(path), "")
    assert "broken.py" in details and "SyntaxError" in details


def _exit_sketch(tmp_path, body, where="sketch"):
    code = "import sys\n"
    if where == "load":
        code += body + "\n"
    code += "def sketch(p, seed, frames, size):\n    " + (body if where == "sketch" else "pass") + "\n"
    path = tmp_path / "ex.py"
    path.write_text(code)
    return path


@pytest.mark.parametrize("body,text", [("sys.exit(0)", "called sys.exit(0)"), ("sys.exit(3)", "called sys.exit(3)"),
                                       ("raise GeneratorExit('g')", "GeneratorExit")])
def test_sys_exit_in_sketch_is_a_sketch_error(tmp_path, body, text):
    from genart_kit.sketch import SketchError, load_sketch

    with pytest.raises(SketchError, match=re.escape(text)):
        load_sketch(_exit_sketch(tmp_path, body)).render({}, seed=0, frames=2, size=8)
    with pytest.raises(SketchError, match=re.escape(text)):
        load_sketch(_exit_sketch(tmp_path, body, where="load"))


def test_run_reports_sys_exit_and_watcher_keeps_going(tmp_path, capsys):
    from genart_kit.cli import main
    from genart_kit.sketch import Watcher

    path = _exit_sketch(tmp_path, "sys.exit(0)")
    assert main(["run", str(path), "-o", str(tmp_path / "x.gif"), "-q"]) == 1
    assert "called sys.exit(0)" in capsys.readouterr().err
    assert not (tmp_path / "x.gif").exists()
    errors = []
    w = Watcher(path, lambda clip, sk: None, errors.append, frames=2, size=8)
    assert w.run_once() is None
    assert errors and "sys.exit(0)" in str(errors[0])
