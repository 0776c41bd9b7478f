"""Progress bars (tqdm): drawn on a terminal only, ended by close(), silent afterwards (issue 16)."""

from __future__ import annotations

import io

from genart_kit.progress import RenderProgress, TrainingProgress


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_render_progress_draws_on_a_terminal_and_not_on_a_pipe():
    tty, pipe = Tty(), io.StringIO()
    for stream in (tty, pipe):
        bar = RenderProgress("walk", delay=0, stream=stream)
        for done in (10, 50, 96):
            bar(done, 96)
        bar.close()
        bar(96, 96)
    assert "walk" in tty.getvalue() and "96/96" in tty.getvalue() and tty.getvalue().endswith("\n")
    assert pipe.getvalue() == ""
    quiet = Tty()
    RenderProgress("walk", enabled=False, stream=quiet)(5, 10)
    assert quiet.getvalue() == ""


def test_training_progress_shows_losses_and_logs_plain_lines_on_a_pipe():
    tty = Tty()
    bar = TrainingProgress(100, "vae epoch 1/2", stream=tty)
    bar.update(40, {"loss": 0.5}, 120.0, force=True)
    bar.close()
    bar.update(50, {"loss": 0.4}, 120.0, force=True)
    text = tty.getvalue()
    assert "vae epoch 1/2" in text and "loss=0.500" in text and "120 img/s" in text and "40/100" in text
    assert "loss=0.400" not in text
    log = io.StringIO()
    bar = TrainingProgress(100, "gan", stream=log, log_every=3600)
    bar.update(1, {"d": 1.0}, 5.0)          # within log_every of the start: nothing
    bar.update(100, {"d": 0.25}, 5.0, force=True)
    assert log.getvalue().count("\n") == 1 and "\r" not in log.getvalue() and "d=0.250" in log.getvalue()
