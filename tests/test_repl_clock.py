"""The REPL's shared clock: loops on the beat stay in phase, swaps take the clock's phase, audio-length loops.

Every test injects a fake time source and moves it by hand: no sleeps, no wall-clock limits on behaviour.
"""

from __future__ import annotations

import math
import re
import sys

import numpy as np
import pytest

import genart_kit as ga
from genart_kit.errors import InvalidInputError
from genart_kit.repl import commands
from genart_kit.repl.clock import Clock
from genart_kit.repl.loops import LoopManager
from genart_kit.repl.preview_term import TerminalPreview
from repl_fakes import FakeTime, solid, wait_for


@pytest.fixture
def t():
    return FakeTime(100.0)


@pytest.fixture
def mgr(t):
    messages: list[str] = []
    m = LoopManager(notify=messages.append, clock=Clock(t))
    m.messages = messages
    yield m
    m.close()


def ramp(frames, offset=0):
    """[T, 2, 2, 1] uint8 frames whose value is the frame index (+ offset): the frame shown is readable."""
    arr = np.zeros((frames, 2, 2, 1), np.uint8)
    arr[:, :, :, 0] = (np.arange(frames) + offset)[:, None, None]
    return arr


def define(mgr, name, clip, **kwargs):
    """Define a loop and wait until its render is done (the fake clock does not move meanwhile)."""
    lp = mgr.define(name, clip, **kwargs)
    assert wait_for(lambda: lp.rendering is None, 10)
    return lp


# ------------------------------------------------------------------------------------------ the clock
def test_clock_counts_beats_and_keeps_them_continuous_across_tempo_changes(t):
    clock = Clock(t, bpm=120)
    assert clock() == 100.0 and clock.beat(101.5) == pytest.approx(3.0) and clock.seconds(101.5) == 1.5
    t.set(102.0)  # beat 4
    assert clock.set_tempo(60) == 120 and clock.bpm == 60
    assert clock.beat(102.0) == pytest.approx(4.0)  # no jump
    assert clock.beat(103.0) == pytest.approx(5.0)  # one beat per second now
    assert clock.time_of_beat(6.0) == pytest.approx(104.0)
    clock.reset(110.0)
    assert clock.beat(110.0) == 0.0 and clock.seconds(111.0) == 1.0 and clock.bpm == 60
    assert clock.describe(111.0) == "clock 60 BPM, beat 1.00 (bar 1, beat 2.00 of 4), 1.00 s"


# ------------------------------------------------------------------------------------ loops on the beat
def test_frame_index_follows_the_clock(mgr):
    lp = define(mgr, "a", ramp(8), bpm=120, beats=4)  # 4 beats at 120 BPM: a 2 s cycle, 4 frames a second
    times = [100.0, 100.24, 100.25, 101.0, 101.99, 102.0, 102.3]
    assert [lp.frame_index(x) for x in times] == [0, 0, 1, 4, 7, 0, 1]
    assert int(lp.frame(100.25)[0, 0, 0]) == 1
    assert lp.current.fps == pytest.approx(4.0) and lp.cycle_end(100.5) == pytest.approx(102.0)
    assert mgr.clock.bpm == 120 and any("4 beats on the clock at 120 BPM" in m for m in mgr.messages)


def test_loops_started_at_different_times_stay_in_phase(mgr, t):
    t.set(100.3)
    a = define(mgr, "a", ramp(8), bpm=120, beats=4)
    t.set(103.7)  # beat 7.4: 3.4 beats into a 4-beat cycle
    b = define(mgr, "b", ramp(16), beats=4)  # no bpm: the clock's tempo
    free = define(mgr, "free", ramp(8), fps=4)  # a free-running loop starts at its own frame 0, as before
    assert (a.start, b.start) == (100.3, 103.7)
    assert b.frame_index(103.7) == 13 and a.frame_index(103.7) == 6 and free.frame_index(103.7) == 0
    for now in (103.7, 104.0, 105.55, 111.1, 250.0):
        assert a.cycles(now) == pytest.approx(b.cycles(now))
        assert b.frame_index(now) // 2 == a.frame_index(now)
    t.set(105.0)
    c = define(mgr, "c", ramp(8), beats=8)  # a longer cycle: all meet at frame 0 on beat 16, 24, ...
    assert [lp.frame_index(108.0) for lp in (a, b, c)] == [0, 0, 0]
    assert [lp.frame_index(112.0) for lp in (a, b, c)] == [0, 0, 0]
    assert c.frame_index(110.0) == 4  # beat 20: half-way through its 8 beats


def test_tempo_change_keeps_every_loop_in_phase(mgr, t):
    a = define(mgr, "a", ramp(8), bpm=120, beats=4)
    b = define(mgr, "b", ramp(4), beats=2)
    t.set(101.0)  # beat 2
    assert mgr.set_tempo(240) == 120
    assert a.frame_index(101.0) == 4 and b.frame_index(101.0) == 0  # no jump at the change
    assert a.frame_index(101.25) == 6  # beat 3: twice as fast from here on
    assert a.current.fps == pytest.approx(8.0) and b.current.fps == pytest.approx(8.0)
    for now in (101.0, 101.3, 102.77):
        assert (2 * a.cycles(now)) % 1 == pytest.approx(b.cycles(now) % 1)
    assert "tempo 120 -> 240 BPM" in mgr.messages


def test_swap_now_takes_the_clock_phase(mgr, t):
    lp = define(mgr, "a", ramp(8), bpm=120, beats=4)
    t.set(101.5)  # beat 3 of 4: phase 0.75
    define(mgr, "a", ramp(4, offset=100), beats=4, swap="now")
    assert lp.current.number == 2
    assert lp.frame_index(101.5) == 3 and int(lp.frame(101.5)[0, 0, 0]) == 103  # not frame 0


def test_swap_at_the_cycle_boundary_of_the_clock(mgr, t):
    lp = define(mgr, "a", ramp(8), bpm=120, beats=4)
    t.set(100.5)
    define(mgr, "a", ramp(4, offset=50), beats=2)
    assert lp.pending is not None and lp.current.number == 1
    t.set(101.9)
    mgr.update()
    assert lp.current.number == 1  # the boundary is beat 4 (102.0)
    t.set(102.01)
    mgr.update()
    assert wait_for(lambda: lp.current.number == 2, 10)
    assert lp.start == pytest.approx(102.0) and lp.pending is None
    assert lp.frame_index(102.01) == 0 and lp.frame_index(102.5) == 2  # beat 5: half-way through 2 beats
    assert any("v2 swapped in" in m for m in mgr.messages)


def test_pending_swap_follows_a_tempo_change(mgr, t):
    lp = define(mgr, "a", ramp(8), bpm=120, beats=4)
    t.set(100.5)
    define(mgr, "a", ramp(8, offset=10), beats=4)
    t.set(101.0)  # beat 2; at 60 BPM beat 4 comes at 103.0, not 102.0
    mgr.set_tempo(60)
    t.set(102.5)
    mgr.update()
    assert lp.current.number == 1
    t.set(103.0)
    mgr.update()
    assert wait_for(lambda: lp.current.number == 2, 10) and lp.start == pytest.approx(103.0)


@pytest.mark.parametrize(
    "kwargs, words",
    [
        (dict(bpm=0), r"bpm must be positive, got 0\. Give a tempo in beats per minute, e\.g\. bpm=120"),
        (dict(bpm=-120), r"bpm must be positive.*e\.g\. bpm=120"),
        (dict(bpm=float("nan")), r"bpm must be a finite number.*e\.g\. bpm=120"),
        (dict(bpm=float("inf")), r"bpm must be a finite number"),
        (dict(bpm="fast"), r"bpm must be a number, got 'fast'.*e\.g\. bpm=120"),
        (dict(bpm=True), r"bpm must be a number"),
        (dict(beats=0), r"beats must be positive.*e\.g\. beats=8"),
        (dict(bpm=120, beats=-4), r"beats must be positive"),
        (dict(beats=float("nan")), r"beats must be a finite number"),
        (dict(beats="8"), r"beats must be a number.*e\.g\. beats=8"),
        (dict(bpm=120, fps=12), r"not both \(drop fps=\)"),
        (dict(audio=object()), r"audio= takes ga\.audio\.features"),
        (dict(audio=2.0, bpm=120), r"audio= makes the loop last as long as the audio; drop bpm="),
        (dict(audio=0.0), r"duration.*must be positive"),
        (dict(fps=0), r"fps must be positive, got 0\. Give frames per second up to 120, e\.g\. fps=24"),
        (dict(fps=500), r"fps must be at most 120, got 500\. Give frames per second up to 120, e\.g\. fps=24"),
    ],
)
def test_bad_timing_is_a_one_line_error_that_changes_nothing(mgr, kwargs, words):
    with pytest.raises(InvalidInputError, match=words) as info:
        mgr.define("w", solid((1, 2, 3)), **kwargs)
    assert "\n" not in str(info.value)
    assert "w" not in mgr.loops and mgr.clock.bpm == 120


def test_bad_tempo_is_refused(mgr):
    for bad in (0, -1, float("nan"), "x", None):
        with pytest.raises(InvalidInputError, match="bpm"):
            mgr.set_tempo(bad)
    assert mgr.clock.bpm == 120


# -------------------------------------------------------------------------------- audio-driven loops
def _features(frames=25, fps=10.0):
    """AudioFeatures of a 2.5 s track at 10 fps with a beat every 5 frames (built directly: no librosa run)."""
    from genart_kit.audio.analysis import AudioFeatures

    beats = np.arange(0, frames, 5)
    onset = np.zeros(frames, np.float32)
    onset[beats] = 1.0
    zeros = np.zeros(frames, np.float32)
    return AudioFeatures(fps=fps, onset=onset, rms=zeros, centroid=zeros, chroma=np.zeros((frames, 12), np.float32),
                         mel=np.zeros((frames, 8), np.float32), beats=beats, beat_times=beats / fps, tempo=120.0,
                         sections=np.zeros(frames, np.int64))


def test_audio_driven_clip_loops_for_the_audio_duration(mgr, t):
    feats = _features()
    env = ga.audio.attack_release(ga.audio.threshold(feats.onset, 0.15), attack=0, release=2)
    clip = np.repeat((np.asarray(env) * 255).astype(np.uint8)[:, None, None, None], 4, axis=1).repeat(4, axis=2)
    clip = np.repeat(clip, 3, axis=3)  # [25, 4, 4, 3]: a flash on every beat, fading out
    lp = define(mgr, "pulse", clip, audio=feats)
    assert lp.current.timing.seconds == pytest.approx(2.5) and lp.current.fps == pytest.approx(10.0)
    # frame i shows during [i / fps, (i + 1) / fps) seconds of the clock, the rule the features use
    seconds = [0.0, 0.05, 0.1, 0.49, 0.5, 2.49, 2.5, 3.0]
    assert [lp.frame_index(100.0 + s) for s in seconds] == [math.floor(s * 10) % 25 for s in seconds]
    assert int(lp.frame(100.5)[0, 0, 0]) == 255 and int(lp.frame(100.7)[0, 0, 0]) < 255  # beat frame 5, then decay
    mgr.set_tempo(60)  # the audio's length does not follow the tempo
    assert lp.frame_index(100.5) == 5 and lp.current.fps == pytest.approx(10.0)
    mgr.clock.reset(101.23)  # the music starts elsewhere: frame 0 on its downbeat
    assert lp.frame_index(101.23) == 0 and lp.frame_index(101.73) == 5
    row = mgr.table()[0]
    assert row["timing"] == "2.50 s (audio)" and row["seconds"] == pytest.approx(2.5) and row["beats"] is None
    # no sound device is opened or needed
    assert not {"sounddevice", "pyaudio", "simpleaudio"} & set(sys.modules)


def test_audio_track_stretches_the_clip_to_its_duration(mgr):
    track = ga.audio.Audio(samples=np.zeros(16000, np.float32), sr=8000)  # 2.0 s
    lp = define(mgr, "track", ramp(25), audio=track)
    assert lp.current.timing.seconds == 2.0 and lp.current.fps == pytest.approx(12.5)
    assert [lp.frame_index(100.0 + s) for s in (0.0, 0.08, 1.0, 1.99, 2.0)] == [0, 1, 12, 24, 0]


# -------------------------------------------------------------------------------------- the listing
def test_loops_listing_shows_tempo_beats_and_phase(mgr, t):
    define(mgr, "beat", ramp(8), bpm=120, beats=4)
    define(mgr, "pulse", ramp(25), audio=_features())
    define(mgr, "free", ramp(8), fps=4)
    t.set(101.0)

    class Repl:
        loops = mgr
        lines: list[str] = []
        echo = lines.append

    commands.print_loops(Repl)
    out = "\n".join(Repl.lines)
    assert Repl.lines[0] == "clock 120 BPM, beat 2.00 (bar 1, beat 3.00 of 4), 1.00 s"
    assert re.search(r"CYCLE\s+PHASE", out)
    assert re.search(r"beat\s+v1\s+8\s+2x2\s+4\s+playing\s+4 beats @ 120 BPM\s+beat 2\.00/4", out)
    assert re.search(r"pulse\s+v1\s+25\s+2x2\s+10\s+playing\s+2\.50 s \(audio\)\s+1\.00/2\.50 s", out)
    assert re.search(r"free\s+v1\s+8\s+2x2\s+4\s+playing\s+2\.00 s\s+frame 4/8", out)
    status = TerminalPreview(mgr).status_line()  # the terminal preview's status line shows the phase too
    assert "\u25b6 beat v1 8f@4 beat 2.00/4" in status and "pulse v1 25f@10 1.00/2.50 s" in status
    assert "\u25b6 free v1 8f@4" in status and "free v1 8f@4 frame" not in status
