"""One home for the toolkit's folders: every cache user agrees on one folder (issue 16)."""

from __future__ import annotations

import sys

import pytest

from genart_kit import paths


def test_cache_dir_override_and_platform_default(monkeypatch, tmp_path):
    monkeypatch.setenv("GENART_CACHE_DIR", str(tmp_path / "c"))
    assert paths.cache_dir() == tmp_path / "c"
    monkeypatch.delenv("GENART_CACHE_DIR")
    if sys.platform.startswith("linux"):
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
        assert paths.cache_dir() == tmp_path / "xdg" / "genart-kit"
        monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
        assert paths.data_dir() == tmp_path / "data" / "genart-kit"


def test_the_demo_track_and_the_training_data_share_the_cache(monkeypatch, tmp_path):
    pytest.importorskip("numpy")
    from genart_kit.audio import track_path
    from genart_kit.training.data import cache_dir

    monkeypatch.setenv("GENART_CACHE_DIR", str(tmp_path))
    assert cache_dir() == tmp_path
    assert track_path("demo") == tmp_path / "audio" / "demo-120bpm.wav" and track_path("demo").is_file()
