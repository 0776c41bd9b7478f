"""The helpers the REPL puts in the session namespace: live loops, show, save, preview, watch.

Each is a plain function bound to the running :class:`~genart_kit.repl.app.Repl`; ``help(loop)`` shows
its docstring. Summary::

    loop("walk", clip, fps=24)     # define / redefine a live loop (swaps at the next cycle)
    loop("walk", clip, bpm=120, beats=8)   # ... on the shared clock: 8 beats long, in phase with the others
    loop("pulse", clip, audio=feats)       # ... as long as the audio (ga.audio.features), on the clock
    tempo(128)   clock   clock.reset()     # set the tempo (BPM); the clock; beat 0 now
    @loop("blob")                  # ... or as a decorator: the function returns the clip
    def blob(): return path | vae
    loops()                        # list them          stop("walk")   hush()   solo("walk")   solo()
    show(clip)                     # print a strip of frames in the terminal
    save(clip_or_loop, "x.gif")    # export (format from the suffix), with progress; Ctrl-C cancels
    preview()                      # open the browser preview (prints the URL)
    watch("sketches/x.py")         # re-run a sketch on every save into the preview
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ..errors import InvalidInputError
from .background import accepts, check_cancelled, clip_length, iter_uint8_batches, report_progress, stream_options

__all__ = ["make_helpers", "export_frames"]


def export_frames(path: str, batches: Any, *, fps: float, total: int | None = None, **options: Any) -> Path:
    """Write uint8 batches ``[B, H, W, C]`` to *path* with the exporter picked by its suffix, reporting
    progress to the REPL job and stopping between batches when it is cancelled (the exporter writes
    atomically, so a cancelled save leaves no file)."""
    from .. import export

    def counted() -> Any:
        done = 0
        for b in batches:
            check_cancelled()
            done += int(b.shape[0])
            report_progress(done, total)
            yield b

    return export.write(path, counted(), fps=fps, total_frames=total, **options)


def make_helpers(repl: Any) -> dict[str, Callable[..., Any]]:
    """Build the helper functions for *repl*; returns ``{name: function}`` for its namespace (with
    ``clock``, the session's shared :class:`~genart_kit.repl.clock.Clock`)."""
    manager = repl.loops
    codes: dict[str, str] = {}  # loop name -> the source that defined it (for :save's recipe)

    def loop_recipe(name: str, cur: Any) -> dict[str, Any]:
        """What the REPL knows about a loop version: its code, model, fps, frames and size."""
        from ..pipeline import versions

        rec: dict[str, Any] = {}
        full = getattr(cur.source, "full_recipe", None)
        if callable(full):
            try:
                rec.update({k: v for k, v in full().items() if k in ("model", "pipeline", "seed")})
            except Exception:  # noqa: BLE001 - the recipe is a courtesy; never fail a save over it
                pass
        rec.update({"repl": {"loop": name, "code": codes.get(name)}, "fps": cur.fps, "frames": cur.length,
                    "size": [int(cur.frames.shape[1]), int(cur.frames.shape[2])], "versions": versions()})
        return rec

    def loop(name: str, clip: Any = None, *, fps: float | None = None, bpm: float | None = None,
             beats: float | None = None, audio: Any = None, swap: str = "cycle") -> Any:
        """Define or redefine the live loop *name*; it plays in the previews until stopped.

        Re-evaluating ``loop("walk", ...)`` with a new clip renders it in the background while the old
        version keeps playing, then swaps it in at the old one's next cycle (its frame 0). If the new
        clip fails to render, the error is printed and the old version keeps playing.

        With *bpm* / *beats* the loop runs on the session's shared ``clock``: the clip's frames are
        stretched so that the whole clip spans *beats* beats, and the clock's phase picks the frame, so
        loops started at different moments stay in phase and a redefinition takes the clock's phase
        instead of restarting. With *audio* the loop lasts as long as the audio, on the clock's seconds.

        Args:
            name: loop name (a letter then letters, digits, ``_ . -``).
            clip: a clip (``path | vae | ga.render.colormap("magma")``), a numpy array ``[T, H, W, C]``
                uint8, a tensor ``[T, C, H, W]`` float in [0, 1], or a function returning one. A function
                with a ``cycle`` parameter is re-evaluated for every cycle (Sonic Pi's ``live_loop``), e.g.
                ``def walk(cycle): return ga.latent.noise_loop(vae, 48, seed=cycle) | vae``.
                Omit *clip* to use ``loop`` as a decorator on such a function.
            fps: free-running playback rate in frames per second (0 < fps <= 120; default 24).
            bpm: tempo in beats per minute; sets the clock's tempo like ``tempo(bpm)`` (every loop on the
                beat follows it).
            beats: the loop's length in beats (default 8 with *bpm*; without *bpm*: the clock's tempo).
            audio: ``ga.audio.features(track, fps)``, a track from ``ga.audio.load`` or seconds: the loop
                lasts that long (no sound device is used; ``clock.reset()`` on the music's downbeat).
            swap: ``"cycle"`` (default) or ``"now"`` (swap as soon as rendered).

        Returns:
            ``None`` (a message is printed when the loop starts or swaps; ``loops()`` shows the state),
            or a decorator when *clip* is omitted.

        Raises:
            InvalidInputError: bad name, fps, bpm, beats, audio, swap, fps given with bpm/beats, or a value
                that is not a clip.
        """
        code = getattr(repl, "current_source", None)
        if isinstance(code, str):
            codes[name] = code.strip()
        timing = {"fps": fps, "bpm": bpm, "beats": beats, "audio": audio, "swap": swap}
        if clip is None:
            def decorator(fn: Callable[[], Any]) -> Callable[[], Any]:
                manager.define(name, fn, **timing)
                return fn

            return decorator
        manager.define(name, clip, **timing)
        return None

    def tempo(bpm: float | None = None) -> float:
        """Set the shared clock's tempo to *bpm* beats per minute (loops on the beat follow it and stay
        in phase: the beat count does not jump); ``tempo()`` only reads it. Returns the tempo in BPM.

        Raises:
            InvalidInputError: *bpm* is not a positive, finite number.
        """
        if bpm is not None:
            manager.set_tempo(bpm)
        return manager.clock.bpm

    def stop(name: str) -> None:
        """Stop the live loop *name* (``hush()`` stops all). Raises UnknownNameError for an unknown name."""
        manager.stop(name)

    def hush() -> None:
        """Stop every live loop and cancel their renders (Sonic Pi's / Tidal's ``hush``)."""
        n = manager.hush()
        repl.echo(f"stopped {n} loop{'s' if n != 1 else ''}")

    def solo(name: str | None = None) -> None:
        """Show only loop *name* in the previews (the others keep time); ``solo()`` shows all again."""
        manager.solo(name)

    def loops() -> None:
        """Print the clock (tempo, beat) and the live loops: name, version, frames, fps, state, cycle
        (fps, beats or audio seconds) and phase."""
        from . import commands

        commands.print_loops(repl)

    def show(clip: Any, frames: int = 6) -> None:
        """Render *clip* and print *frames* evenly spaced frames side by side in the terminal (truecolor
        half-blocks). Ctrl-C cancels the render."""
        repl.echo(repl.show(clip, frames=frames))

    def save(what: Any, path: str, *, fps: float | None = None, **options: Any) -> Path:
        """Export a clip, or the frames of a live loop, to *path*; the format comes from the suffix
        (``.gif``, ``.webp``, ``.png``, ``.mp4``... see ``:exporters``).

        Args:
            what: a clip, or a loop name (its playing version's frames are written as shown).
            path: output file; written atomically (a cancelled save leaves nothing behind).
            fps: frames per second (default: the loop's fps, or 24 for a clip).
            **options: exporter options (e.g. ``colors=``, ``dither=`` for GIF).

        Returns:
            the written path.
        """
        if isinstance(what, str):
            lp = manager.loops.get(what)
            if lp is None or lp.current is None:
                from ..errors import unknown_name

                raise unknown_name("loop", what, [n for n, l in manager.loops.items() if l.current is not None])
            cur = lp.current
            options.setdefault("recipe", loop_recipe(what, cur) | ({"fps": fps} if fps else {}))
            out = export_frames(path, [cur.frames], fps=fps or cur.fps, total=cur.length, **options)
        elif callable(getattr(what, "save", None)) and accepts(what.save, "progress"):
            # the pipeline's Clip.save: streams into the exporter and embeds the clip's recipe
            out = what.save(path, fps=fps or 24.0, progress=lambda done, total: report_progress(done, total),
                            **stream_options(what.save, None), **options)
        else:
            if not callable(getattr(what, "iter_uint8", None)) and not callable(getattr(what, "iter_frames", None)) \
                    and not callable(getattr(what, "frames", None)) and not hasattr(what, "shape"):
                raise InvalidInputError(f"save() needs a clip or a loop name, got {type(what).__name__}.")
            out = export_frames(path, iter_uint8_batches(what, 32), fps=fps or 24.0, total=clip_length(what),
                                **options)
        return Path(out)

    def preview(port: int = 0) -> str:
        """Start the browser preview on 127.0.0.1 (a free port unless *port*) and return its URL."""
        return repl.start_web_preview(port)

    def watch(path: str, name: str | None = None, **options: Any) -> str:
        """Re-run the sketch at *path* on every save and play it as a live loop (the last good render
        keeps playing when an edit breaks it); returns the loop name. Options as for ``genart run``:
        ``overrides={"model": "vae"}`` (or ``["model=vae"]``), ``seed``, ``frames``, ``fps``, ``size``."""
        return repl.watch(path, name=name, **options)

    def unwatch(path: str | None = None) -> None:
        """Stop watching *path* (every watched file when omitted); the loop keeps playing."""
        repl.unwatch(path)

    return {"loop": loop, "tempo": tempo, "clock": manager.clock, "stop": stop, "hush": hush, "solo": solo, "loops": loops, "show": show, "save": save,
            "preview": preview, "watch": watch, "unwatch": unwatch}
