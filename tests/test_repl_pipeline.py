"""The REPL with the real toolkit: models, the streamed pipeline, exporters, sketches, the browser preview."""

from __future__ import annotations

import http.client
import json
import time

import numpy as np
import pytest
from PIL import Image

from repl_fakes import RunningRepl, wait_for

SKETCH_OK = '''
"""Test sketch: a short noise loop."""
import genart_kit as ga
DEFAULTS = {"frames": 4, "fps": 8, "size": 28}


def sketch(p, seed, frames, size):
    m = ga.model("vae")
    return ga.latent.noise_loop(m, frames, seed=seed) | m | ga.render.colormap("%s")
'''

SKETCH_BROKEN = '''
import genart_kit as ga


def sketch(p, seed, frames, size):
    raise ValueError("a typo while live coding")
'''


@pytest.fixture(autouse=True)
def _data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))


def test_model_pipeline_loop_save_and_show(tmp_path, capsys):
    with RunningRepl() as (repl, send):
        send('vae = ga.model("vae")')
        send('clip = ga.latent.noise_loop(vae, frames=6, seed=1) | vae | ga.render.colormap("magma")')
        send("len(clip), clip.shape")
        send('loop("walk", clip, fps=12)')
        assert wait_for(lambda: "walk" in repl.loops.loops and repl.loops.loops["walk"].playing, 60)
        frames = repl.loops.loops["walk"].current.frames
        assert frames.shape == (6, 28, 28, 3) and frames.dtype == np.uint8
        send(f":save {tmp_path / 'walk.gif'}")
        send(f"save(clip, {str(tmp_path / 'clip.gif')!r}, fps=12)")
        send("show(clip, frames=3)")
        send('ga.model("vea")')  # a typo: one-line error with a suggestion, the session goes on
        send("vae.latent_dim")
    out = capsys.readouterr().out
    assert "(6, (6, 3, 28, 28))" in out
    assert f"saved loop 'walk' to {tmp_path / 'walk.gif'}" in out
    for name in ("walk.gif", "clip.gif"):
        im = Image.open(tmp_path / name)
        assert im.format == "GIF" and im.n_frames == 6 and im.size == (28, 28)
    assert "\x1b[38;2;" in out and "6 frames, 28x28 px" in out
    assert "UnknownNameError: unknown model 'vea'. Did you mean 'vae'" in out
    assert "16" in out.splitlines()


def test_ctrl_c_cancels_a_pipeline_render_and_writes_no_file(tmp_path, capsys):
    target = tmp_path / "long.gif"
    with RunningRepl() as (repl, send):
        send('vae = ga.model("vae")')
        send("long = ga.latent.noise_loop(vae, frames=100000, seed=1) | vae | ga.render.upscale(64)")
        send(f"save(long, {str(target)!r})", wait=False)
        assert wait_for(lambda: repl.last_job is not None and repl.last_job.completed > 0, 60)
        repl.session.input.send_text("\x03")
        assert wait_for(lambda: repl.last_job.done_event.is_set(), 30)
        send("'alive'")
    out = capsys.readouterr().out
    assert "cancelled after" in out and "'alive'" in out
    assert [p.name for p in tmp_path.iterdir() if p.name != "data"] == []  # atomic: nothing half-written


def test_ctrl_c_during_a_direct_clip_save_leaves_no_file(tmp_path, capsys):
    """`clip.save(...)` typed directly (no cancel event passed): the asynchronous KeyboardInterrupt stops it
    between batches and the exporter's atomic write leaves nothing behind."""
    target = tmp_path / "direct.gif"
    with RunningRepl() as (repl, send):
        send('vae = ga.model("vae")')
        send("long = ga.latent.noise_loop(vae, frames=100000, seed=1) | vae | ga.render.upscale(64)")
        send(f"long.save({str(target)!r}, fps=24)", wait=False)
        assert wait_for(lambda: repl.last_job is not None and repl.last_job.status == "running", 60)
        time.sleep(1.0)
        repl.session.input.send_text("\x03")
        assert wait_for(lambda: repl.last_job.done_event.is_set(), 30)
        send("'alive'")
    out = capsys.readouterr().out
    assert "cancelled after" in out and "'alive'" in out
    assert [p.name for p in tmp_path.iterdir() if p.name != "data"] == []  # no file, no temporary left


def test_watch_reruns_a_sketch_on_save_and_keeps_the_last_good_one(tmp_path, capsys):
    sk = tmp_path / "wiggle.py"
    sk.write_text(SKETCH_OK % "magma")
    with RunningRepl() as (repl, send):
        send(f":watch {sk}")
        assert wait_for(lambda: "wiggle" in repl.loops.loops and repl.loops.loops["wiggle"].playing, 60)
        lp = repl.loops.loops["wiggle"]
        assert lp.current.length == 4 and lp.current.fps == 8
        first = lp.current.frames.copy()

        time.sleep(0.05)
        sk.write_text(SKETCH_BROKEN)
        assert wait_for(lambda: repl.watches[str(sk.resolve())].runs >= 2 and not repl.loops.busy(), 30)
        time.sleep(0.3)
        assert lp.current.number == 1  # the last good version keeps playing

        sk.write_text(SKETCH_OK % "gray")
        assert wait_for(lambda: lp.current.number == 2, 30)
        assert not np.array_equal(lp.current.frames, first)
        send(":unwatch")
        assert not repl.watches
    out = capsys.readouterr().out
    assert "watching" in out and "as loop 'wiggle'" in out
    assert "a typo while live coding" in out and "the last good version keeps playing" in out
    assert "loop 'wiggle' v2 swapped in" in out


def test_watch_with_run_options_and_parameters(tmp_path, capsys):
    sk = tmp_path / "opts.py"
    sk.write_text(
        "import genart_kit as ga\n"
        "from genart_kit.sketch import Param\n"
        'PARAMS = {"cmap": Param("magma")}\n'
        'DEFAULTS = {"frames": 4, "fps": 8, "size": 28}\n\n\n'
        "def sketch(p, seed, frames, size):\n"
        '    m = ga.model("vae")\n'
        "    return ga.latent.noise_loop(m, frames, seed=seed) | m | ga.render.colormap(p.cmap)\n")
    with RunningRepl() as (repl, send):
        send(f":watch {sk} frames=3 fps=5 cmap=gray")
        assert wait_for(lambda: "opts" in repl.loops.loops and repl.loops.loops["opts"].playing, 60)
        cur = repl.loops.loops["opts"].current
        assert cur.length == 3 and cur.fps == 5
        frame = cur.frames[0]
        assert (frame[..., 0] == frame[..., 1]).all()  # the gray colour map: R == G == B
        send(f":watch {sk} nonsense")
    out = capsys.readouterr().out
    assert "sketch parameters are NAME=VALUE" in out


def test_watch_rejects_missing_files(capsys):
    with RunningRepl() as (repl, send):
        send(":watch /no/such/sketch.py")
    assert "sketch file not found" in capsys.readouterr().out


def test_preview_command_serves_the_loops(capsys):
    with RunningRepl() as (repl, send):
        send("import numpy as np")
        send('loop("dots", np.full((3, 5, 5, 3), 200, np.uint8), fps=5)')
        assert wait_for(lambda: "dots" in repl.loops.loops and repl.loops.loops["dots"].playing, 30)
        send(":preview")
        port = repl.web.port
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/state.json")
        state = json.loads(conn.getresponse().read())
        conn.close()
        send(":preview stop")
        assert repl.web is None
    out = capsys.readouterr().out
    assert f"browser preview at http://127.0.0.1:{port}/" in out
    assert [l["name"] for l in state["loops"]] == ["dots"]


def test_repl_save_embeds_a_recipe(tmp_path, capsys):
    from genart_kit.export import read_recipe

    with RunningRepl() as (repl, send):
        send('vae = ga.model("vae")')
        send('loop("walk", ga.latent.noise_loop(vae, frames=4, seed=1) | vae, fps=12)')
        assert wait_for(lambda: "walk" in repl.loops.loops and repl.loops.loops["walk"].playing, 60)
        send(f":save {tmp_path / 'walk.gif'}")
    rec = read_recipe(tmp_path / "walk.gif")
    assert rec is not None and rec["fps"] == 12 and rec["frames"] == 4 and rec["model"] == "vae"
    assert 'loop("walk"' in rec["repl"]["code"]


def test_direct_clip_calls_report_frame_counts_to_the_job(tmp_path):
    with RunningRepl() as (repl, send):
        send('vae = ga.model("vae")')
        send("clip = ga.latent.noise_loop(vae, frames=40, seed=1) | vae")
        send("arr = clip.frames(batch_size=8)")
        job = repl.last_job
        assert job.total == 40 and job.completed == 40
        send(f"clip.save({str(tmp_path / 'd.gif')!r}, fps=12)")
        assert repl.last_job.total == 40 and repl.last_job.completed == 40


def test_pipeline_thread_defaults():
    import threading

    import genart_kit as ga
    from genart_kit.context import render_defaults
    from test_pipeline_toys import ToyModel

    m = ToyModel()
    clip = ga.latent.noise_loop(m, 10, seed=1) | m
    seen = []
    ev = threading.Event()
    with render_defaults(progress=lambda d, t: seen.append((d, t)), cancel=ev):
        clip.frames(batch_size=4)
        assert seen[-1] == (10, 10)
        ev.set()
        with pytest.raises(Exception) as info:
            clip.frames(batch_size=4)
        assert type(info.value).__name__ == "Cancelled"
    seen.clear()
    clip.frames()
    assert seen == []
