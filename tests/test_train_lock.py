"""The run-folder lock of ``genart train`` is an OS lock (issue 15): a second run into a held --out fails at
once naming the holder and the folder; a killed holder leaves nothing that blocks the next run; deleting the
lock file during a run does not let a second run in. Two real processes, synchronised by pipes (no sleeps)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from genart_kit.cli import main
from genart_kit.errors import InvalidInputError
from genart_kit.training.outputs import run_folder

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "mnist_small"
HOLDER = """
import sys
from pathlib import Path
from genart_kit.training.outputs import run_folder
with run_folder(Path(sys.argv[1])):
    print("locked", flush=True)
    sys.stdin.read()  # hold the lock until the parent closes our stdin
print("released", flush=True)
"""


@pytest.fixture
def holder(tmp_path: Path):
    """Start a process that holds the run-folder lock of ``tmp_path/run``; yield (process, folder)."""
    out = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(out)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, cwd=ROOT)
    try:
        assert proc.stdout.readline().strip() == "locked"
        yield proc, out
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_a_held_folder_is_refused_at_once_naming_the_holder_and_folder(holder, capsys) -> None:
    proc, out = holder
    with pytest.raises(InvalidInputError) as err:
        with run_folder(out):
            pass
    msg = str(err.value)
    assert f"pid {proc.pid}" in msg and str(out) in msg and "in use by another running genart train" in msg
    # the command says so in one line
    rc = main(["train", "vae", "--data-dir", str(FIXTURE), "--steps", "1", "--batch-size", "16", "--out", str(out), "--quiet"])
    captured = capsys.readouterr().err
    assert rc == 1 and f"pid {proc.pid}" in captured and "Traceback" not in captured, captured
    # released by the holder: the folder is free again
    proc.stdin.close()
    assert proc.stdout.readline().strip() == "released"
    proc.wait()
    with run_folder(out):
        pass


def test_a_killed_holder_leaves_no_stale_lock(holder) -> None:
    proc, out = holder
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    assert (out / ".genart-train.lock").exists()  # the file stays, but the OS lock went with the process
    with run_folder(out):
        pass


def test_deleting_the_lock_file_does_not_let_a_second_run_in(holder) -> None:
    proc, out = holder
    (out / ".genart-train.lock").unlink()
    with pytest.raises(InvalidInputError) as err:
        with run_folder(out):
            pass
    assert "in use by another running genart train" in str(err.value) and str(out) in str(err.value)
    proc.stdin.close()
    proc.wait()
    with run_folder(out):
        pass


def test_the_lock_file_names_its_holder(tmp_path: Path) -> None:
    import json

    out = tmp_path / "run"
    with run_folder(out):
        owner = json.loads((out / ".genart-train.lock").read_text(encoding="utf-8"))
        assert owner["pid"] == os.getpid() and owner["host"]
