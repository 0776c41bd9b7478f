"""The ``emoji`` dataset plugin (genart_emoji): rendering, metadata, cache, errors, registration.

The fixture tests always run: ``tests/fixtures/emoji`` holds 27 real Noto Color Emoji glyphs (24 emoji of
the 9 groups plus 3 skin-tone variants, 32 px high PNGs) and their lines of Unicode's emoji-test.txt (with
unqualified and component lines the loader must skip). The tests marked ``real`` use the Debian packages
fonts-noto-color-emoji and unicode-data (CI installs them) and say why they skip when they are absent.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch

from genart_emoji import catalog, render
from genart_emoji.catalog import GROUPS, parse_emoji_test
from genart_emoji.dataset import DEFAULT_FONT, DEFAULT_LIST, EmojiDataset, load_emoji
from genart_kit.errors import DatasetError, InvalidInputError
from genart_kit.training.data import load_dataset

FIXTURE = Path(__file__).parent / "fixtures" / "emoji"
DEFAULT_BG = (242, 240, 235)
INSTALL = "sudo apt-get install fonts-noto-color-emoji unicode-data"
HAVE_PACKAGES = DEFAULT_FONT.is_file() and DEFAULT_LIST.is_file()
real = pytest.mark.skipif(not HAVE_PACKAGES, reason=f"Debian packages fonts-noto-color-emoji and unicode-data "
                                                      f"are not installed (`{INSTALL}`)")


@pytest.fixture(autouse=True)
def _cache(tmp_path, monkeypatch):
    """Every test gets its own empty cache folder."""
    monkeypatch.setenv("GENART_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache" / "emoji"


def _bbox(images: torch.Tensor, background: tuple[int, int, int], tol: int = 24) -> list[tuple[int, int, int, int]]:
    """Per image, ``(x0, y0, x1, y1)`` (x1, y1 exclusive) of the pixels that differ from *background*."""
    bg = torch.tensor(background, dtype=torch.int16).view(1, 3, 1, 1)
    mask = (images.to(torch.int16) - bg).abs().amax(1) > tol  # [N, S, S]
    out = []
    for m in mask:
        ys, xs = torch.nonzero(m, as_tuple=True)
        out.append((int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1))
    return out


def _fixture_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "fixture"
    shutil.copytree(FIXTURE, dst)
    return dst


# ------------------------------------------------------------------------------------- the fixture (always)


def test_fixture_is_what_the_tests_expect():
    entries = parse_emoji_test(FIXTURE / "emoji-test.txt")
    tones = parse_emoji_test(FIXTURE / "emoji-test.txt", skin_tones=True)
    assert len(entries) == 24 and len(tones) == 27
    assert {e.group for e in entries} == set(GROUPS)
    assert all((FIXTURE / "glyphs" / f"{e.key}.png").is_file() for e in tones)


@pytest.mark.parametrize("size", [32, 64, 128, 16, 48])
def test_shapes_and_dtypes(size):
    ds = load_emoji(fixture=FIXTURE, image_size=size)
    assert isinstance(ds, EmojiDataset) and len(ds) == 24
    assert ds.images.dtype == torch.uint8 and tuple(ds.images.shape) == (24, 3, size, size)
    assert ds.image_shape == (3, size, size)
    assert ds.labels.dtype == torch.int64 and ds.num_classes == 9 and ds.class_names == list(GROUPS)
    x, y = ds[0]
    assert x.dtype == torch.float32 and x.shape == (3, size, size) and 0.0 <= float(x.min()) <= float(x.max()) <= 1.0
    assert isinstance(y, int)
    xb, yb = ds.get_batch(torch.tensor([0, 5]))
    assert xb.shape == (2, 3, size, size) and yb.tolist() == [ds.labels[0].item(), ds.labels[5].item()]


@pytest.mark.parametrize("bad", [{"image_size": 15}, {"image_size": 1024}, {"image_size": 32.5},
                                 {"background": "not-a-colour"}, {"padding": 0.5}, {"channels": 2},
                                 {"imagesize": 32}])
def test_bad_options_are_clear_errors(bad):
    with pytest.raises(InvalidInputError) as err:
        load_emoji(fixture=FIXTURE, **bad)
    text = str(err.value)
    assert "dataset 'emoji'" in text
    if "imagesize" in bad:
        assert "Did you mean 'image_size'?" in text


def test_glyphs_are_centred_and_padded():
    for size, padding in ((32, 0.06), (64, 0.06), (128, 0.15)):
        ds = load_emoji(fixture=FIXTURE, image_size=size, padding=padding)
        for name, (x0, y0, x1, y1) in zip(ds.names, _bbox(ds.images, DEFAULT_BG)):
            cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
            assert abs(cx - size / 2) <= 1.0 + size / 64 and abs(cy - size / 2) <= 1.0 + size / 64, (name, size)
            side = max(x1 - x0, y1 - y0)
            assert abs(side - size * (1 - 2 * padding)) <= 2 + size / 32, (name, size, side)


@pytest.mark.parametrize("background,rgb", [(None, DEFAULT_BG), ("white", (255, 255, 255)),
                                            ("#102030", (16, 32, 48)), ("black", (0, 0, 0))])
def test_background_at_the_corners(background, rgb):
    ds = load_emoji(fixture=FIXTURE, image_size=32, **({} if background is None else {"background": background}))
    want = torch.tensor(rgb, dtype=torch.uint8).view(1, 3)
    for corner in (ds.images[:, :, 0, 0], ds.images[:, :, 0, -1], ds.images[:, :, -1, 0], ds.images[:, :, -1, -1]):
        assert torch.equal(corner, want.expand(len(ds), 3))
    assert ds.background == rgb


def test_no_dark_fringe_at_the_edges():
    """Premultiplied resampling: a red disc on transparent black, composited on white, is red mixed with white
    at its edges (R stays 255, G = B), never red mixed with black (a dark ring)."""
    from PIL import Image, ImageDraw

    glyph = Image.new("RGBA", (136, 128), (0, 0, 0, 0))
    ImageDraw.Draw(glyph).ellipse((20, 10, 120, 110), fill=(255, 0, 0, 255))
    tile = render.fit_tile(glyph, 32, 0.06)
    assert tile.dtype == np.uint8 and tile.shape == (4, 32, 32)
    rgb = render.composite(tile[None], (255, 255, 255))[0].astype(int)
    edge = (rgb[1] > 10) & (rgb[1] < 245)  # partly covered pixels
    assert edge.sum() > 20
    assert rgb[0][edge].min() >= 250 and np.abs(rgb[1] - rgb[2]).max() <= 2
    assert render.fit_tile(Image.new("RGBA", (8, 8)), 32, 0.06) is None  # an invisible glyph: left out


def test_captions_groups_and_labels():
    ds = load_emoji(fixture=FIXTURE, image_size=32)
    meta = {n: (g, s, c) for n, g, s, c in zip(ds.names, ds.groups, ds.subgroups, ds.captions)}
    assert meta["grinning face"] == ("Smileys & Emotion", "face-smiling", "grinning face, a smiling face emoji")
    assert meta["rocket"] == ("Travel & Places", "transport-air", "rocket, an air transport emoji")
    assert meta["cat face"][0] == "Animals & Nature" and meta["cat face"][2] == "cat face, a mammal emoji"
    assert meta["red apple"][2] == "red apple, a fruit emoji"
    assert meta["flag: Germany"] == ("Flags", "country-flag", "flag of Germany, a country flag emoji")
    assert meta["keycap: 1"][2] == "keycap 1, a keycap emoji"
    assert meta["family: man, woman, boy"][2] == "family of man, woman, boy, a family emoji"
    # only fully-qualified lines; no component (skin-tone swatch) and no unqualified duplicates
    assert ds.names.count("recycling symbol") == 1 and ds.names.count("rainbow flag") == 1
    assert "light skin tone" not in ds.names and not any("skin tone" in n for n in ds.names)
    assert ds.labels.tolist() == [ds.class_names.index(g) for g in ds.groups]
    assert ds.emoji[ds.names.index("rocket")] == "\U0001F680" and ds.keys[ds.names.index("flag: Germany")] == "1F1E9-1F1EA"
    assert sorted(set(ds.labels.tolist())) == list(range(9))


def test_skin_tones_option():
    base = load_emoji(fixture=FIXTURE, image_size=32)
    tones = load_emoji(fixture=FIXTURE, image_size=32, skin_tones=True)
    assert (len(base), len(tones)) == (24, 27)
    extra = [n for n in tones.names if n not in base.names]
    assert sorted(extra) == ["thumbs up: dark skin tone", "thumbs up: medium skin tone", "waving hand: light skin tone"]
    i = tones.names.index("thumbs up: medium skin tone")
    assert tones.captions[i] == "thumbs up, medium skin tone, a closed hand emoji"
    assert tones.groups[i] == "People & Body"


def test_channels_limit_and_subset_keep_metadata():
    grey = load_emoji(fixture=FIXTURE, image_size=32, channels=1, limit=5)
    assert tuple(grey.images.shape) == (5, 1, 32, 32) and len(grey.captions) == 5
    sub = load_emoji(fixture=FIXTURE, image_size=32).subset(3)
    assert isinstance(sub, EmojiDataset) and sub.names == ["grinning face", "smiling face", "red heart"]
    assert sub.class_names == list(GROUPS) and len(sub.captions) == 3


def test_load_dataset_and_registry_pass_options_through():
    ds = load_dataset("emoji", fixture=str(FIXTURE), image_size=32, limit=4)
    assert isinstance(ds, EmojiDataset) and tuple(ds.images.shape) == (4, 3, 32, 32) and ds.name == "emoji"
    from genart_kit.registry import get_registry

    entry = get_registry().get("dataset", "emoji")
    assert entry.plugin == "emoji" and entry.loader == "genart_emoji.dataset:load_emoji"
    assert entry.meta["num_classes"] == 9 and entry.meta["image_shape"] == (3, None, None)


def test_genart_list_datasets_shows_emoji(capsys):
    from genart_kit.cli import main

    assert main(["list", "datasets"]) == 0
    rows = [line.split() for line in capsys.readouterr().out.splitlines()]
    assert ["emoji", "emoji"] in [r[:2] for r in rows]


# ----------------------------------------------------------------------------------------------- the cache


def _count_renders(monkeypatch) -> list[int]:
    calls: list[int] = []
    real_render = render.render_tiles

    def counting(entries, *args, **kwargs):
        calls.append(len(list(entries)))
        return real_render(entries, *args, **kwargs)

    monkeypatch.setattr(render, "render_tiles", counting)
    return calls


def _no_render(monkeypatch):
    def fail(*args, **kwargs):
        raise AssertionError("rendered although the cache holds these images")

    monkeypatch.setattr(render, "render_tiles", fail)


def test_second_load_reads_the_cache(monkeypatch, _cache):
    calls = _count_renders(monkeypatch)
    first = load_emoji(fixture=FIXTURE, image_size=32)
    assert calls == [24]
    files = sorted(p.name for p in _cache.glob("*.npz"))
    assert len(files) == 1 and files[0].startswith("emoji-32px-")
    _no_render(monkeypatch)
    again = load_emoji(fixture=FIXTURE, image_size=32)
    assert torch.equal(again.images, first.images) and again.names == first.names
    # the background is composited at load time: another one reads the same cache
    white = load_emoji(fixture=FIXTURE, image_size=32, background="white", limit=3)
    assert white.images[:, :, 0, 0].tolist() == [[255, 255, 255]] * 3
    # no temporary files are left next to the cache
    assert not [p for p in _cache.iterdir() if p.suffix == ".tmp"]


def test_the_cache_is_keyed_by_size_tones_and_files(monkeypatch, tmp_path):
    fixture = _fixture_copy(tmp_path)
    calls = _count_renders(monkeypatch)
    load_emoji(fixture=fixture, image_size=32)
    load_emoji(fixture=fixture, image_size=32)
    load_emoji(fixture=fixture, image_size=40)
    load_emoji(fixture=fixture, image_size=32, skin_tones=True)
    load_emoji(fixture=fixture, image_size=32, padding=0.2)
    assert calls == [24, 24, 27, 24]
    st = (fixture / "emoji-test.txt").stat()
    os.utime(fixture / "emoji-test.txt", ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))  # the list was updated
    load_emoji(fixture=fixture, image_size=32)
    assert calls == [24, 24, 27, 24, 24]
    load_emoji(fixture=fixture, image_size=32, cache=False)  # cache=False always renders
    assert len(calls) == 6


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty", "wrong-shape"])
def test_a_corrupt_cache_is_rebuilt(monkeypatch, _cache, damage):
    good = load_emoji(fixture=FIXTURE, image_size=32)
    (path,) = _cache.glob("*.npz")
    data = path.read_bytes()
    if damage == "garbage":
        path.write_bytes(b"not a cache file" * 100)
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    else:
        with np.load(path) as npz:
            parts = dict(npz)
        np.savez_compressed(path, **{**parts, "tiles": parts["tiles"][:, :, :16, :16]})
    calls = _count_renders(monkeypatch)
    again = load_emoji(fixture=FIXTURE, image_size=32)
    assert calls == [24] and torch.equal(again.images, good.images)
    _no_render(monkeypatch)  # rewritten: the next load reads it
    assert torch.equal(load_emoji(fixture=FIXTURE, image_size=32).images, good.images)


def test_a_failed_cache_write_leaves_no_file(monkeypatch, _cache):
    def broken(fh, **arrays):
        fh.write(b"half a file")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(np, "savez_compressed", broken)
    ds = load_emoji(fixture=FIXTURE, image_size=32)  # the dataset still loads
    assert len(ds) == 24
    assert not list(_cache.glob("*.npz")) and not list(_cache.glob("*.tmp"))


# ----------------------------------------------------------------------------------------------- the errors


def test_missing_font_names_both_packages(tmp_path):
    with pytest.raises(DatasetError) as err:
        load_emoji(font=tmp_path / "NotoColorEmoji.ttf", emoji_list=FIXTURE / "emoji-test.txt")
    text = str(err.value)
    assert "fonts-noto-color-emoji" in text and "unicode-data" in text and INSTALL in text
    assert str(tmp_path / "NotoColorEmoji.ttf") in text


def test_missing_list_names_both_packages(tmp_path):
    font = DEFAULT_FONT if DEFAULT_FONT.is_file() else FIXTURE / "glyphs" / "1F600.png"  # any existing file
    with pytest.raises(DatasetError) as err:
        load_dataset("emoji", font=str(font), emoji_list=str(tmp_path / "emoji-test.txt"))
    text = str(err.value)
    assert "fonts-noto-color-emoji" in text and "unicode-data" in text and INSTALL in text
    assert "emoji-test.txt" in text and "\n" not in text


def test_not_an_emoji_list(tmp_path):
    bad = tmp_path / "fixture"
    (bad / "glyphs").mkdir(parents=True)
    (bad / "emoji-test.txt").write_text("# nothing here\n", encoding="utf-8")
    with pytest.raises(DatasetError, match="no fully-qualified emoji"):
        load_emoji(fixture=bad)


def test_a_file_that_is_not_a_font(tmp_path):
    fake = tmp_path / "fake.ttf"
    fake.write_bytes(b"\0" * 64)
    with pytest.raises(DatasetError, match="fonts-noto-color-emoji"):
        load_emoji(font=fake, emoji_list=FIXTURE / "emoji-test.txt")


def test_caption_rules():
    e = catalog.EmojiEntry((0x1F552,), "three o\u2019clock", "Travel & Places", "time")
    assert e.caption == "three o'clock, a time emoji"
    assert catalog.EmojiEntry((0x1F9D1,), "x", "G", "new-thing").caption == "x, a new thing emoji"
    assert catalog.class_names([catalog.EmojiEntry((1,), "x", "Brand New", "s")]) == [*GROUPS, "Brand New"]


# ------------------------------------------------------------------------------ the real Debian packages


@pytest.fixture(scope="module")
def real32(tmp_path_factory):
    """The full real set at 32 px (about 5 s to render), in a cache of its own."""
    mp = pytest.MonkeyPatch()
    mp.setenv("GENART_CACHE_DIR", str(tmp_path_factory.mktemp("emoji-real-cache")))
    try:
        yield load_emoji(image_size=32)
    finally:
        mp.undo()


@real
@pytest.mark.slow
def test_real_set_counts_and_content(real32):
    listed = parse_emoji_test(DEFAULT_LIST)
    assert 1800 <= len(listed) <= 2100 and len(real32) == len(listed)  # every emoji of the list is drawn
    assert 3500 <= len(parse_emoji_test(DEFAULT_LIST, skin_tones=True)) <= 4000
    assert tuple(real32.images.shape) == (len(listed), 3, 32, 32) and real32.images.dtype == torch.uint8
    assert set(real32.groups) == set(GROUPS) and real32.class_names == list(GROUPS)
    by_name = dict(zip(real32.names, zip(real32.groups, real32.captions)))
    assert by_name["grinning face"] == ("Smileys & Emotion", "grinning face, a smiling face emoji")
    assert by_name["rocket"] == ("Travel & Places", "rocket, an air transport emoji")
    assert by_name["cat face"][0] == "Animals & Nature" and by_name["red apple"][0] == "Food & Drink"


@real
@pytest.mark.slow
def test_real_renders_are_centred_on_the_background(real32):
    imgs = real32.images
    assert (imgs[:, :, 0, 0] == torch.tensor(DEFAULT_BG, dtype=torch.uint8)).all()
    boxes = _bbox(imgs, DEFAULT_BG, tol=40)
    off = torch.tensor([((x0 + x1) / 2 - 16, (y0 + y1) / 2 - 16) for x0, y0, x1, y1 in boxes])
    assert off.abs().mean() < 0.5 and (off.abs() <= 2.5).float().mean() > 0.98
    assert float(imgs.float().std()) > 40  # colourful, not blank


@real
def test_real_font_matches_the_fixture():
    """The fixture is what the real font draws: the same 24 emoji, rendered from the font, look alike."""
    fixture = load_emoji(fixture=FIXTURE, image_size=32, cache=False)
    font = render.FontGlyphs(DEFAULT_FONT)
    entries = parse_emoji_test(FIXTURE / "emoji-test.txt")
    tiles, kept = render.render_tiles(entries, font, 32, 0.06)
    assert kept == list(range(24))
    direct = torch.from_numpy(render.composite(tiles, DEFAULT_BG)).float()
    assert float((direct - fixture.images.float()).abs().mean()) < 12.0


@real
def test_real_skin_tone_variants_draw_as_one_glyph():
    font = render.FontGlyphs(DEFAULT_FONT)
    tones = [e for e in parse_emoji_test(DEFAULT_LIST, skin_tones=True) if e.has_skin_tone]
    sample = tones[:: max(1, len(tones) // 40)]
    assert all(font.glyph(e) is not None for e in sample)
