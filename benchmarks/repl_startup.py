"""`genart repl` start-up: time to prompt, to the first answer, to the first model - against bare Python.

Run: ``python benchmarks/repl_startup.py [--repeat N]``. Writes ``benchmarks/results/repl_startup.json``.

Each REPL run happens in a pseudo-terminal (like a user's terminal; cursor-position requests are answered).
As soon as the prompt appears, ``6 * 7`` is typed - at that moment torch is still importing in the
background - then a line that loads a model and prints a marker. Measured from process start:

* ``time_to_prompt_s``: the ``>>>`` prompt is drawn;
* ``time_to_first_answer_s``: ``42`` is printed (plain Python answered while torch loads);
* ``time_to_first_model_s``: ``ga.model(NAME)`` returned (waits for the background import).

Baselines measured in the same run, interleaved: ``python -c pass``, ``python -c "import prompt_toolkit"``
(the floor for any prompt_toolkit REPL), ``python -c "import torch"`` and a script doing
``import genart_kit as ga; ga.model(NAME)``.
"""

from __future__ import annotations

import argparse
import fcntl
import os
import pty
import re
import select
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import time

from _timing import write_result

PY = sys.executable
ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\x07]*\x07|\x1b[=>]")


def pick_model() -> str:
    """``vae-mnist`` when its shipped weights load, else the untrained ``vae`` architecture."""
    probe = subprocess.run([PY, "-c", "import genart_kit as ga; ga.model('vae-mnist')"], capture_output=True)
    return "vae-mnist" if probe.returncode == 0 else "vae"


def time_once(argv: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True)
    if proc.returncode:
        raise RuntimeError(f"{argv} failed: {proc.stderr[-1000:]}")
    return time.perf_counter() - t0


def repl_session(model: str, timeout: float = 120.0) -> dict[str, float]:
    """One `genart repl` run in a pty; returns the three times in seconds since the process started."""
    env = dict(os.environ)
    data_home = tempfile.mkdtemp(prefix="genart-bench-")
    env["XDG_DATA_HOME"] = data_home
    env["TERM"] = "xterm-256color"
    t0 = time.perf_counter()
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execve(PY, [PY, "-m", "genart_kit", "repl"], env)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    raw = b""
    seen = 0
    marks: dict[str, float] = {}
    steps = [
        ("prompt", rb">>> ", b"6 * 7\r"),
        ("answer", rb"(?<![0-9])42\r\n", f"print('MODEL-' + 'READY', type(ga.model({model!r})).__name__)\r".encode()),
        ("model", rb"MODEL-READY", b":quit\r"),
    ]
    step = 0
    try:
        while step < len(steps) and time.perf_counter() - t0 < timeout:
            r, _, _ = select.select([fd], [], [], 0.05)
            if not r:
                continue
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            now = time.perf_counter()
            if b"\x1b[6n" in chunk:  # answer cursor-position requests like a terminal does
                os.write(fd, b"\x1b[1;1R" * chunk.count(b"\x1b[6n"))
            raw += chunk
            text = ANSI.sub(b"", raw[seen:])
            name, pattern, reply = steps[step]
            if re.search(pattern, text):
                marks[name] = now - t0
                seen = len(raw)
                os.write(fd, reply)
                step += 1
        if step < len(steps):
            raise RuntimeError(f"REPL session stalled at step {steps[step][0]!r}; output:\n{ANSI.sub(b'', raw)[-2000:]!r}")
        deadline = time.perf_counter() + 30
        while time.perf_counter() < deadline:
            done, _ = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            try:
                if select.select([fd], [], [], 0.05)[0]:
                    os.read(fd, 65536)
            except OSError:
                pass
        else:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
    finally:
        os.close(fd)
        shutil.rmtree(data_home, ignore_errors=True)
    return {"time_to_prompt_s": marks["prompt"], "time_to_first_answer_s": marks["answer"],
            "time_to_first_model_s": marks["model"]}


def main() -> None:
    """Measure, print a table, write the JSON result."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    model = pick_model()
    baselines = {
        "python -c pass": [PY, "-c", "pass"],
        "python -c 'import prompt_toolkit'": [PY, "-c", "import prompt_toolkit"],
        "python -c 'import torch'": [PY, "-c", "import torch"],
        f"python -c 'ga.model({model})'": [PY, "-c", f"import genart_kit as ga; ga.model({model!r})"],
    }
    samples: dict[str, list[float]] = {k: [] for k in baselines}
    repl: dict[str, list[float]] = {"time_to_prompt_s": [], "time_to_first_answer_s": [], "time_to_first_model_s": []}
    repl_session(model)  # warm-up (page cache, .pyc)
    for _ in range(args.repeat):
        for name, argv in baselines.items():
            samples[name].append(time_once(argv))
        for k, v in repl_session(model).items():
            repl[k].append(v)
    med = {k: statistics.median(v) for k, v in {**samples, **repl}.items()}
    base = med["python -c pass"]
    print(f"model: {model}   (median of {args.repeat} interleaved runs)")
    for k, v in med.items():
        print(f"{k:36s} {v * 1000:7.0f} ms   {v / base:6.1f}x python -c pass")
    write_result("repl_startup", {
        "model": model,
        "repeat": args.repeat,
        "median_s": {k: round(v, 4) for k, v in med.items()},
        "samples_s": {k: [round(x, 4) for x in v] for k, v in {**samples, **repl}.items()},
        "notes": "REPL times are from process start, in a pty; the first answer is typed as soon as the prompt "
                 "appears, while torch is still importing in the background.",
    })


if __name__ == "__main__":
    main()
