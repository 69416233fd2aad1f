"""The HTML evaluation report in a real browser: `tfcompress report` renders
tests/python/data/report_sample.json, Debian's headless Chromium loads the page
from disk, and the test checks the DOM (plot ids, the page's self-check flag),
the console (no script errors, nothing fetched) and a screenshot (decoded here
with zlib + numpy: right size, plot regions not blank, model colours present).

Not a check of the figures themselves (tests/cpp/report_render_test.cc does
that). check_report_html() is reusable for any report.html, e.g. one written
by `tfcompress eval`.
"""
import os
import re
import shutil
import signal
import struct
import subprocess
import zlib
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, run_cli

SAMPLE = ROOT / "tests" / "python" / "data" / "report_sample.json"
PLOT_IDS = ("plot-acc-size", "plot-acc-latency", "plot-latency", "plot-class-delta")
WINDOW = (1200, 3000)
CHROMIUM_TIMEOUT_S = 60


def chromium_binary():
    return shutil.which("chromium")


def _run_chromium(args, timeout=CHROMIUM_TIMEOUT_S):
    """Runs chromium in its own process group; kills the whole group on timeout."""
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise AssertionError(f"chromium did not finish within {timeout} s: {' '.join(args)}")
    return proc.returncode, out, err


def _chromium_args(profile_dir):
    return [chromium_binary(), "--headless", "--disable-gpu", "--no-sandbox", "--hide-scrollbars",
            f"--window-size={WINDOW[0]},{WINDOW[1]}", "--force-device-scale-factor=1",
            "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-dev-shm-usage",
            f"--user-data-dir={profile_dir}"]


def decode_png(data):
    """Decodes an 8-bit, non-interlaced RGB or RGBA PNG into an (H, W, 3) uint8 array."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG file"
    pos, idat, header = 8, [], None
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        pos += 12 + length
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
    assert header is not None, "PNG without IHDR"
    width, height, depth, color_type, _, _, interlace = header
    assert depth == 8 and color_type in (2, 6) and interlace == 0, f"unsupported PNG layout {header}"
    bpp = 3 if color_type == 2 else 4
    raw = np.frombuffer(zlib.decompress(b"".join(idat)), dtype=np.uint8)
    raw = raw.reshape(height, 1 + width * bpp)
    filters = raw[:, 0].astype(np.int32)
    assert filters.max() <= 4, "bad PNG filter type"
    x = raw[:, 1:].reshape(height, width, bpp).astype(np.int32)
    # Reconstruction with a zero border (row 0 and column 0) for the "up" and
    # "left" neighbours. Pixel (r, c) needs (r, c-1), (r-1, c) and (r-1, c-1),
    # so all pixels on one anti-diagonal r + c = k are independent.
    rec = np.zeros((height + 1, width + 1, bpp), dtype=np.int32)
    for k in range(height + width - 1):
        r = np.arange(max(0, k - width + 1), min(height, k + 1))
        c = k - r
        a = rec[r + 1, c]      # left
        b = rec[r, c + 1]      # up
        ul = rec[r, c]         # up-left
        f = filters[r][:, None]
        p = a + b - ul
        pa, pb, pc = np.abs(p - a), np.abs(p - b), np.abs(p - ul)
        paeth = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, ul))
        pred = np.select([f == 1, f == 2, f == 3, f == 4], [a, b, (a + b) // 2, paeth], 0)
        rec[r + 1, c + 1] = (x[r, c] + pred) & 0xFF
    return rec[1:, 1:, :3].astype(np.uint8)


def _hex_to_rgb(h):
    return tuple(int(h[i:i + 2], 16) for i in (1, 3, 5))


def _distinct_colors(img):
    packed = (img[..., 0].astype(np.uint32) << 16) | (img[..., 1].astype(np.uint32) << 8) | img[..., 2]
    return len(np.unique(packed))


def _count_color(img, rgb, tol=3):
    return int(np.count_nonzero(np.all(np.abs(img.astype(np.int16) - np.array(rgb)) <= tol, axis=-1)))


def _console_problems(stderr):
    """Console messages from the page that report errors (chromium's own
    startup noise, e.g. dbus or GPU messages, is not a console message)."""
    bad = []
    for line in stderr.splitlines():
        if "CONSOLE" not in line and "Uncaught" not in line:
            continue
        if "Uncaught" in line or "ERROR:CONSOLE" in line or re.search(r"\berror\b", line, re.I):
            bad.append(line)
    return bad


def check_report_html(html_path, tmp_path, expect_plots=PLOT_IDS):
    """Loads report.html in headless Chromium and checks DOM, console and a
    screenshot. Returns (dom, image). `expect_plots`: the plot ids that must be
    drawn as <svg> (the rest may be replaced by a data-plot-missing note)."""
    html_path = Path(html_path).resolve()
    tmp_path = Path(tmp_path)
    html = html_path.read_text(encoding="utf-8")
    # Self-contained: nothing referenced by URL, no external scripts or styles.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", html, re.I), "external resource referenced"
    assert "<link" not in html.lower() and "@import" not in html and "url(" not in html
    url = html_path.as_uri()

    # 1. DOM after scripts ran, plus console messages.
    code, dom, err = _run_chromium(_chromium_args(tmp_path / "profile-dom")
                                   + ["--enable-logging=stderr", "--v=0", "--virtual-time-budget=3000",
                                      "--dump-dom", url])
    assert code == 0, f"chromium --dump-dom exited {code}:\n{err[-3000:]}"
    problems = _console_problems(err)
    assert not problems, "console errors:\n" + "\n".join(problems)
    for pid in PLOT_IDS:
        assert f'id="{pid}"' in dom or f'data-plot-missing="{pid}"' in dom, f"{pid}: neither plot nor note"
    for pid in expect_plots:
        assert re.search(rf'<svg id="{pid}"[^>]*role="img"[^>]*aria-label="[^"]+"', dom), f"{pid} not drawn"
    assert 'data-ok="1"' in dom, "the page's self-check did not pass"
    m = re.search(r'data-plots="([^"]*)"', dom)
    assert m, "plot boxes not recorded"
    boxes = {}
    for item in filter(None, m.group(1).split(";")):
        pid, *nums = item.split(",")
        boxes[pid] = tuple(int(float(v)) for v in nums)

    # 2. Screenshot of the same page at the same window size.
    shot = tmp_path / "report.png"
    code, _, err = _run_chromium(_chromium_args(tmp_path / "profile-shot")
                                 + [f"--screenshot={shot}", url])
    assert code == 0 and shot.exists(), f"chromium --screenshot failed ({code}):\n{err[-3000:]}"
    img = decode_png(shot.read_bytes())
    assert img.shape == (WINDOW[1], WINDOW[0], 3), f"screenshot is {img.shape}"
    non_white = np.any(img < 245, axis=-1)
    assert non_white.mean() > 0.03, f"page nearly blank ({non_white.mean():.2%} non-white)"
    assert _distinct_colors(img) > 100, "too few distinct colours"

    # Colours the page gives its models (legend swatches) must appear on screen.
    colors = sorted(set(re.findall(r'class="sw" style="background:(#[0-9a-fA-F]{6})"', html)))
    assert colors, "no model colours in the page"
    for c in colors:
        assert _count_color(img, _hex_to_rgb(c)) >= 30, f"model colour {c} not visible"

    # Every drawn plot that lies within the screenshot has content in its box.
    for pid in expect_plots:
        assert pid in boxes, f"{pid}: no box recorded"
        x, y, w, h = boxes[pid]
        assert w > 200 and h > 100, f"{pid}: box {boxes[pid]} too small"
        if y + h > WINDOW[1]:
            continue  # below the fold of the screenshot
        region = img[y:y + h, x:x + w]
        ink = np.any(region < 235, axis=-1).mean()
        assert ink > 0.01, f"{pid}: blank plot region ({ink:.2%} ink)"
        distinct = _distinct_colors(region)
        assert distinct > 20, f"{pid}: only {distinct} colours"
        assert any(_count_color(region, _hex_to_rgb(c)) >= 10 for c in colors), f"{pid}: no model colour"
    return dom, img


@pytest.fixture
def rendered_sample(tmp_path, cli):
    out = tmp_path / "out"
    proc = run_cli("report", SAMPLE, "-o", out)
    assert "report.html" in proc.stdout
    assert (out / "report.md").exists() and (out / "report.html").exists()
    return out


def test_report_command_renders_sample(rendered_sample):
    md = (rendered_sample / "report.md").read_text(encoding="utf-8")
    for name in ("fmnist\\_cnn", "fp16", "dynamic", "int8"):
        assert name in md
    html = (rendered_sample / "report.html").read_text(encoding="utf-8")
    for pid in PLOT_IDS:
        assert f'<svg id="{pid}"' in html


def test_report_command_refuses_other_schemas(tmp_path, cli):
    import json
    report = json.loads(SAMPLE.read_text())
    report["schema_version"] = 2
    newer = tmp_path / "newer.json"
    newer.write_text(json.dumps(report))
    proc = run_cli("report", newer, "-o", tmp_path / "o", check=False)
    assert proc.returncode == 2 and "schema_version 2" in proc.stderr, proc.stderr
    report["schema_version"], report["schema"] = 1, "other"
    other = tmp_path / "other.json"
    other.write_text(json.dumps(report))
    proc = run_cli("report", other, "-o", tmp_path / "o", check=False)
    assert proc.returncode == 2 and "not a tfcompress report" in proc.stderr, proc.stderr
    assert not (tmp_path / "o" / "report.html").exists()


def test_report_command_format_md_only(tmp_path, cli):
    run_cli("report", SAMPLE, "-o", tmp_path / "md", "--format", "md")
    assert (tmp_path / "md" / "report.md").exists()
    assert not (tmp_path / "md" / "report.html").exists()


def test_report_html_in_chromium(rendered_sample, tmp_path):
    if chromium_binary() is None:
        pytest.skip("chromium not installed (Debian package 'chromium'); the browser check needs it")
    check_report_html(rendered_sample / "report.html", tmp_path)
