"""Live loops: swap at the next cycle, errors keep the old version, stop / hush / solo."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from genart_kit.errors import InvalidInputError, UnknownNameError
from genart_kit.repl.loops import LoopManager
from repl_fakes import FakeClip, solid, wait_for


@pytest.fixture
def mgr():
    messages: list[str] = []
    m = LoopManager(notify=messages.append)
    m.messages = messages
    yield m
    m.close()


def color_now(lp):
    return tuple(int(v) for v in lp.frame()[0, 0])


def test_first_definition_plays_at_once(mgr):
    mgr.define("walk", solid((255, 0, 0)), fps=20)
    assert mgr.wait_idle(5)
    lp = mgr.loops["walk"]
    assert lp.playing and lp.current.number == 1 and lp.current.length == 4
    assert color_now(lp) == (255, 0, 0)
    assert any("loop 'walk' v1 playing" in m for m in mgr.messages)


def test_frame_index_is_time_based(mgr):
    frames = np.zeros((4, 2, 2, 1), np.uint8)
    frames[:, 0, 0, 0] = [0, 1, 2, 3]
    mgr.define("t", frames, fps=10)
    mgr.wait_idle(5)
    lp = mgr.loops["t"]
    s = lp.start
    assert [lp.frame_index(s + dt) for dt in (0.0, 0.05, 0.1, 0.25, 0.39, 0.41)] == [0, 0, 1, 2, 3, 0]
    assert lp.cycle_end(s + 0.05) == pytest.approx(s + 0.4)
    assert lp.cycle_end(s + 0.41) == pytest.approx(s + 0.8)


def test_redefinition_swaps_at_the_next_cycle_boundary(mgr):
    mgr.define("walk", solid((255, 0, 0), frames=8), fps=16)  # 0.5 s cycle
    mgr.wait_idle(5)
    lp = mgr.loops["walk"]
    old_start = lp.start
    mgr.define("walk", solid((0, 0, 255), frames=8), fps=16)
    # rendered quickly; it must wait for the boundary, the old version still playing meanwhile
    wait_for(lambda: lp.pending is not None or lp.current.number == 2, 5)
    if lp.pending is not None:
        assert color_now(lp) == (255, 0, 0)
    assert wait_for(lambda: lp.current.number == 2, 5)
    assert color_now(lp) == (0, 0, 255)
    # the swap happened exactly on a cycle boundary of the old version
    cycles = (lp.start - old_start) / 0.5
    assert abs(cycles - round(cycles)) < 1e-6 and round(cycles) >= 1
    assert any("v2 swapped in" in m for m in mgr.messages)
    assert lp.swaps == 2


def test_swap_now(mgr):
    mgr.define("w", solid((255, 0, 0), frames=100), fps=1)  # 100 s cycle
    mgr.wait_idle(5)
    mgr.define("w", solid((0, 255, 0), frames=4), fps=1, swap="now")
    assert mgr.wait_idle(5)
    assert color_now(mgr.loops["w"]) == (0, 255, 0)


def test_failed_redefinition_keeps_the_old_version(mgr):
    mgr.define("walk", solid((255, 0, 0)), fps=20)
    mgr.wait_idle(5)
    before = mgr.version
    mgr.define("walk", FakeClip(solid((0, 0, 255), frames=64), fail_after=1), fps=20)
    assert mgr.wait_idle(5)
    lp = mgr.loops["walk"]
    assert lp.current.number == 1 and color_now(lp) == (255, 0, 0)
    assert lp.last_error.startswith("RuntimeError: boom")
    failure = [m for m in mgr.messages if "failed" in m]
    assert failure and "v2 failed (v1 keeps playing)" in failure[0] and "boom in the renderer" in failure[0]
    assert mgr.version == before  # the previews did not change


def test_failing_callable_definition_keeps_the_old_version(mgr):
    mgr.define("walk", solid((255, 0, 0)), fps=20)
    mgr.wait_idle(5)

    def broken():
        raise NameError("name 'vea' is not defined")

    mgr.define("walk", broken)
    mgr.wait_idle(5)
    assert color_now(mgr.loops["walk"]) == (255, 0, 0)
    assert any("NameError" in m for m in mgr.messages)


def test_failing_first_definition_leaves_no_loop(mgr):
    mgr.define("bad", FakeClip(solid((1, 1, 1)), fail_after=0))
    mgr.wait_idle(5)
    assert "bad" not in mgr.loops
    assert any("v1 failed (nothing is playing)" in m for m in mgr.messages)


def test_newest_definition_wins(mgr):
    slow = FakeClip(solid((255, 0, 0), frames=200), delay=0.02)
    mgr.define("w", slow, fps=10, swap="now")
    assert slow.started.wait(5)
    mgr.define("w", solid((0, 255, 0)), fps=10, swap="now")
    assert mgr.wait_idle(5)
    time.sleep(0.1)
    lp = mgr.loops["w"]
    assert color_now(lp) == (0, 255, 0) and lp.current.number == 2
    assert slow.batches < 200 // 32 + 1  # the superseded render was cancelled early


def test_callable_source_renders_on_a_background_thread(mgr):
    seen = []

    def make():
        seen.append(threading.current_thread().name)
        return solid((9, 9, 9))

    mgr.define("cb", make)
    mgr.wait_idle(5)
    assert seen and seen[0].startswith("genart-loop-cb")
    assert color_now(mgr.loops["cb"]) == (9, 9, 9)


def test_stop_hush_solo(mgr):
    for name, c in (("a", 10), ("b", 20), ("c", 30)):
        mgr.define(name, solid((c, c, c)))
    mgr.wait_idle(5)
    assert [lp.name for lp in mgr.visible()] == ["a", "b", "c"]
    mgr.solo("b")
    assert [lp.name for lp in mgr.visible()] == ["b"]
    assert {r["name"]: r["state"] for r in mgr.table()} == {"a": "hidden", "b": "solo", "c": "hidden"}
    assert mgr.focus().name == "b"
    mgr.solo(None)
    assert len(mgr.visible()) == 3
    mgr.stop("a")
    assert list(mgr.loops) == ["b", "c"]
    with pytest.raises(UnknownNameError, match="Did you mean 'b'"):
        mgr.stop("bb")
    with pytest.raises(UnknownNameError):
        mgr.solo("zzz")
    assert mgr.hush() == 2
    assert not mgr.loops and mgr.visible() == []


def test_hush_cancels_renders(mgr):
    slow = FakeClip(solid((1, 2, 3), frames=400), delay=0.02)
    mgr.define("slow", slow)
    assert slow.started.wait(5)
    mgr.hush()
    assert mgr.wait_idle(2)
    time.sleep(0.1)
    assert "slow" not in mgr.loops and slow.batches < 400 // 32


def test_version_and_wait_version(mgr):
    v0 = mgr.version
    mgr.define("x", solid((1, 1, 1)))
    assert mgr.wait_version(v0, timeout=5) > v0
    v1 = mgr.version
    assert mgr.wait_version(v1, timeout=0.05) == v1  # times out, unchanged


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(name="1abc", source=solid((0, 0, 0))), "not valid"),
        (dict(name="a/b", source=solid((0, 0, 0))), "not valid"),
        (dict(name="ok", source=solid((0, 0, 0)), fps=0), "fps"),
        (dict(name="ok", source=solid((0, 0, 0)), fps="fast"), "fps"),
        (dict(name="ok", source=solid((0, 0, 0)), swap="later"), "swap"),
        (dict(name="ok", source=42), "needs a clip"),
    ],
)
def test_define_rejects_bad_arguments(mgr, kwargs, words):
    with pytest.raises(InvalidInputError, match=words):
        mgr.define(**kwargs)


def test_function_with_cycle_is_re_evaluated_every_cycle(mgr):
    """Sonic Pi's live_loop: the body runs again for each cycle; swaps happen on boundaries."""
    calls = []

    def walk(cycle):
        calls.append(cycle)
        return solid((cycle * 40 % 256, 0, 0), frames=2)

    lp = mgr.define("walk", walk, fps=20)  # 0.1 s cycles
    assert wait_for(lambda: lp.current is not None and lp.current.cycle >= 3, 10)
    assert calls[:4] == [0, 1, 2, 3]
    cur = lp.current
    assert color_now(lp) == (cur.cycle * 40, 0, 0)
    # each cycle starts exactly on a boundary of the previous one: no gap, no jump
    s1, c1 = lp.start, lp.current.cycle
    assert wait_for(lambda: lp.current.cycle > c1, 10)
    cycles = (lp.start - s1) / 0.1
    assert abs(cycles - round(cycles)) < 1e-6 and round(cycles) >= 1
    assert [m for m in mgr.messages if "swapped in" in m] == []  # per-cycle swaps are silent
    assert any("re-evaluated every cycle" in m for m in mgr.messages)
    row = mgr.table()[0]
    assert row["cycle"] == lp.current.cycle and row["rendering"] is None


def test_failing_cycle_repeats_the_last_good_one(mgr):
    def walk(cycle):
        if cycle == 2:
            raise ValueError("cycle two is broken")
        return solid((cycle * 50, 0, 0), frames=2)

    lp = mgr.define("walk", walk, fps=20)
    assert wait_for(lambda: any("cycle two is broken" in m for m in mgr.messages), 10)
    time.sleep(0.4)
    assert lp.current.cycle == 1 and color_now(lp) == (50, 0, 0)
    failure = [m for m in mgr.messages if "failed" in m]
    assert len(failure) == 1 and "v1 cycle 2 failed (its last good cycle repeats" in failure[0]
    # redefining restarts the chain
    mgr.define("walk", lambda cycle: solid((0, 9, 0), frames=2), fps=20, swap="now")
    assert wait_for(lambda: lp.current.number == 2 and lp.current.cycle >= 1, 10)
    mgr.hush()


@pytest.mark.parametrize("shape", [(2, 5, 6, 7), (2, 5, 6, 2)])
def test_define_rejects_bad_channel_count_at_once(mgr, shape):
    with pytest.raises(InvalidInputError, match=r"channels.*\[2, 5, 6, " + str(shape[-1]) + r"\]"):
        mgr.define("bad", np.zeros(shape, np.uint8))
    assert "bad" not in mgr.loops
