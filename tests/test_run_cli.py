"""`genart run` / `genart replay`: the shipped sketches, parameters, seed sweeps, replays, Ctrl-C, --watch."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from genart_kit.cli import main
from genart_kit.export import read_recipe

ROOT = Path(__file__).resolve().parents[1]
SKETCHES = sorted((ROOT / "sketches").glob("*.py"))
TESTS = Path(__file__).resolve().parent

TOY_SKETCH = f'''\
"""Toy sketch for CLI tests."""
import sys
sys.path.insert(0, {str(TESTS)!r})
import genart_kit as ga
from genart_kit.sketch import Param
from test_pipeline_toys import ToyModel

PARAMS = {{
    "radius": Param(1.0, min=0.0, max=2.0, help="loop radius"),
    "colormap": Param("magma", help="colour map"),
}}
DEFAULTS = {{"frames": 8, "size": 32, "fps": 10}}


def sketch(p, seed, frames, size):
    m = ToyModel()
    return ga.latent.noise_loop(m, frames, seed=seed, radius=p.radius) | m | ga.render.colormap(p.colormap) | ga.render.upscale(size)
'''


@pytest.fixture
def toy(tmp_path):
    path = tmp_path / "toy.py"
    path.write_text(TOY_SKETCH, encoding="utf-8")
    return path


def gif_frames(path: Path) -> tuple[int, tuple[int, int]]:
    with Image.open(path) as im:
        return im.n_frames, im.size


# ------------------------------------------------------------------------------- shipped sketches
def test_all_required_sketches_are_shipped():
    names = {p.stem for p in SKETCHES}
    assert {"latent_walk", "noise_loop", "mnist_morph", "count", "latent_grid", "tiles"} <= names


@pytest.mark.parametrize("sketch", SKETCHES, ids=[p.stem for p in SKETCHES])
def test_every_shipped_sketch_runs(sketch, tmp_path, capsys):
    out = tmp_path / f"{sketch.stem}.gif"
    status = main(["run", str(sketch), "-o", str(out), "--frames", "10", "--size", "32", "-q"])
    assert status == 0, capsys.readouterr().err
    n, size = gif_frames(out)
    assert n >= 10 and max(size) == 32
    recipe = read_recipe(out)
    assert recipe["sketch"]["name"] == sketch.stem and recipe["frames"] == 10 and recipe["size"] == 32
    assert str(out) in capsys.readouterr().out
    if sketch.stem in LOOPING:
        # a seamless loop: the jump from the last frame back to the first is no bigger than any other step
        frames = gif_arrays(out)
        steps = [np.abs(frames[i + 1] - frames[i]).mean() for i in range(len(frames) - 1)]
        assert np.abs(frames[0] - frames[-1]).mean() <= max(steps) * 1.05 + 1.0


LOOPING = {"latent_walk", "noise_loop", "mnist_morph", "latent_grid"}


def gif_arrays(path: Path) -> list:
    out = []
    with Image.open(path) as im:
        for i in range(im.n_frames):
            im.seek(i)
            out.append(np.asarray(im.convert("RGB"), dtype=np.float32))
    return out


def test_sketch_help_lists_parameters(capsys):
    assert main(["run", str(ROOT / "sketches" / "latent_walk.py"), "--help"]) == 0
    out = capsys.readouterr().out
    assert "keys" in out and "int in [1, 64], default 4" in out and "colormap" in out and "--frames N     48" in out


def test_run_help_without_sketch(capsys):
    assert main(["run", "--help"]) == 0
    assert "--seeds" in capsys.readouterr().out


# ----------------------------------------------------------------------------------- parameters
def test_run_toy_sketch_with_options(toy, tmp_path, capsys):
    out = tmp_path / "o.gif"
    assert main(["run", str(toy), "-o", str(out), "--seed", "3", "--frames", "5", "--fps", "5", "--size", "20",
                 "--param", "radius=0.5", "-p", "colormap=viridis", "-q"]) == 0
    assert gif_frames(out) == (5, (20, 20))
    r = read_recipe(out)
    assert r["seed"] == 3 and r["params"] == {"radius": 0.5, "colormap": "viridis"} and r["fps"] == 5.0
    assert "5 frames, 20x20" in capsys.readouterr().out


def test_default_output_name_is_next_to_nothing_surprising(toy, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(toy), "-q"]) == 0
    assert (tmp_path / "toy.gif").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (["-p", "radius=9"], "parameter 'radius' must be a number in [0, 2], got 9"),
        (["-p", "radius=abc"], "parameter 'radius' must be a number in [0, 2], got 'abc'"),
        (["-p", "radiuss=1"], "no parameter 'radiuss'. Did you mean 'radius'?"),
        (["-p", "radius"], "NAME=VALUE"),
        (["--frames", "0"], "frames must be a whole number >= 1"),
        (["--fps", "-3"], "fps must be a positive number"),
        (["--size", "0"], "size must be a whole number of pixels"),
        (["-o", "/nonexistent-folder/x.gif"], "does not exist"),
        (["-o", "out.unknown"], "suffix"),
        (["-p", "colormap=nope"], "unknown colour map 'nope'"),
        (["--seeds", "5..2"], "empty"),
    ],
)
def test_bad_input_is_one_clear_line(toy, tmp_path, monkeypatch, capsys, args, message):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(toy), "-q", *args]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("genart: error:") and message in err and "Traceback" not in err
    assert not list(tmp_path.glob("*.gif"))


def test_missing_sketch_and_sketch_errors(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.py")]) == 1
    assert "not found" in capsys.readouterr().err
    bad = tmp_path / "bad.py"
    bad.write_text("def sketch(p):\n    return nothing\n")
    assert main(["run", str(bad), "-o", str(tmp_path / "b.gif")]) == 1
    assert "NameError" in capsys.readouterr().err and not (tmp_path / "b.gif").exists()


# ---------------------------------------------------------------------------------- seed sweeps
def test_seed_sweep_contact_sheet_and_folder(toy, tmp_path, capsys):
    sheet = tmp_path / "sheet.gif"
    assert main(["run", str(toy), "--seeds", "0..3", "-o", str(sheet), "-q", "--size", "24"]) == 0
    n, size = gif_frames(sheet)
    assert n == 8 and size == (2 * 24 + 3 * 2, 2 * 24 + 3 * 2)
    assert read_recipe(sheet)["seeds"] == [0, 1, 2, 3]
    folder = tmp_path / "variants"
    assert main(["run", str(toy), "--seeds", "1,5", "-o", str(folder) + "/", "-q"]) == 0
    assert sorted(p.name for p in folder.iterdir()) == ["toy_seed1.gif", "toy_seed5.gif"]
    assert read_recipe(folder / "toy_seed5.gif")["seed"] == 5


# ---------------------------------------------------------------------------------------- replay
def test_replay_is_byte_identical_even_after_the_sketch_changes(toy, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "orig.gif"
    assert main(["run", "toy.py", "-o", str(out), "--seed", "7", "-p", "radius=0.8", "-q"]) == 0
    assert main(["replay", str(out), "--check", "-q", "--yes"]) == 0
    assert "identical" in capsys.readouterr().out
    toy.write_text(TOY_SKETCH.replace("radius=p.radius", "radius=p.radius * 2"))  # edited since
    assert main(["replay", str(out), "-o", str(tmp_path / "again.gif"), "--check", "-q", "--yes"]) == 1
    assert "--trust-embedded-source" in capsys.readouterr().err
    assert main(["replay", str(out), "-o", str(tmp_path / "again.gif"), "--check", "-q",
                 "--trust-embedded-source", "--yes"]) == 0
    text = capsys.readouterr().out
    assert "stored in the recipe" in text and "identical" in text
    assert main(["replay", str(out), "--show"]) == 0
    assert '"radius": 0.8' in capsys.readouterr().out


def test_replay_errors(tmp_path, capsys):
    plain = tmp_path / "plain.gif"
    Image.new("L", (4, 4)).save(plain)
    assert main(["replay", str(plain), "--yes"]) == 1
    assert "no genart recipe" in capsys.readouterr().err
    assert main(["replay", str(tmp_path / "missing.gif"), "--yes"]) == 1


# ------------------------------------------------------------------------------ Ctrl-C and watch
SLOW_SKETCH = TOY_SKETCH.replace(
    "    m = ToyModel()\n",
    "    import time\n    m = ToyModel()\n    def slow(frames):\n        time.sleep(0.05)\n        return frames\n",
).replace("| ga.render.upscale(size)", "| ga.render.upscale(size) | slow")


def _genart(args, cwd, **kw):
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    # Ctrl-C as in a terminal, even when the test run itself started with SIGINT ignored (a background job)
    return subprocess.Popen([sys.executable, "-m", "genart_kit", *args], cwd=cwd, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL), **kw)


def test_ctrl_c_stops_cleanly_and_leaves_no_partial_file(tmp_path):
    (tmp_path / "slow.py").write_text(SLOW_SKETCH)
    proc = _genart(["run", "slow.py", "--frames", "100000", "--batch-size", "1", "-o", "out.gif"], tmp_path)
    # wait until rendering has started writing (the exporter's temporary file or a few seconds)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if any(p.name != "slow.py" and p.name != "__pycache__" for p in tmp_path.iterdir()):
            break
        time.sleep(0.2)
    time.sleep(1.0)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "__pycache__") == ["slow.py"]


@pytest.mark.parametrize("args,sig,code", [
    (["run", "slow.py", "--frames", "100000", "--batch-size", "1", "-o", "out.png"], "SIGTERM", 143),
    (["run", "slow.py", "--frames", "100000", "--batch-size", "1", "-o", "outseq"], "SIGTERM", 143),
    (["run", "slow.py", "--frames", "100000", "--batch-size", "1", "-o", "out.gif"], "SIGHUP", 129),
])
def test_sigterm_and_sighup_clean_up_like_ctrl_c(tmp_path, args, sig, code):
    if not hasattr(signal, sig):
        pytest.skip(f"no {sig} here")
    (tmp_path / "slow.py").write_text(SLOW_SKETCH)
    proc = _genart(args, tmp_path)
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if any(p.name not in ("slow.py", "__pycache__") for p in tmp_path.iterdir()):
            break
        time.sleep(0.1)
    time.sleep(1.0)
    assert proc.poll() is None, proc.communicate()
    proc.send_signal(getattr(signal, sig))
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == code, err
    assert "terminated" in err and "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "__pycache__") == ["slow.py"]


def test_watch_rerenders_keeps_last_good_output_and_survives_errors(tmp_path):
    sketch = tmp_path / "w.py"
    sketch.write_text(TOY_SKETCH)
    out = tmp_path / "w.gif"
    proc = _genart(["run", "w.py", "--watch", "-o", "w.gif", "-q"], tmp_path)
    try:
        def wait_for(cond, what):
            deadline = time.time() + 120
            while time.time() < deadline:
                if cond():
                    return
                assert proc.poll() is None, proc.communicate()
                time.sleep(0.1)
            raise AssertionError(f"timed out waiting for {what}")

        wait_for(out.exists, "first render")
        first = out.read_bytes()
        st = sketch.stat()
        sketch.write_text(TOY_SKETCH.replace('"magma", help', '"viridis", help'))
        os.utime(sketch, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
        wait_for(lambda: out.read_bytes() != first, "re-render after save")
        second = out.read_bytes()
        st = sketch.stat()
        sketch.write_text(TOY_SKETCH.replace("    m = ToyModel()", "    m = ToyModel()\n    raise ValueError('oops')"))
        os.utime(sketch, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))
        time.sleep(3)
        assert proc.poll() is None  # never exits on a sketch error
        assert out.read_bytes() == second  # the last good output is kept
    finally:
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert "ValueError: oops" in stderr and "kept the last good output" in stderr
    assert stdout.count("wrote w.gif") == 2


def _bump(path, text):
    """Save *text* over *path* with an mtime 2 s later (a save the watcher cannot miss on coarse clocks)."""
    st = path.stat()
    path.write_text(text)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 2_000_000_000))


@pytest.mark.parametrize("loop, how", [
    ("while True:\n        pass", "stopped"),  # Python code: a KeyboardInterrupt ends it
    ("sum(range(10 ** 15))", "killed"),  # one C call holding the interpreter lock: only killing ends it
])
def test_watch_a_stuck_render_does_not_stop_later_saves(tmp_path, loop, how):
    sketch = tmp_path / "w.py"
    marker = tmp_path / "started"
    stuck = TOY_SKETCH.replace("    m = ToyModel()\n", f"    m = ToyModel()\n    open({str(marker)!r}, 'w').close()\n    {loop}\n")
    sketch.write_text(stuck)
    out = tmp_path / "w.gif"
    proc = _genart(["run", "w.py", "--watch", "-o", "w.gif", "-q"], tmp_path)
    try:
        deadline = time.time() + 120
        while not marker.exists():
            assert proc.poll() is None and time.time() < deadline, proc.communicate(timeout=5)
            time.sleep(0.1)
        _bump(sketch, TOY_SKETCH)  # the fix
        while not out.exists():
            assert proc.poll() is None and time.time() < deadline, "the fixed sketch was never rendered"
            time.sleep(0.1)
        _bump(sketch, stuck)  # stuck again, then fixed again: the watcher is still listening
        marker.unlink()
        while not marker.exists():
            assert proc.poll() is None and time.time() < deadline, "the second stuck run never started"
            time.sleep(0.1)
        first = out.read_bytes()
        _bump(sketch, TOY_SKETCH.replace('"magma", help', '"viridis", help'))
        while out.read_bytes() == first:
            assert proc.poll() is None and time.time() < deadline, "the second fix was never rendered"
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 0, stderr
    assert stdout.count("wrote w.gif") == 2, stdout + stderr
    assert stderr.count(f"w.py changed: {how} the unfinished run") == 2, stderr
    assert "Traceback" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "__pycache__") == ["started", "w.gif", "w.py"]


def test_run_path_imports_neither_torchvision_nor_matplotlib_nor_sympy(toy, tmp_path):
    code = (
        "import sys\n"
        "from genart_kit.cli import main\n"
        f"assert main(['run', {str(toy)!r}, '-o', {str(tmp_path / 'x.gif')!r}, '-q']) == 0\n"
        "print(sorted(m for m in ('torchvision', 'matplotlib', 'sympy') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


# ------------------------------------------------------------- replay of PNG sequences / sprite sheets
def test_replay_png_sequence_folder(toy, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "toy.py", "-o", "frames", "--seed", "3", "-q"]) == 0
    capsys.readouterr()
    assert main(["replay", "frames", "--check", "-q", "--yes"]) == 0
    assert "identical" in capsys.readouterr().out
    assert main(["replay", "frames/frames.json", "--check", "-q", "--yes"]) == 0
    assert "identical" in capsys.readouterr().out
    assert main(["replay", "frames/frame_000002.png", "--check", "-q", "--yes"]) == 0
    assert "identical" in capsys.readouterr().out
    assert main(["replay", "frames", "-o", "frames2", "--check", "-q", "--yes"]) == 0
    assert "identical" in capsys.readouterr().out
    assert (tmp_path / "frames2" / "frames.json").is_file()
    # no temp folders left behind
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


def test_replay_sprite_sheet_is_identical(toy, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "toy.py", "-o", "sheet.json", "--seed", "3", "-q"]) == 0
    capsys.readouterr()
    assert main(["replay", "sheet.json", "--check", "-q", "--yes"]) == 0
    assert "identical" in capsys.readouterr().out


def test_unknown_suffix_message_names_the_folder_form():
    from genart_kit.errors import GenartError
    from genart_kit.registry import get_registry

    with pytest.raises(GenartError) as exc:
        get_registry().find_exporter(".nope")
    msg = str(exc.value)
    assert "(no suffix: a folder of PNGs)" in msg and "Available: ," not in msg


def test_replay_note_when_sketch_file_missing(toy, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "orig.gif"
    assert main(["run", "toy.py", "-o", str(out), "-q"]) == 0
    other = tmp_path / "elsewhere"
    other.mkdir()
    monkeypatch.chdir(other)
    capsys.readouterr()
    assert main(["replay", str(out), "-o", "again.gif", "-q", "--yes"]) == 1
    assert "toy.py not found here" in capsys.readouterr().err
    assert main(["replay", str(out), "-o", "again.gif", "-q", "--trust-embedded-source", "--yes"]) == 0
    text = capsys.readouterr().out
    assert "not found; used" not in text and "toy.py not found here" in text
    assert main(["replay", str(out), "-o", "again2.gif", "-q", "--sketch", str(toy), "--yes"]) == 0
    assert f"sketch file {toy}" in capsys.readouterr().out


def test_replay_never_runs_embedded_source_without_opt_in(toy, tmp_path, capsys, monkeypatch):
    """A forged recipe whose embedded source creates a marker file must not run by default."""
    import hashlib
    import json

    monkeypatch.chdir(tmp_path)
    out = tmp_path / "orig.png"
    assert main(["run", "toy.py", "-o", str(out), "--frames", "1", "-q"]) == 0
    rec = read_recipe(out)
    marker = tmp_path / "PWNED"
    evil = TOY_SKETCH + f"\nopen({str(marker)!r}, 'w').write('x')\n"
    rec["source"] = evil
    rec["sketch"] = dict(rec["sketch"], path=str(tmp_path / "gone" / "toy.py"),
                         sha256=hashlib.sha256(evil.encode()).hexdigest())
    forged = _write_png_with_recipe(out, tmp_path / "forged.png", rec)
    assert read_recipe(forged)["source"] == evil, json.dumps(list(Image.open(forged).info))
    capsys.readouterr()
    assert main(["replay", str(forged), "-q", "--yes"]) == 1
    err = capsys.readouterr().err
    assert "--trust-embedded-source" in err and "--sketch" in err and "proves nothing" in err
    assert not marker.exists()
    assert main(["replay", str(forged), "-q", "--check", "--yes"]) == 1
    assert not marker.exists()
    assert main(["replay", str(forged), "-q", "--trust-embedded-source", "--yes"]) == 0
    assert marker.exists()


def test_replay_sheet_and_sequence_default_and_named_outputs(toy, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "toy.py", "-o", "sheet.json", "-q"]) == 0
    assert main(["replay", "sheet.json", "-o", "other.json", "--check", "-q", "--yes"]) == 0
    assert main(["replay", "sheet.json", "-q", "--yes"]) == 0
    assert (tmp_path / "sheet.replay.json").is_file()
    assert main(["run", "toy.py", "-o", "seq", "-q"]) == 0
    assert main(["replay", "seq", "-q", "--yes"]) == 0
    assert (tmp_path / "seq_replay" / "frames.json").is_file()
    assert main(["replay", "seq", "-o", "x.gif", "-q", "--yes"]) == 1
    assert "folder name without a suffix" in capsys.readouterr().err


def test_python_save_records_fps_and_replay_explains(tmp_path, capsys):
    import sys as _sys
    _sys.path.insert(0, str(TESTS))
    import genart_kit as ga
    from test_pipeline_toys import ToyModel

    m = ToyModel()
    out = ga.latent.noise_loop(m, 4, seed=5) | m
    path = out.save(tmp_path / "x.gif", fps=24)
    rec = read_recipe(path)
    assert rec["fps"] == 24 and rec["frames"] == 4 and rec["seed"] == 5 and rec["model"]
    assert main(["replay", str(path), "--yes"]) == 1
    err = capsys.readouterr().err
    assert "only files rendered from a sketch" in err and "genart run" in err


def test_fast_fps_gif_from_the_cli(toy, tmp_path, capsys):
    out = tmp_path / "fast.gif"
    assert main(["run", str(toy), "-o", str(out), "--fps", "60", "-q"]) == 1
    err = capsys.readouterr().err
    assert "--allow-fast-fps" in err and "allow_fast_fps=True" not in err
    assert main(["run", str(toy), "-o", str(out), "--fps", "60", "--allow-fast-fps", "-q"]) == 0
    assert main(["run", str(toy), "-o", str(tmp_path / "c.gif"), "-x", "colors=16", "-x", "dither=bayer", "-q"]) == 0
    assert main(["run", str(toy), "-o", str(tmp_path / "d.gif"), "-x", "nonsense", "-q"]) == 1
    assert "NAME=VALUE" in capsys.readouterr().err


def test_seed_sweep_thumb_and_one_model_load(tmp_path, capsys, monkeypatch):
    from genart_kit.registry import get_registry

    sk = tmp_path / "m.py"
    sk.write_text('import genart_kit as ga\nDEFAULTS = {"frames": 3, "size": 64, "fps": 10}\n\n\n'
                  'def sketch(p, seed, frames, size):\n    m = ga.model("vae")\n'
                  '    return ga.latent.noise_loop(m, frames, seed=seed) | m | ga.render.upscale(size)\n', encoding="utf-8")
    reg = get_registry()
    real = reg.load
    calls = []

    def counting(kind, name, *a, **k):
        if kind == "model":
            calls.append(name)
        return real(kind, name, *a, **k)

    monkeypatch.setattr(reg, "load", counting)
    out = tmp_path / "sheet.gif"
    assert main(["run", str(sk), "--seeds", "0..3", "--thumb", "32", "-o", str(out), "-q"]) == 0
    assert len(calls) == 1
    w, h = gif_frames(out)[1]
    assert (w, h) == (2 * 32 + 3 * 2, 2 * 32 + 3 * 2)


@pytest.mark.parametrize("name", ["d.gif", "d.png", "d.json", "seq"])
def test_replay_refuses_output_equal_to_input_and_check_never_overwrites(toy, tmp_path, capsys, monkeypatch, name):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "toy.py", "-o", name, "--frames", "2", "-q"]) == 0
    before = {p.name: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".py"}
    capsys.readouterr()
    for o in (name, f"./{name}", str(tmp_path / name)):
        assert main(["replay", name, "-o", o, "--check", "-q", "--yes"]) == 1
        assert "overwrite the input" in capsys.readouterr().err
    if name == "d.json":
        assert main(["replay", name, "-o", "d.png", "-q", "--yes"]) == 1
    if name == "seq":
        assert main(["replay", "seq/frame_000000.png", "-o", "seq", "-q", "--yes"]) == 1
        assert main(["replay", name, "-o", "seq/inner", "-q", "--yes"]) == 1
    after = {p.name: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".py"}
    assert after == before
    # --check renders into a temp location, then moves the result to -o
    other = "again" + Path(name).suffix
    assert main(["replay", name, "-o", other, "--check", "-q", "--yes"]) == 0
    assert "identical" in capsys.readouterr().out
    assert (tmp_path / other).exists()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_replay_versions_not_a_table(toy, tmp_path, capsys, monkeypatch):
    from PIL import PngImagePlugin

    from genart_kit.export.recipe import dumps_recipe

    monkeypatch.chdir(tmp_path)
    assert main(["run", "toy.py", "-o", "a.png", "--frames", "1", "-q"]) == 0
    for bad in ("1.0", ["x"]):
        rec = dict(read_recipe(tmp_path / "a.png"), versions=bad)
        info = PngImagePlugin.PngInfo()
        info.add_text("genart-kit:recipe", dumps_recipe(rec))
        with Image.open(tmp_path / "a.png") as im:
            im.save(tmp_path / "b.png", pnginfo=info)
        assert main(["replay", "b.png", "-o", "c.png", "-q", "--yes"]) == 0
        assert "versions" in capsys.readouterr().err


def test_empty_output_name_is_an_error(toy, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "toy.py", "-o", "", "-q"]) == 1
    assert "-o is empty" in capsys.readouterr().err
    assert not (tmp_path / "toy.gif").exists()


def test_run_png_sequence_twice(toy, tmp_path, capsys):
    out = tmp_path / "seqA"
    for _ in range(2):
        assert main(["run", str(toy), "-o", str(out), "--frames", "3", "--size", "16", "-q"]) == 0
    assert (out / "frames.json").is_file()


@pytest.mark.parametrize("kind", ["file_parent", "plainfile", "readonly"])
def test_sweep_folder_errors_are_clear(toy, tmp_path, capsys, monkeypatch, kind):
    if kind == "file_parent":
        (tmp_path / "a.gif").write_bytes(b"x")
        target = str(tmp_path / "a.gif" / "sub") + "/"
    elif kind == "plainfile":
        (tmp_path / "plainfile").write_bytes(b"x")
        target = str(tmp_path / "plainfile")
    else:
        def denied(self, *a, **k):
            raise PermissionError(13, "Permission denied", str(self))

        monkeypatch.setattr(Path, "mkdir", denied)
        ro = tmp_path / "ro"
        target = str(ro / "sub") + "/"
    status = main(["run", str(toy), "--seeds", "0..1", "-o", target, "--frames", "2", "--size", "16", "-q"])
    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith("genart: error:") and "Traceback" not in err
    assert "folder" in err


def test_run_on_a_folder_says_it_is_a_folder(tmp_path, capsys):
    assert main(["run", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert "is a folder" in err and ".py" in err


def _forge_recipe_path(src: Path, forged: Path, sketch_file: Path) -> None:
    """Copy PNG *src* to *forged* with a recipe that names *sketch_file* (and its true sha256, as an attacker can)."""
    import hashlib

    rec = read_recipe(src)
    rec.pop("source", None)
    rec["sketch"] = dict(rec["sketch"], path=str(sketch_file),
                         sha256=hashlib.sha256(sketch_file.read_bytes()).hexdigest())
    _write_png_with_recipe(src, forged, rec)


@pytest.mark.parametrize("is_sketch", [True, False])
def test_replay_never_runs_the_file_a_recipe_names_without_consent(toy, tmp_path, capsys, monkeypatch, is_sketch):
    """A recipe may name any .py file on disk with a matching sha256: replay runs it only when the user names it
    (--sketch) or confirms it (--yes, or a yes at the prompt); a file that is not a sketch is never imported."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "orig.png"
    assert main(["run", "toy.py", "-o", str(out), "--frames", "1", "-q"]) == 0
    marker = tmp_path / "PWNED"
    evil = tmp_path / "evil.py"
    body = TOY_SKETCH if is_sketch else "# not a sketch\n"
    evil.write_text(body + f"\nopen({str(marker)!r}, 'w').write('x')\n", encoding="utf-8")
    forged = tmp_path / "forged.png"
    _forge_recipe_path(out, forged, evil)
    capsys.readouterr()
    monkeypatch.setattr(sys.stdin, "isatty", lambda: False, raising=False)
    assert main(["replay", str(forged), "-q", "-o", "a.png"]) == 1
    err = capsys.readouterr().err
    assert str(evil) in err and "--sketch" in err and "--yes" in err
    assert not marker.exists()
    if is_sketch:
        assert main(["replay", str(forged), "-q", "-o", "b.png", "--yes"]) == 0
        assert marker.exists()
        assert f"sketch file {evil}" in capsys.readouterr().out
    else:
        for extra in (["--yes"], ["--sketch", str(evil)]):
            assert main(["replay", str(forged), "-q", "-o", "c.png", *extra]) == 1
            assert "defines no function `sketch" in capsys.readouterr().err
            assert not marker.exists()


def test_replay_asks_before_running_the_recorded_sketch_at_a_terminal(toy, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "orig.png"
    assert main(["run", "toy.py", "-o", str(out), "--frames", "1", "-q"]) == 0
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    answers = iter(["n", "y"])
    asked: list[str] = []
    monkeypatch.setattr("builtins.input", lambda prompt="": asked.append(prompt) or next(answers))
    assert main(["replay", str(out), "-q", "-o", "a.png"]) == 1
    assert "toy.py" in asked[0] and not (tmp_path / "a.png").exists()
    assert main(["replay", str(out), "-q", "-o", "b.png"]) == 0
    assert (tmp_path / "b.png").exists()


@pytest.mark.parametrize("field,value,message", [
    ("params", 3, "params"), ("frames", 100_000_000, "100000000 frames"), ("seed", "x", "seed"),
])
def test_replay_refuses_odd_or_huge_recipes_before_rendering(toy, tmp_path, capsys, monkeypatch, field, value, message):
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "orig.png"
    assert main(["run", "toy.py", "-o", str(out), "--frames", "1", "-q"]) == 0
    rec = read_recipe(out)
    rec[field] = value
    forged = _write_png_with_recipe(out, tmp_path / "odd.png", rec)
    capsys.readouterr()
    assert main(["replay", str(forged), "-q", "--sketch", str(toy), "-o", "r.png"]) == 1
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "r.png").exists()


IMAGE_SKETCH = TOY_SKETCH.replace(
    '"colormap": Param("magma", help="colour map"),',
    '"colormap": Param("magma", help="colour map"),\n    "images": Param("", help="an image file or folder"),')


@pytest.mark.parametrize("case", ["file", "folder", "inside-folder", "sketch", "helper"])
def test_run_refuses_an_output_that_is_one_of_its_inputs(tmp_path, capsys, monkeypatch, case):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "helper_mod.py").write_text("X = 1\n", encoding="utf-8")
    (tmp_path / "img.py").write_text("import helper_mod\n" + IMAGE_SKETCH, encoding="utf-8")
    photo = tmp_path / "photo.png"
    Image.fromarray(np.full((8, 8, 3), 200, np.uint8)).save(photo)
    folder = tmp_path / "shots"
    folder.mkdir()
    Image.fromarray(np.full((8, 8, 3), 100, np.uint8)).save(folder / "a.png")
    args = {"file": ["-p", f"images={photo}", "-o", "photo.png"],
            "folder": ["-p", "images=seq", "-o", "seq"],  # a PNG sequence written by genart, used as the input
            "inside-folder": ["-p", "images=shots", "-o", "shots/out.gif"],
            "sketch": ["-o", "img.py"],
            "helper": ["-o", "helper_mod.py"]}[case]
    assert main(["run", "img.py", "--frames", "2", "-q", "-o", "seq"]) == 0
    before = {p: p.read_bytes() for p in (photo, folder / "a.png", tmp_path / "img.py", tmp_path / "helper_mod.py",
                                          *sorted((tmp_path / "seq").iterdir()))}
    capsys.readouterr()
    assert main(["run", "img.py", "--frames", "2", "-q", *args]) == 1
    err = capsys.readouterr().err
    assert "input" in err and "Traceback" not in err, err
    assert {p: p.read_bytes() for p in before} == before
    assert sorted(x.name for x in folder.iterdir()) == ["a.png"]


@pytest.mark.parametrize("option,expected", [
    ("colours=64", "Did you mean 'colors'"), ("fps=1", "--fps"), ("path=x.gif", "-o"), ("progress=1", "-q"),
    ("recipe=1", "recipe"), ("cancel=1", "Ctrl-C"), ("batch_size=2", "--batch-size"),
])
def test_export_options_that_clash_or_are_misspelt_are_one_line_errors(toy, tmp_path, capsys, monkeypatch, option, expected):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "toy.py", "-o", "x.gif", "-q", "-x", option]) == 1
    err = capsys.readouterr().err
    assert expected in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert not (tmp_path / "x.gif").exists()


def test_clip_save_suggests_the_exporter_option_meant(tmp_path):
    sys.path.insert(0, str(TESTS))
    import genart_kit as ga
    from genart_kit.errors import InvalidInputError
    from test_pipeline_toys import ToyModel

    m = ToyModel()
    clip = ga.latent.noise_loop(m, 4, seed=0) | m
    with pytest.raises(InvalidInputError, match="Did you mean 'dither'"):
        clip.save(tmp_path / "x.gif", fps=10, dithr="bayer")
    assert not (tmp_path / "x.gif").exists()


@pytest.mark.parametrize("suffix", [".gif", ".png", ".webp"])
def test_replay_check_compares_what_was_rendered_not_the_recorded_path(toy, tmp_path, capsys, monkeypatch, suffix):
    """Replayed from another folder, the recipe records another sketch path, so the bytes differ; the frames
    and their timing do not, and --check says so (and what differs)."""
    monkeypatch.chdir(tmp_path)
    out = tmp_path / f"orig{suffix}"
    assert main(["run", "toy.py", "-o", str(out), "-q"]) == 0
    other = tmp_path / "elsewhere"
    other.mkdir()
    (other / "toy.py").write_text(toy.read_text())
    monkeypatch.chdir(other)
    capsys.readouterr()
    assert main(["replay", str(out), "--check", "-q", "--sketch", str(other / "toy.py"), "-o", f"again{suffix}"]) == 0
    text = capsys.readouterr().out
    assert "same frames and timing" in text and "sketch" in text, text
    # a real change of the frames is still caught
    (other / "toy.py").write_text(toy.read_text().replace("radius=p.radius", "radius=p.radius * 2"))
    assert main(["replay", str(out), "--check", "-q", "--sketch", "toy.py", "-o", f"again2{suffix}"]) == 1
    assert "frame" in capsys.readouterr().out


def _write_png_with_recipe(src: Path, dst: Path, rec: dict) -> Path:
    """Copy PNG *src* to *dst* with *rec* as its recipe chunk (a forged file, as an attacker would write it)."""
    from PIL import PngImagePlugin

    from genart_kit.export.recipe import dumps_recipe

    info = PngImagePlugin.PngInfo()
    info.add_text("genart-kit:recipe", dumps_recipe(rec))
    with Image.open(src) as im:
        im.save(dst, pnginfo=info)
    return dst


def test_replay_checks_embedded_source_for_a_top_level_sketch_too(toy, tmp_path, capsys, monkeypatch):
    import hashlib

    monkeypatch.chdir(tmp_path)
    out = tmp_path / "orig.png"
    assert main(["run", "toy.py", "-o", str(out), "--frames", "1", "-q"]) == 0
    rec = read_recipe(out)
    marker = tmp_path / "PWNED"
    evil = f"open({str(marker)!r}, 'w').write('x')\nif True:\n    def sketch(p, seed, frames, size):\n        pass\n"
    rec["source"] = evil
    rec["sketch"] = dict(rec["sketch"], path=str(tmp_path / "gone.py"), sha256=hashlib.sha256(evil.encode()).hexdigest())
    forged = _write_png_with_recipe(out, tmp_path / "forged.png", rec)
    capsys.readouterr()
    assert main(["replay", str(forged), "-q", "--trust-embedded-source", "-o", "r.png"]) == 1
    assert "defines no function `sketch" in capsys.readouterr().err
    assert not marker.exists()


def test_replay_survives_a_hostile_neighbouring_json(toy, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lay = tmp_path / "lay"
    lay.mkdir()
    assert main(["run", "toy.py", "-o", str(lay / "a.png"), "--frames", "1", "-q"]) == 0
    deep = "[" * 100_000 + "]" * 100_000
    (lay / "frames.json").write_text(deep)
    (lay / "a.json").write_text(deep)
    capsys.readouterr()
    assert main(["replay", str(lay / "a.png"), "--sketch", "toy.py", "-o", "out1.png", "-q"]) == 0
    assert "Traceback" not in capsys.readouterr().err


@pytest.mark.parametrize("option", ["self=1", "exporter=gif"])
def test_export_options_naming_save_internals_are_refused(toy, tmp_path, capsys, monkeypatch, option):
    monkeypatch.chdir(tmp_path)
    assert main(["run", "toy.py", "-o", "x.gif", "-q", "-x", option]) == 1
    err = capsys.readouterr().err
    assert "is not an exporter option" in err and "Traceback" not in err
