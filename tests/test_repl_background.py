"""Jobs off the prompt thread: results, errors, progress, Ctrl-C cancellation, detaching; clip conversion."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from genart_kit.errors import Cancelled, InvalidInputError
from genart_kit.repl.background import (
    JobRunner,
    Preloader,
    check_cancelled,
    current_job,
    is_clip_like,
    iter_uint8_batches,
    materialize,
    report_progress,
)
from repl_fakes import FakeClip, solid, wait_for


@pytest.fixture
def runner():
    r = JobRunner()
    yield r
    r.shutdown()


def test_job_returns_result_on_a_worker_thread(runner):
    main = threading.get_ident()
    job = runner.submit(lambda: (threading.get_ident(), 6 * 7), label="answer")
    assert job.wait(5)
    assert job.status == "done"
    tid, value = job.result
    assert value == 42 and tid != main
    assert job.elapsed >= 0.0


def test_worker_thread_persists_between_jobs(runner):
    """Thread-local state (torch.no_grad, set_num_threads...) survives from one input to the next."""
    local = threading.local()

    def first():
        local.x = 1
        return threading.get_ident()

    a = runner.submit(first)
    a.wait(5)
    b = runner.submit(lambda: (threading.get_ident(), getattr(local, "x", None)))
    b.wait(5)
    assert b.result == (a.result, 1)


def test_job_error_is_recorded_not_raised(runner):
    job = runner.submit(lambda: 1 / 0)
    assert job.wait(5)
    assert job.status == "error" and isinstance(job.error, ZeroDivisionError)
    # the runner keeps working
    ok = runner.submit(lambda: "still alive")
    ok.wait(5)
    assert ok.result == "still alive"


def test_progress_and_current_job(runner):
    seen = []

    def work():
        job = current_job()
        for i in range(5):
            report_progress(i + 1, 5, label="steps")
            seen.append(job.completed)
        return job

    job = runner.submit(work)
    job.wait(5)
    assert job.result is job and job.completed == 5 and job.total == 5 and job.label == "steps"
    assert seen == [1, 2, 3, 4, 5]
    assert current_job() is None  # not inside a job here
    report_progress(1, 2)  # no-op outside a job
    check_cancelled()  # no-op outside a job


def test_cancel_stops_a_pure_python_loop(runner):
    """The asynchronous KeyboardInterrupt (PyThreadState_SetAsyncExc) stops `while True: pass`."""
    started = threading.Event()

    def spin():
        started.set()
        while True:
            pass

    job = runner.submit(spin)
    assert started.wait(5)
    job.cancel()
    assert job.wait(5)
    assert job.status == "cancelled" and isinstance(job.error, KeyboardInterrupt)
    after = runner.submit(lambda: "next job runs")
    assert after.wait(5) and after.result == "next job runs"


def test_cancel_is_cooperative_for_streaming_clips(runner):
    clip = FakeClip(solid((1, 2, 3), frames=400), delay=0.02)

    job = runner.submit(lambda: materialize(clip, batch_size=4))
    assert clip.started.wait(5)
    job.cancel(interrupt=False)  # only the event: the clip loop must notice it between batches
    assert job.wait(5)
    assert job.status == "cancelled" and isinstance(job.error, Cancelled)
    assert clip.batches < 100


def test_user_code_catching_exception_does_not_swallow_cancel(runner):
    started = threading.Event()

    def stubborn():
        started.set()
        while True:
            try:
                sum(range(100))
            except Exception:  # what careless user code does
                pass

    job = runner.submit(stubborn)
    started.wait(5)
    job.cancel()
    assert job.wait(5) and job.status == "cancelled"


def test_detached_job_does_not_block_the_next_one(runner):
    release = threading.Event()
    job = runner.submit(lambda: release.wait(30))  # blocked in C: the async interrupt cannot land
    wait_for(lambda: job.status == "running")
    job.cancel()
    assert not job.wait(0.2)
    runner.detach(job)
    nxt = runner.submit(lambda: threading.current_thread().name)
    assert nxt.wait(5) and nxt.status == "done"
    assert nxt.result.endswith("-2")  # a fresh worker
    release.set()
    assert job.wait(5)
    assert job.detached


def test_cancel_after_completion_is_harmless(runner):
    job = runner.submit(lambda: 1)
    job.wait(5)
    job.cancel()
    nxt = runner.submit(lambda: sum(range(10000)))
    assert nxt.wait(5) and nxt.status == "done" and nxt.result == 49995000


def test_preloader_imports_in_background():
    p = Preloader(modules=("json", "no_such_module_genart"), after=lambda: None).start()
    assert p.wait(10)
    assert p.stage == "ready"
    assert "no_such_module_genart" in p.errors and "json" not in p.errors
    assert p.timings["total"] >= 0


# ------------------------------------------------------------------------------------- conversion


def test_materialize_streams_and_reports_progress(runner):
    frames = np.arange(10 * 4 * 4 * 3, dtype=np.uint32).reshape(10, 4, 4, 3).astype(np.uint8)
    clip = FakeClip(frames)
    job = runner.submit(lambda: materialize(clip, batch_size=3))
    job.wait(5)
    assert job.status == "done"
    np.testing.assert_array_equal(job.result, frames)
    assert (job.completed, job.total) == (10, 10)
    assert clip.batches == 4


@pytest.mark.parametrize(
    "value, shape",
    [
        (np.zeros((2, 5, 6, 3), np.uint8), (2, 5, 6, 3)),
        (np.zeros((2, 5, 6), np.uint8), (2, 5, 6, 1)),
        (np.ones((2, 3, 5, 6), np.float32), (2, 5, 6, 3)),  # [T, C, H, W] float
        (np.zeros((9, 7, 3), np.uint8), (1, 9, 7, 3)),  # one image
    ],
)
def test_materialize_accepts_arrays(value, shape):
    out = materialize(value)
    assert out.shape == shape and out.dtype == np.uint8


def test_materialize_converts_floats_exactly():
    out = materialize(np.array([[[[0.0], [0.5], [1.0]]]], np.float32))
    assert out[0, 0, :, 0].tolist() == [0, 128, 255]


def test_materialize_accepts_torch_frames():
    import torch

    t = torch.zeros(3, 1, 4, 5)
    t[1] = 1.0
    out = materialize(t)
    assert out.shape == (3, 4, 5, 1) and out[1].min() == 255 and out[0].max() == 0


@pytest.mark.parametrize(
    "bad, words",
    [
        ("not a clip", "must be a clip"),
        (np.zeros((2, 5, 6, 7), np.uint8), "channels"),
        (np.full((2, 4, 4, 3), np.nan, np.float32), "NaN"),
        (np.zeros((0, 4, 4, 3), np.uint8), "empty"),
        (np.full((1, 4, 4, 3), 300, np.int32), "outside 0..255"),
    ],
)
def test_materialize_rejects_bad_input_clearly(bad, words):
    with pytest.raises(InvalidInputError, match=words):
        materialize(bad)


def test_materialize_size_limit_and_mixed_sizes():
    with pytest.raises(InvalidInputError, match="larger than"):
        materialize(np.zeros((4, 64, 64, 3), np.uint8), max_bytes=1000)

    class Mixed:
        def iter_uint8(self, batch_size):
            yield np.zeros((1, 4, 4, 3), np.uint8)
            yield np.zeros((1, 5, 4, 3), np.uint8)

    with pytest.raises(InvalidInputError, match="changed frame size"):
        materialize(Mixed())


def test_is_clip_like_and_iter_frames_protocol():
    class FloatClip:
        def __len__(self):
            return 2

        def iter_frames(self, batch_size=64):
            import torch

            yield torch.full((2, 3, 4, 4), 0.25)

    assert is_clip_like(FloatClip()) and is_clip_like(np.zeros(3)) and not is_clip_like([1, 2])
    (batch,) = list(iter_uint8_batches(FloatClip()))
    assert batch.shape == (2, 4, 4, 3) and int(batch[0, 0, 0, 0]) == 64


def test_materialize_bad_channels_names_the_shape():
    with pytest.raises(InvalidInputError, match=r"7 channels.*shape \[2, 5, 6, 7\]"):
        materialize(np.zeros((2, 5, 6, 7), np.uint8))


def test_first_prompt_reports_loading_the_text_encoder_to_the_job(runner):
    """The first prompt of a session loads the text encoder inside the job, and the spinner says so."""
    import genart_text.plugin

    from genart_kit import registry
    from genart_kit.conditioning import conditioner

    with registry.isolated(genart_text.plugin):
        def work():
            labels = []
            job = current_job()
            c = conditioner("tiny")
            labels.append(job.label)
            return c, labels

        job = runner.submit(work, label="input")
        job.wait(60)
        c, labels = job.result
    assert labels == ["loading text encoder 'tiny'"]
    assert c._encoder is not None  # weights loaded under that label, not in the first render
