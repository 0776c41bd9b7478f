"""Browser preview: a tiny HTTP server on 127.0.0.1 that shows the live loops and follows their changes.

``:preview`` in the REPL starts it on a random free port and prints the URL. The page shows each visible
loop as an animated PNG (APNG, lossless, looping, played by the browser at the loop's fps) and listens to
server-sent events (``/events``); whenever the loops change (a swap, a new or stopped loop, solo) it
fetches ``/state.json`` and swaps the images, and it polls every 2 s as a fallback. The page's
``#version`` element shows the state version it displays, and it reports it back with ``/ack?v=N`` once
the new images are decoded (tests use that to check a headless browser really updated).

Security: it binds 127.0.0.1 only, answers only its own fixed routes (never files from disk), accepts
only ``GET``/``HEAD``, and rejects requests whose ``Host`` header is not ``127.0.0.1:PORT`` or
``localhost:PORT`` (DNS-rebinding protection).
"""

from __future__ import annotations

import io
import json
import logging
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

log = logging.getLogger(__name__)

__all__ = ["PreviewServer", "encode_apng", "PAGE"]

_LOOP_RE = re.compile(r"^/loop/([A-Za-z_][A-Za-z0-9_.-]{0,63})/([0-9]{1,9})\.png$")


def encode_apng(frames: Any, fps: float, *, max_side: int | None = None) -> bytes:
    """Encode frames as a looping animated PNG.

    Args:
        frames: numpy uint8 ``[T, H, W, C]``, C in (1, 3, 4).
        fps: frames per second; each frame lasts ``round(1000 / fps)`` ms (APNG stores integer ms here).
        max_side: optionally reduce frames whose longer side exceeds this many pixels (box filter).

    Returns:
        PNG bytes (a plain PNG when T == 1). Pillow's APNG writer is used with ``compress_level=1`` (fast);
        it merges identical consecutive frames by summing their durations, which keeps the timing.
    """
    import numpy as np
    from PIL import Image

    mode = {1: "L", 3: "RGB", 4: "RGBA"}[frames.shape[-1]]
    images = []
    for f in frames:
        f = np.ascontiguousarray(f[..., 0] if mode == "L" else f)
        im = Image.fromarray(f, mode)
        if max_side and max(im.size) > max_side:
            s = max_side / max(im.size)
            im = im.resize((max(1, int(im.width * s)), max(1, int(im.height * s))), Image.Resampling.BOX)
        images.append(im)
    buf = io.BytesIO()
    if len(images) == 1:
        images[0].save(buf, format="PNG", compress_level=1)
    else:
        images[0].save(buf, format="PNG", save_all=True, append_images=images[1:], duration=round(1000.0 / fps),
                       loop=0, compress_level=1)
    return buf.getvalue()


PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>genart-kit live preview</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
 body { background:#111; color:#ddd; font:14px system-ui, sans-serif; margin:1.5em; }
 h1 { font-size:16px; font-weight:600; margin:0 0 1em; }
 #loops { display:flex; flex-wrap:wrap; gap:1.5em; align-items:flex-start; }
 figure { margin:0; }
 figure img { image-rendering:pixelated; background:#000; display:block; }
 figcaption { margin-top:.4em; color:#aaa; }
 #empty { color:#888; }
 .meta { color:#777; font-size:12px; }
</style></head>
<body>
<h1>genart-kit live preview <span class="meta">state <span id="version" data-version="-1">-1</span></span></h1>
<div id="loops"><p id="empty">No loop is playing. In the REPL: <code>loop("walk", clip)</code></p></div>
<script>
"use strict";
let shown = -1, busy = false, again = false;
function figure(l) {
  const fig = document.createElement("figure");
  fig.className = "loop"; fig.dataset.name = l.name; fig.dataset.version = l.version;
  const img = document.createElement("img");
  const scale = Math.max(1, Math.floor(256 / Math.max(l.width, l.height)));
  img.width = l.width * scale; img.height = l.height * scale;
  img.alt = l.name; img.src = l.url;
  const cap = document.createElement("figcaption");
  cap.textContent = l.name + "  v" + l.version + "  \\u00b7  " + l.frames + " frames @ " + l.fps + " fps";
  fig.append(img, cap);
  return fig;
}
async function show(s) {
  if (s.version === shown) return;
  const box = document.getElementById("loops");
  const figs = s.loops.map(figure);
  if (figs.length) { box.replaceChildren(...figs); }
  else { const p = document.createElement("p"); p.id = "empty"; p.textContent = "No loop is playing."; box.replaceChildren(p); }
  shown = s.version;
  const v = document.getElementById("version");
  v.textContent = String(s.version); v.dataset.version = String(s.version);
  const imgs = Array.from(box.querySelectorAll("img"));
  await Promise.all(imgs.map(i => i.decode().catch(() => null)));
  const loaded = imgs.filter(i => i.naturalWidth > 0).length;
  v.dataset.loaded = String(loaded);
  fetch("/ack?v=" + s.version + "&loaded=" + loaded + "&names=" + encodeURIComponent(s.loops.map(l => l.name + ":" + l.version).join(",")),
        {cache: "no-store"}).catch(() => null);
}
async function refresh() {
  if (busy) { again = true; return; }
  busy = true;
  try {
    await show(await (await fetch("/state.json", {cache: "no-store"})).json());
  } catch (e) { /* server gone or restarting: the poll below retries */ }
  busy = false;
  if (again) { again = false; refresh(); }
}
if (window.EventSource) {
  const es = new EventSource("/events");
  es.addEventListener("version", () => refresh());
}
setInterval(refresh, 2000);
show(__INITIAL_STATE__);
</script>
</body></html>
"""


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"
    protocol_version = "HTTP/1.1"
    server_version = "genart-preview"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # stdlib signature
        log.debug("preview: " + format, *args)

    # ------------------------------------------------------------------------------------- helpers
    def _send(self, status: int, body: bytes, ctype: str, *, cache: bool = False) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "max-age=3600, immutable" if cache else "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy",
                         "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
                         "img-src 'self'; connect-src 'self'")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _error(self, status: int, message: str) -> None:
        self._send(status, (message + "\n").encode(), "text/plain; charset=utf-8")

    def _host_ok(self) -> bool:
        host = (self.headers.get("Host") or "").strip().lower()
        port = self.server.server_address[1]
        return host in (f"127.0.0.1:{port}", f"localhost:{port}")

    # -------------------------------------------------------------------------------------- routes
    def do_HEAD(self) -> None:  # stdlib naming
        self.do_GET()

    def do_POST(self) -> None:
        self._error(405, "method not allowed")

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_POST

    def do_GET(self) -> None:
        if not self._host_ok():
            self._error(403, "forbidden host")
            return
        url = urlsplit(self.path)
        path = url.path
        owner = self.server.owner
        try:
            if path in ("/", "/index.html"):
                state = json.dumps(owner.state()).replace("</", "<\\/")
                self._send(200, PAGE.replace("__INITIAL_STATE__", state).encode(), "text/html; charset=utf-8")
            elif path == "/state.json":
                self._send(200, json.dumps(owner.state()).encode(), "application/json")
            elif path == "/events":
                self._events()
            elif path == "/ack":
                q = parse_qs(url.query)
                try:
                    owner._record_ack(int(q.get("v", ["-1"])[0]), int(q.get("loaded", ["0"])[0]),
                                      q.get("names", [""])[0][:2000])
                except ValueError:
                    self._error(400, "bad ack")
                    return
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
            elif path == "/favicon.ico":
                self.send_response(204)
                self.send_header("Content-Length", "0")
                self.end_headers()
            else:
                m = _LOOP_RE.match(path)
                body = owner.loop_png(m.group(1), int(m.group(2))) if m else None
                if body is None:
                    self._error(404, "not found")
                else:
                    self._send(200, body, "image/png", cache=True)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _events(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        owner = self.server.owner
        manager = owner.manager
        last = -1
        quiet = time.monotonic()
        try:
            self.wfile.write(b"retry: 1000\n\n")
            while not owner.closed:
                v = manager.wait_version(last, timeout=1.0)
                if v != last:
                    self.wfile.write(f"event: version\ndata: {v}\n\n".encode())
                    last = v
                    quiet = time.monotonic()
                elif time.monotonic() - quiet > 15.0:
                    self.wfile.write(b": keepalive\n\n")
                    quiet = time.monotonic()
                else:
                    continue
                self.wfile.flush()
        except (BrokenPipeError, ConnectionResetError, OSError):
            return


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    owner: "PreviewServer"


class PreviewServer:
    """Serves the browser preview of a :class:`~genart_kit.repl.loops.LoopManager`.

    Args:
        manager: the loops to show.
        port: TCP port on 127.0.0.1; 0 (default) picks a free one.
        max_side: longest image side sent to the browser, in pixels (larger frames are reduced).

    Attributes:
        page_version: the last state version a page reported as displayed (``-1`` before any).
        page_loaded: how many images that page had decoded.
        page_names: ``"name:version,..."`` the page displayed.
    """

    def __init__(self, manager: Any, port: int = 0, max_side: int = 512) -> None:
        self.manager = manager
        self.max_side = max_side
        self.page_version = -1
        self.page_loaded = 0
        self.page_names = ""
        self.closed = False
        self._ack = threading.Condition()
        self._png_cache: dict[tuple[str, int], bytes] = {}
        self._png_lock = threading.Lock()
        self._server = _Server(("127.0.0.1", int(port)), _Handler)
        self._server.owner = self
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.2},
                                        name="genart-preview-http", daemon=True)
        self._thread.start()

    @property
    def port(self) -> int:
        """The TCP port the server listens on."""
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """``http://127.0.0.1:PORT/``."""
        return f"http://127.0.0.1:{self.port}/"

    def state(self) -> dict[str, Any]:
        """What ``/state.json`` returns: ``{"version", "solo", "loops": [{name, version, frames, fps, width,
        height, url}]}`` for the visible loops."""
        with self.manager._lock:
            version = self.manager.version
            loops = []
            for lp in self.manager.visible():
                cur = lp.current
                h, w = cur.frames.shape[1:3]
                s = min(1.0, self.max_side / max(h, w))
                loops.append({"name": lp.name, "version": cur.number, "frames": cur.length, "fps": cur.fps,
                              "width": max(1, int(w * s)), "height": max(1, int(h * s)),
                              "url": f"/loop/{lp.name}/{cur.number}.png"})
            return {"version": version, "solo": self.manager.solo_name, "loops": loops}

    def loop_png(self, name: str, number: int) -> bytes | None:
        """The APNG of loop *name* version *number* if it is playing or pending (cached), else ``None``."""
        key = (name, number)
        with self._png_lock:
            body = self._png_cache.get(key)
        if body is not None:
            return body
        lp = self.manager.loops.get(name)
        version = None
        if lp is not None:
            for v in (lp.current, lp.pending):
                if v is not None and v.number == number:
                    version = v
        if version is None:
            return None
        body = encode_apng(version.frames, version.fps, max_side=self.max_side)
        with self._png_lock:
            if len(self._png_cache) > 64:
                self._png_cache.clear()
            self._png_cache[key] = body
        return body

    def _record_ack(self, version: int, loaded: int, names: str) -> None:
        with self._ack:
            self.page_version = version
            self.page_loaded = loaded
            self.page_names = names
            self._ack.notify_all()

    def wait_page(self, version: int, timeout: float) -> bool:
        """Block until a page reports displaying state *version* or later; ``True`` if it did in time."""
        deadline = time.monotonic() + timeout
        with self._ack:
            while self.page_version < version:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._ack.wait(left)
            return True

    def close(self) -> None:
        """Stop serving (idempotent)."""
        if self.closed:
            return
        self.closed = True
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=2.0)
