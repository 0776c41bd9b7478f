"""The REPL session driven through prompt_toolkit's pipe input and a dummy output."""

from __future__ import annotations

import re
import threading
import time

import pytest
from prompt_toolkit.input import create_pipe_input
from prompt_toolkit.output import DummyOutput

from genart_kit.repl.app import Repl, default_history_path, format_exception, is_complete
from repl_fakes import FakeClip, RunningRepl, solid, wait_for


@pytest.fixture(autouse=True)
def _data_home(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("GENART_HISTORY", raising=False)


def drive(*chunks, capsys=None, before_run=None, **options):
    """Run a REPL on the given input chunks (sent at once); return (repl, everything printed)."""
    options.setdefault("preload", False)
    options.setdefault("progress_delay", 0.05)
    with create_pipe_input() as inp:
        for chunk in chunks:
            inp.send_text(chunk)
        repl = Repl(input=inp, output=DummyOutput(), **options)
        if before_run:
            before_run(repl)
        code = repl.run()
    repl.exit_code_seen = code
    out = capsys.readouterr().out if capsys else ""
    return repl, out


def test_expression_values_and_namespace_survives(capsys):
    repl, out = drive("1+1\r", "x = [i * i for i in range(4)]\r", "x\r", "1/0\r", "x[-1] + 1\r", ":quit\r",
                      capsys=capsys)
    lines = out.splitlines()
    assert "2" in lines and "[0, 1, 4, 9]" in lines and "10" in lines
    assert "ZeroDivisionError: division by zero" in out
    assert 'File "<repl-4>", line 1' in out  # short traceback pointing at the input
    assert repl.namespace["_"] == 10
    assert repl.exit_code_seen == 0


def test_namespace_has_the_toolkit_and_helpers(capsys):
    repl, out = drive("callable(ga.model), ga.__name__\r", "sorted(n for n in ('loop', 'hush', 'solo', 'show', 'save', "
                      "'preview', 'watch', 'stop', 'loops', 'registry') if n in globals())\r", ":q\r", capsys=capsys)
    assert "(True, 'genart_kit')" in out
    assert "['hush', 'loop', 'loops', 'preview', 'registry', 'save', 'show', 'solo', 'stop', 'watch']" in out


def test_multiline_block_runs_after_an_empty_line(capsys):
    repl, out = drive("def sq(n):\r", "return n * n\r", "\r", "sq(7)\r", ":quit\r", capsys=capsys)
    assert "49" in out.splitlines()


def test_auto_indent_and_paste_of_several_statements(capsys):
    # the body line is typed without indentation: auto-indent supplies it
    repl, out = drive("for i in range(2):\r", "print('item', i)\r", "\r", "a = 1\nb = 2\r", "a + b\r", ":quit\r",
                      capsys=capsys)
    assert "item 0" in out and "item 1" in out and "3" in out.splitlines()


def test_tab_indents_in_leading_whitespace(capsys):
    repl, out = drive("if True:\r", "\t", "x = 'nested'\r", "\r", "x\r", ":quit\r", capsys=capsys)
    assert "'nested'" in out


def test_bracketed_paste_of_a_block_runs_whole(capsys):
    paste = "\x1b[200~def twice(n):\n    return 2 * n\n\nvalue = twice(21)\n\x1b[201~"
    repl, out = drive(paste, "\r", "value\r", ":quit\r", capsys=capsys)
    assert "42" in out.splitlines()


def test_vi_navigation_mode_enter_runs(capsys):
    repl, out = drive("3 * 5", "\x1b", "\r", ":quit\r", capsys=capsys, vi_mode=True)
    assert "15" in out.splitlines()


def test_syntax_error_is_reported_and_session_goes_on(capsys):
    repl, out = drive("1 +* 2\r", "'still here'\r", ":quit\r", capsys=capsys)
    assert "SyntaxError" in out and "'still here'" in out


def test_toolkit_errors_are_one_line(capsys):
    from genart_kit.errors import InvalidInputError

    repl, out = drive("from genart_kit.errors import InvalidInputError\r",
                      "raise InvalidInputError('fps must be positive; pass fps=24.')\r", ":quit\r", capsys=capsys)
    assert "InvalidInputError: fps must be positive; pass fps=24." in out
    assert "Traceback" not in out
    assert isinstance(repl.last_error, InvalidInputError)


def test_very_long_toolkit_messages_are_abridged():
    from genart_kit.errors import unknown_name

    exc = unknown_name("colour map", "magmaa", [f"map{i:03d}" for i in range(300)] + ["magma"], hint="Use any name.")
    short = format_exception(exc)
    assert len(short) < 600 and short.startswith("UnknownNameError: unknown colour map 'magmaa'. Did you mean 'magma'")
    assert short.endswith("Use any name.") and ":tb shows all" in short
    assert format_exception(exc, full=True).count("map") > 300


def test_loop_decorator_form(capsys):
    with RunningRepl() as (repl, send):
        repl.namespace["red"] = solid((255, 0, 0))
        send('@loop("deco", fps=10)', wait=False)
        send("def deco():", wait=False)
        send("return red", wait=False)  # auto-indented
        send("")
        assert wait_for(lambda: "deco" in repl.loops.loops and repl.loops.loops["deco"].playing, 10)
        assert callable(repl.namespace["deco"])


def test_input_is_asked_by_the_prompt_thread(capsys):
    """input() in user code must not read the terminal from the worker (it would steal the prompt's keys)."""
    repl, out = drive('name = input("name? ")\r', "bob\r", "import time; time.sleep(0.3); again = input()\r", "x\r",
                      "name, again\r", ":quit\r", capsys=capsys)
    assert "('bob', 'x')" in out


def test_pdb_post_mortem_works_through_the_prompt(capsys):
    import builtins

    real = builtins.input
    repl, out = drive("def f(x):\r", "return 1 / x\r", "\r", "f(0)\r", "import pdb; pdb.pm()\r", "p x + 41\r", "q\r",
                      "'after pdb'\r", ":quit\r", capsys=capsys)
    assert "ZeroDivisionError" in out and "41" in out.splitlines() and "'after pdb'" in out
    assert builtins.input is real  # restored when the session ends


def test_ctrl_c_at_input_cancels_the_job(capsys):
    repl, out = drive('v = input("? ")\r', "\x03", "'v' in globals()\r", ":quit\r", capsys=capsys)
    assert "cancelled after" in out and "False" in out.splitlines()


def test_help_prints_instead_of_paging(capsys):
    repl, out = drive("help(hush)\r", ":quit\r", capsys=capsys)
    assert "Help on function hush" in out and "Stop every live loop" in out


def test_tb_shows_full_traceback(capsys):
    repl, out = drive("def f():\r", "raise ValueError('deep')\r", "\r", "f()\r", ":tb\r", ":quit\r", capsys=capsys)
    assert out.count("ValueError: deep") == 2


def test_long_tracebacks_are_shortened():
    ns: dict = {}
    src = "def f0():\n    raise RuntimeError('bottom')\n" + "".join(
        f"def f{i}():\n    f{i - 1}()\n" for i in range(1, 15))
    exec(compile(src, "chain.py", "exec"), ns)
    try:
        ns["f14"]()
    except RuntimeError as exc:
        short = format_exception(exc)
        full = format_exception(exc, full=True)
    assert "frames hidden; :tb shows all" in short
    assert short.count('File "chain.py"') == 6 and full.count('File "chain.py"') == 15
    assert short.endswith("RuntimeError: bottom")


def test_unknown_command_gets_a_suggestion(capsys):
    repl, out = drive(":wacth x.py\r", ":loosp\r", ":quit\r", capsys=capsys)
    assert "unknown command ':wacth'. Did you mean ':watch'" in out
    assert "Did you mean ':loops'" in out


def test_help_lists_the_commands(capsys):
    repl, out = drive(":help\r", ":help watch\r", ":quit\r", capsys=capsys)
    for cmd in (":help", ":models", ":plugins", ":watch FILE", ":loops", ":hush", ":save PATH", ":quit"):
        assert cmd in out
    assert "re-run a sketch file on every save" in out


def test_models_and_plugins_commands(capsys):
    repl, out = drive(":models\r", ":plugins\r", ":ops\r", ":quit\r", capsys=capsys)
    assert "vae-mnist" in out and "NAME" in out
    assert "STATUS" in out and "vae" in out


def test_ctrl_d_exits_and_ctrl_c_at_empty_prompt_does_not(capsys):
    repl, out = drive("\x03", "'after ctrl-c'\r", "\x04", capsys=capsys)
    assert "Ctrl-C does not exit" in out
    assert "'after ctrl-c'" in out
    assert repl.exiting is False and repl.exit_code_seen == 0  # left through Ctrl-D (EOF)


def test_ctrl_c_at_empty_prompt_cancels_background_loop_renders(capsys):
    slow = FakeClip(solid((1, 2, 3), frames=4000), delay=0.02)
    with RunningRepl() as (repl, send):
        repl.namespace["slow"] = slow
        send('loop("slow", slow)')
        assert slow.started.wait(10)
        repl.session.input.send_text("\x03")
        assert wait_for(lambda: "slow" not in repl.loops.loops, 10)
        time.sleep(0.2)
    out = capsys.readouterr().out
    assert "cancelled background render of 'slow'" in out
    assert slow.batches < 4000 // 32


def test_ctrl_c_with_text_abandons_the_line(capsys):
    repl, out = drive("1 + 41", "\x03", "2 + 2\r", ":quit\r", capsys=capsys)
    assert "4" in out.splitlines() and "42" not in out


def test_exit_builtin_ends_the_session(capsys):
    repl, out = drive("exit()\r", "'not reached'\r", capsys=capsys)
    assert repl.exiting and "'not reached'" not in out


def test_ctrl_c_cancels_a_running_loop_and_returns_to_the_prompt(capsys):
    # the keys after the Ctrl-C are typed "during" the job: they must reach the next prompt
    repl, out = drive("while True: pass\r", "\r", "\x03", "'back at the prompt'\r", ":quit\r", capsys=capsys)
    assert "cancelled after" in out
    assert "'back at the prompt'" in out
    assert repl.last_job is not None


def test_ctrl_c_cancels_a_streaming_render(capsys):
    clip = FakeClip(solid((5, 5, 5), frames=4000), delay=0.01)

    def setup(repl):
        repl.namespace["slow_clip"] = clip

    repl, out = drive("show(slow_clip)\r", "\x03", "'ok'\r", ":quit\r", capsys=capsys, before_run=setup)
    assert "cancelled after" in out and "'ok'" in out
    assert 0 < clip.batches < 4000 // 32


def test_job_stuck_in_native_code_is_detached(capsys):
    repl, out = drive("import threading; threading.Event().wait(30)\r", "\x03", "'next'\r", ":quit\r",
                      capsys=capsys, cancel_grace=0.3)
    assert "detached" in out and "'next'" in out


def test_history_is_saved_in_the_user_data_folder(tmp_path, capsys):
    drive("123 + 1\r", ":quit\r", capsys=capsys)
    path = tmp_path / "data" / "genart-kit" / "repl_history"
    assert default_history_path() == path
    text = path.read_text()
    assert "+123 + 1" in text and "+:quit" in text


def test_genart_history_overrides(tmp_path, monkeypatch, capsys):
    target = tmp_path / "h" / "hist"
    monkeypatch.setenv("GENART_HISTORY", str(target))
    drive("'x'\r", ":quit\r", capsys=capsys)
    assert "+'x'" in target.read_text()


def test_vi_mode_and_switching(capsys):
    from prompt_toolkit.enums import EditingMode

    repl, out = drive("7 * 6\r", ":emacs\r", "6 * 7\r", ":quit\r", capsys=capsys, vi_mode=True)
    assert out.splitlines().count("42") == 2
    assert repl.session.editing_mode == EditingMode.EMACS


@pytest.mark.parametrize(
    "text, complete",
    [
        ("1 + 1", True),
        ("", True),
        (":watch x.py", True),
        ("for i in range(3):", False),
        ("for i in range(3):\n    print(i)", False),
        ("for i in range(3):\n    print(i)\n", True),
        ("for i in range(3):\n    print(i)\n    ", True),
        ("x = (1,\n 2", False),
        ("x = (1,\n 2)", True),
        ("a = 1\nb = 2", True),
        ("a = 1\nfor i in x:\n    pass", False),
        ("1 +* 2", True),
        ("'''doc", False),
    ],
)
def test_is_complete(text, complete):
    assert is_complete(text) is complete


# ------------------------------------------------------------------------------------ live loops


def test_live_loop_from_the_prompt_and_swap(capsys):
    def setup(repl):
        repl.namespace["red"] = solid((255, 0, 0), frames=4)
        repl.namespace["blue"] = solid((0, 0, 255), frames=4)

    # Typed step by step, so the loop is playing before it is redefined.
    with create_pipe_input() as inp:
        repl = Repl(input=inp, output=DummyOutput(), preload=False, progress_delay=0.05)
        setup(repl)
        result = {}
        t = threading.Thread(target=lambda: result.setdefault("code", repl.run()))
        t.start()
        inp.send_text('loop("walk", red, fps=40)\r')
        assert wait_for(lambda: "walk" in repl.loops.loops and repl.loops.loops["walk"].playing, 10)
        frag = repl.preview.fragments()
        assert frag is not None and "walk v1" in frag[0][1]
        assert any("fg:#ff0000 bg:#ff0000" == style for style, _ in frag)
        inp.send_text('loop("walk", blue, fps=40)\r')
        assert wait_for(lambda: repl.loops.loops["walk"].current.number == 2, 10)
        frag = repl.preview.fragments()
        assert any("fg:#0000ff bg:#0000ff" == style for style, _ in frag)
        inp.send_text('loop("walk", undefined_name)\r')  # error in the new definition
        inp.send_text(':loops\r')
        inp.send_text(':quit\r')
        t.join(20)
    out = capsys.readouterr().out
    assert "loop 'walk' v1 playing (4 frames @ 40 fps)" in out
    assert "loop 'walk' v2 swapped in" in out
    assert "NameError: name 'undefined_name' is not defined" in out
    assert re.search(r"walk\s+v2\s+4\s+8x8\s+40\s+playing", out)
    assert result["code"] == 0


def test_hush_solo_stop_commands(capsys):
    def setup(repl):
        repl.namespace["a"] = solid((1, 1, 1))

    repl, out = drive('loop("one", a); loop("two", a)\r', "import time; time.sleep(0.3)\r", ":solo two\r",
                      ":stop one\r", ":loops\r", ":hush\r", ":loops\r", ":quit\r", capsys=capsys, before_run=setup)
    assert "solo 'two'" in out and "stopped loop 'one'" in out
    assert re.search(r"two\s+v1\s+4\s+8x8\s+24\s+solo", out)
    assert "stopped 1 loop" in out and "No live loops" in out


def test_loops_on_the_shared_clock(capsys):
    """tempo(), clock and loop(..., bpm=, beats=) in a session; a bad bpm is one line and the session goes on."""
    def setup(repl):
        repl.namespace["a"] = solid((1, 1, 1), frames=8)
        repl.namespace["settle"] = lambda: repl.loops.wait_idle(10)

    repl, out = drive('loop("w", a, bpm=0)\r', 'loop("w", a, beats=4, fps=12)\r', "tempo(128)\r",
                      'loop("w", a, bpm=140, beats=4); settle()\r', "tempo(), clock.bpm\r", ":loops\r", ":quit\r",
                      capsys=capsys, before_run=setup)
    assert "InvalidInputError: bpm must be positive, got 0. Give a tempo in beats per minute, e.g. bpm=120." in out
    assert "pass bpm=/beats= or fps=, not both (drop fps=)." in out
    assert "tempo 120 -> 128 BPM" in out and "tempo 128 -> 140 BPM" in out
    assert "loop 'w' v1 playing (8 frames @ 4.67 fps, 4 beats on the clock at 140 BPM)" in out
    assert "(140.0, 140.0)" in out
    assert re.search(r"clock 140 BPM, beat [0-9.]+ \(bar \d+, beat [0-9.]+ of 4\), [0-9.]+ s", out)
    assert re.search(r"w\s+v1\s+8\s+8x8\s+4\.67\s+playing\s+4 beats @ 140 BPM\s+beat [0-3]\.\d\d/4", out)
    assert repl.exit_code_seen == 0


def test_show_prints_truecolor_half_blocks(capsys):
    def setup(repl):
        frames = solid((0, 0, 0), frames=3, size=4)
        frames[1] = (255, 0, 0)
        frames[2] = (0, 255, 0)
        repl.namespace["clip"] = FakeClip(frames)

    repl, out = drive("show(clip, frames=3)\r", ":quit\r", capsys=capsys, before_run=setup)
    assert "\x1b[38;2;255;0;0;48;2;255;0;0m\u2580" in out
    assert "\x1b[38;2;0;255;0;48;2;0;255;0m" in out
    assert "3 frames, 4x4 px, showing frames 0, 1, 2" in out


def test_terminal_preview_can_be_turned_off(capsys):
    def setup(repl):
        repl.namespace["a"] = solid((1, 1, 1))

    repl, out = drive('loop("one", a)\r', "import time; time.sleep(0.2)\r", ":preview term off\r", ":quit\r",
                      capsys=capsys, before_run=setup)
    assert repl.preview.fragments() is None and "terminal preview off" in out


def test_output_from_background_threads_goes_through_patch_stdout():
    """With a real (non-dummy) output the session patches stdout, so thread prints are routed above the
    prompt by prompt_toolkit's StdoutProxy."""
    import io
    import sys

    from prompt_toolkit.output.vt100 import Vt100_Output
    from prompt_toolkit.patch_stdout import StdoutProxy

    buf = io.StringIO()
    buf.isatty = lambda: False  # type: ignore[method-assign]
    output = Vt100_Output(buf, lambda: __import__("prompt_toolkit").data_structures.Size(24, 80), term="xterm")
    seen = {}
    with create_pipe_input() as inp:
        repl = Repl(input=inp, output=output, preload=False, progress_delay=0.05)
        inp.send_text("import sys, threading\r")
        inp.send_text("t = threading.Thread(target=lambda: print('from a thread')); t.start(); t.join()\r")
        inp.send_text("stdout_is_proxy = isinstance(sys.stdout, __import__('prompt_toolkit').patch_stdout.StdoutProxy)\r")
        inp.send_text(":quit\r")
        repl.run()
        seen["proxy"] = repl.namespace["stdout_is_proxy"]
    assert seen["proxy"] is True
    assert "from a thread" in buf.getvalue()
    assert not isinstance(sys.stdout, StdoutProxy)  # restored afterwards


def test_drain_waits_until_background_output_is_written():
    """Text printed by a finished job reaches the terminal before the next prompt is drawn."""
    import io
    import sys

    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.data_structures import Size
    from prompt_toolkit.output.vt100 import Vt100_Output

    from genart_kit.repl.app import _patch_stdout

    buf = io.StringIO()
    output = Vt100_Output(buf, lambda: Size(24, 80), term="xterm")
    with create_app_session(output=output):
        with _patch_stdout() as proxy:
            t = threading.Thread(target=lambda: [print(f"line {i}") for i in range(200)])
            t.start()
            t.join()
            assert proxy.drain(5.0)
            text = buf.getvalue()
            assert sys.stdout is proxy
    assert "line 0" in text and "line 199" in text


def test_terminal_preview_fits_the_window():
    from genart_kit.repl.loops import LoopManager
    from genart_kit.repl.preview_term import TerminalPreview

    mgr = LoopManager(notify=lambda m: None)
    try:
        mgr.define("big", solid((10, 20, 30), frames=2, size=64))
        mgr.define("small", solid((200, 0, 0), frames=2, size=8))
        mgr.wait_idle(5)
        prev = TerminalPreview(mgr, rows=14, columns=lambda: 40, lines=lambda: 16)
        frag = prev.fragments()
        text = "".join(t for _, t in frag)
        lines = text.split("\n")
        assert lines[0].startswith("▶ big v1 2f@24") and "▶ small v1" in lines[0]
        picture = lines[1:]
        assert len(picture) == 16 - 8  # capped by the window height
        assert max(len(l) for l in picture) <= 40  # and by its width
        prev.enabled = False
        assert prev.fragments() is None
    finally:
        mgr.close()


def test_show_fits_the_terminal_width(capsys, monkeypatch):
    import io
    import re as _re

    from prompt_toolkit.data_structures import Size

    for columns in (160, 30):
        with create_pipe_input() as inp:
            repl = Repl(input=inp, output=DummyOutput(), preload=False)
            repl._dummy_output = False
            monkeypatch.setattr(repl.session.output, "get_size", lambda c=columns: Size(rows=40, columns=c))
            repl.stdout = buf = io.StringIO()
            repl.show(FakeClip(solid((255, 0, 0), frames=48, size=28)), frames=6)
            width = max(len(_re.sub(r"\x1b\[[0-9;]*m", "", line)) for line in buf.getvalue().splitlines())
            assert width < columns, (columns, width)


def test_preview_term_rows_are_bounded(capsys):
    repl, out = drive(":preview term 500\r", ":preview term 1\r", ":quit\r", capsys=capsys)
    lines = int(repl.preview._lines())
    assert f"2..{lines - 4}" in out and repl.preview.rows == 14
    repl, out = drive(f":preview term {lines - 4}\r", ":quit\r", capsys=capsys)
    assert repl.preview.rows == lines - 4 and f"on, {lines - 4} rows" in out
