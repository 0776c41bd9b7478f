"""End to end: `genart repl` in a real terminal (tmux), driven with send-keys and read with capture-pane."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


class Tmux:
    """A detached tmux server/session running one command, on its own socket."""

    def __init__(self, command: str, env: dict[str, str], width: int = 110, height: int = 40) -> None:
        self.tmux = shutil.which("tmux")
        assert self.tmux, "Debian's tmux package is needed for the end-to-end REPL test (apt-get install -y tmux)"
        self.socket = f"genart-test-{uuid.uuid4().hex[:8]}"
        self.session = "repl"
        exports = " ".join(f"{k}={shlex.quote(v)}" for k, v in env.items())
        self._run("-f", "/dev/null", "new-session", "-d", "-s", self.session, "-x", str(width), "-y", str(height),
                  f"cd {shlex.quote(str(ROOT))} && env {exports} {command}; echo REPL-EXITED-$?; sleep 600")

    def _run(self, *args: str) -> str:
        return subprocess.run([self.tmux, "-L", self.socket, *args], check=True, capture_output=True, text=True,
                              timeout=30).stdout

    def send(self, *keys: str) -> None:
        self._run("send-keys", "-t", self.session, *keys)

    def type(self, text: str) -> None:
        self._run("send-keys", "-t", self.session, "-l", text)

    def screen(self, colours: bool = False) -> str:
        return self._run("capture-pane", "-p", *(["-e"] if colours else []), "-S", "-200", "-t", self.session)

    def wait(self, pattern: str, timeout: float = 90.0, colours: bool = False) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen(colours)
            if re.search(pattern, text):
                return text
            if time.monotonic() > deadline:
                raise AssertionError(f"{pattern!r} did not appear on the screen; it shows:\n{self.screen()}")
            time.sleep(0.1)

    def close(self) -> None:
        subprocess.run([self.tmux, "-L", self.socket, "kill-server"], capture_output=True, timeout=30)


@pytest.fixture
def term(tmp_path):
    env = {"XDG_DATA_HOME": str(tmp_path / "data"), "PYTHONUNBUFFERED": "1", "GENART_REPL_VI": "0"}
    script = Path(sys.executable).with_name("genart")  # the console script installed with the package
    genart = shlex.quote(str(script)) if script.exists() else f"{shlex.quote(sys.executable)} -m genart_kit"
    t = Tmux(f"{genart} repl", env)
    yield t
    t.close()


def test_repl_in_a_real_terminal(term):
    term.wait(r"(?m)^>>>")
    # 1. an expression's value
    term.type("6 * 7")
    term.send("Enter")
    term.wait(r"(?m)^42\s*$")

    # 2. completion: an attribute, then a registry name inside a string
    term.type("ga.mod")
    term.send("Tab")
    term.wait(r">>> ga\.model\b")
    term.type('("vae-m')
    term.send("Tab")
    term.wait(r'>>> ga\.model\("vae-mnist')
    term.send("C-c")  # abandon the line

    # 3. a live loop plays in the terminal preview and is swapped at the next cycle
    term.type("import numpy as np; red = np.zeros((8, 16, 16, 3), np.uint8); red[..., 0] = 255; "
              "blue = red[..., ::-1].copy()")
    term.send("Enter")
    term.type('loop("walk", red, fps=16)')
    term.send("Enter")
    term.wait(r"loop 'walk' v1 playing \(8 frames @ 16 fps\)")
    term.wait(r"48;2;255;0;0m", colours=True)  # red truecolor half-blocks in the bottom toolbar
    term.type('loop("walk", blue, fps=16)')
    term.send("Enter")
    term.wait(r"loop 'walk' v2 swapped in")
    term.wait(r"▶ walk v2")
    screen = term.wait(r"48;2;0;0;255m", colours=True)
    bottom = screen[screen.rindex("walk v2"):]
    assert "48;2;255;0;0m" not in bottom  # the preview shows the new version only

    # background output arriving while a line is being typed lands above the prompt, the line survives
    term.type('import time; loop("late", lambda: (time.sleep(1.5), red)[1], fps=16)')
    term.send("Enter")
    term.type("12 +")
    screen = term.wait(r"loop 'late' v1 playing")
    lines = [l for l in screen.splitlines() if l.strip()]
    late = max(i for i, l in enumerate(lines) if "loop 'late' v1 playing" in l)
    assert any(l.startswith(">>> 12 +") for l in lines[late + 1:]), screen
    term.type(" 31")
    term.send("Enter")
    term.wait(r"(?m)^43\s*$")
    term.type(':stop late')
    term.send("Enter")

    # 4. Ctrl-C during a long render cancels it and returns to the prompt
    term.type("vae = ga.model('vae'); long = ga.latent.noise_loop(vae, frames=200000, seed=1) | vae | "
              "ga.render.upscale(128)")
    term.send("Enter")
    term.type("frames = long.frames()")
    term.send("Enter")
    term.wait(r"frames = long\.frames\(\).*Ctrl-C cancels")  # the progress bar is up
    time.sleep(0.5)
    term.send("C-c")
    term.wait(r"cancelled after [0-9.]+ s \(the session goes on\)")
    term.type("'frames' in dir(), 1 + 2")
    term.send("Enter")
    term.wait(r"\(False, 3\)")

    # 5. :quit leaves with status 0
    term.type(":quit")
    term.send("Enter")
    term.wait(r"REPL-EXITED-0")
