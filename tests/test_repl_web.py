"""Browser preview: routes, 127.0.0.1 only, no files served, live updates in headless Chromium."""

from __future__ import annotations

import http.client
import io
import json
import os
import shutil
import subprocess
import tempfile

import numpy as np
import pytest
from PIL import Image

from genart_kit.repl.loops import LoopManager
from genart_kit.repl.preview_web import PreviewServer, encode_apng
from repl_fakes import solid

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
                  "--disable-quic", "--disable-component-update", "--disable-sync"]


@pytest.fixture
def served():
    mgr = LoopManager(notify=lambda m: None)
    server = PreviewServer(mgr)
    yield mgr, server
    server.close()
    mgr.close()


def get(server, path, host=None, method="GET"):
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.putrequest(method, path, skip_host=True)
    conn.putheader("Host", host or f"127.0.0.1:{server.port}")
    conn.endheaders()
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, resp.getheader("Content-Type"), body


def test_binds_loopback_on_a_free_port(served):
    mgr, server = served
    assert server.url == f"http://127.0.0.1:{server.port}/" and server.port > 0
    assert server._server.server_address[0] == "127.0.0.1"


def test_page_state_and_animation(served):
    mgr, server = served
    frames = solid((255, 0, 0), frames=3, size=6)
    frames[1] = (0, 255, 0)
    mgr.define("walk", frames, fps=10)
    mgr.wait_idle(5)
    status, ctype, body = get(server, "/")
    assert status == 200 and ctype.startswith("text/html") and b'id="version"' in body
    status, ctype, body = get(server, "/state.json")
    state = json.loads(body)
    assert state["loops"] == [{"name": "walk", "version": 1, "frames": 3, "fps": 10.0, "width": 6, "height": 6,
                               "url": "/loop/walk/1.png"}]
    status, ctype, body = get(server, "/loop/walk/1.png")
    assert status == 200 and ctype == "image/png"
    im = Image.open(io.BytesIO(body))
    assert im.is_animated and im.n_frames == 3 and im.info.get("loop") == 0
    assert im.convert("RGB").getpixel((0, 0)) == (255, 0, 0)
    im.seek(1)
    assert im.convert("RGB").getpixel((0, 0)) == (0, 255, 0)


@pytest.mark.parametrize(
    "path",
    ["/etc/passwd", "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/loop/walk/9.png", "/loop/../x.png",
     "/genart_kit/repl/app.py", "/state.json/../../pyproject.toml", "//etc/passwd"],
)
def test_serves_nothing_but_the_preview(served, path):
    mgr, server = served
    mgr.define("walk", solid((1, 1, 1)))
    mgr.wait_idle(5)
    status, _, body = get(server, path)
    assert status == 404 and b"root:" not in body


def test_rejects_foreign_hosts_and_methods(served):
    mgr, server = served
    assert get(server, "/", host="evil.example:80")[0] == 403  # DNS rebinding
    assert get(server, "/", host=f"localhost:{server.port}")[0] == 200
    assert get(server, "/", method="POST")[0] == 405


def test_server_sent_events_announce_changes(served):
    mgr, server = served
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    conn.request("GET", "/events", headers={"Host": f"127.0.0.1:{server.port}"})
    resp = conn.getresponse()
    assert resp.getheader("Content-Type") == "text/event-stream"

    def next_event():
        lines = []
        while True:
            line = resp.fp.readline().decode()
            if line == "\n" and lines and any(x.startswith("data:") for x in lines):
                return lines
            if line.strip():
                lines.append(line.strip())

    def data(lines):
        return int(next(x for x in lines if x.startswith("data:")).split(":", 1)[1])

    first = next_event()
    assert "event: version" in first and data(first) == mgr.version
    mgr.define("x", solid((1, 1, 1)))
    second = next_event()
    assert "event: version" in second and data(second) > data(first)
    conn.close()


def test_encode_apng_grey_and_downscale():
    frames = np.zeros((2, 100, 50, 1), np.uint8)
    frames[1] = 200
    im = Image.open(io.BytesIO(encode_apng(frames, 25, max_side=40)))
    assert im.size == (20, 40) and im.n_frames == 2 and im.mode == "L"
    single = Image.open(io.BytesIO(encode_apng(frames[:1], 25)))
    assert not getattr(single, "is_animated", False)


# ------------------------------------------------------------------------------------------ chromium


def chromium() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    assert path, "Debian's chromium package is needed for the browser tests (apt-get install -y chromium)"
    return path


def test_headless_chromium_shows_the_animation_and_follows_swaps(served):
    """The page, in a real browser, displays the loop and updates itself when the loop is redefined."""
    mgr, server = served
    mgr.define("walk", solid((255, 0, 0), frames=4, size=8), fps=20)
    mgr.wait_idle(5)
    with tempfile.TemporaryDirectory() as profile:
        dom = subprocess.run([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "--dump-dom", server.url],
                             capture_output=True, text=True, timeout=120).stdout
    assert 'data-name="walk"' in dom and 'src="/loop/walk/1.png"' in dom
    assert f'data-version="{mgr.version}"' in dom

    with tempfile.TemporaryDirectory() as profile:
        proc = subprocess.Popen([chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}", server.url],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            v1 = mgr.version
            assert server.wait_page(v1, timeout=60), "the page never reported displaying the loop"
            assert server.page_loaded == 1 and server.page_names == "walk:1"
            mgr.define("walk", solid((0, 0, 255), frames=4, size=8), fps=20, swap="now")
            mgr.wait_idle(5)
            assert mgr.version > v1
            assert server.wait_page(mgr.version, timeout=30), "the page did not follow the swap"
            assert server.page_names == "walk:2" and server.page_loaded == 1
            mgr.define("blob", solid((0, 255, 0), frames=2, size=8), fps=20)
            mgr.wait_idle(5)
            assert server.wait_page(mgr.version, timeout=30)
            assert server.page_names == "walk:2,blob:1" and server.page_loaded == 2
        finally:
            os.killpg(proc.pid, 15)
            proc.wait(30)
