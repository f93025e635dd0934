"""The seat map page in headless Chromium: seats drawn in their status colours, queues shown."""

from __future__ import annotations

import http.client
import json
import shutil
import struct
import subprocess
import tempfile
import threading
import zlib
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from tests.e2e.conftest import Api
from tests.e2e.test_ledger_api import final, new_show, order

PAGE_SECONDS = 8  # of the page's own (virtual) time per run
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
    f"--virtual-time-budget={PAGE_SECONDS * 1000}",
]
SEAT_PIXELS = 700  # well under one seat cell, well over one legend swatch
COLOURS = {"FREE": (0x2E, 0x7D, 0x32), "HELD": (0xF9, 0xA8, 0x25), "SOLD": (0xC6, 0x28, 0x28)}


def chromium(*args: str) -> str:
    binary = shutil.which("chromium") or shutil.which("chromium-browser")
    assert binary, "Chromium is missing: `make install` installs Debian's chromium package"
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run(
            [binary, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
    return done.stdout


def png_pixels(path: Path) -> Counter[tuple[int, ...]]:
    """Pixels per RGB colour of an 8-bit RGB or RGBA PNG (what Chromium writes)."""
    data = path.read_bytes()
    pos, chunks, width = 8, b"", 0
    height = colour_type = 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, _, colour_type = struct.unpack(">IIBB", body[:10])
        elif kind == b"IDAT":
            chunks += body
        pos += length + 12
    step = 4 if colour_type == 6 else 3
    raw, stride = zlib.decompress(chunks), width * step
    previous, seen = bytearray(stride), Counter[tuple[int, ...]]()
    for y in range(height):
        line = raw[y * (stride + 1) : (y + 1) * (stride + 1)]
        kind, row = line[0], bytearray(line[1:])
        for i in range(stride):
            left = row[i - step] if i >= step else 0
            up, corner = previous[i], previous[i - step] if i >= step else 0
            if kind == 1:
                row[i] = (row[i] + left) & 255
            elif kind == 2:
                row[i] = (row[i] + up) & 255
            elif kind == 3:
                row[i] = (row[i] + (left + up) // 2) & 255
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                row[i] = (
                    row[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)
                ) & 255
        seen.update(tuple(row[x : x + 3]) for x in range(0, stride, step))
        previous = row
    return seen


def test_the_live_page_shows_sold_and_free_seats_in_colour(stack: Api, tmp_path: Path) -> None:
    show = new_show(stack, ["A-1", "A-2", "A-3"])
    sold = order(stack, show, "gina", ["A-1"], "tok_visa")
    late = order(stack, show, "ivy", ["A-3"], "tok_timeoutOnce")  # answered on its retry
    lost = order(stack, show, "jo", ["A-3"], "tok_visa")
    assert [final(stack, o)["status"] for o in (sold, late, lost)] == [
        "CONFIRMED",
        "CONFIRMED",
        "REJECTED",
    ]
    stack.wait_for(f"/shows/{show}/seats", lambda m: m["seats"][2]["status"] == "SOLD")
    url = f"{stack.url}/?show={show}"

    dom = chromium("--dump-dom", url)
    for label, status in (("A-1", "SOLD"), ("A-2", "FREE"), ("A-3", "SOLD")):
        assert f'data-label="{label}" data-status="{status}"' in dom
    assert "1 free, 0 held, 2 sold" in dom
    assert 'aria-label="A-1, 40.00, sold"' in dom  # not by colour alone

    shot = tmp_path / "live.png"
    chromium(f"--screenshot={shot}", "--window-size=900,500", url)
    pixels = png_pixels(shot)
    # A seat is ~35x32 px; the legend's swatches (~14x14 px each) carry every colour too.
    assert pixels[COLOURS["SOLD"]] > 2 * SEAT_PIXELS
    assert SEAT_PIXELS < pixels[COLOURS["FREE"]] < 2 * SEAT_PIXELS
    assert pixels[COLOURS["HELD"]] < SEAT_PIXELS / 2


SEAT_MAP = {  # the compact form the page reads
    "show_id": "00000000-0000-4000-8000-000000000001",
    "name": "Held seats",
    "sections": [
        {"name": "", "rows": [{"row": "B", "prefix": "B-", "seats": "1-2", "price_cents": 1}]}
    ],
    "status": "HF",
    "waiting": {"0": 7},
}


class _Fixed(BaseHTTPRequestHandler):
    """Serves the real page and a fixed seat map: a held seat with buyers waiting."""

    def do_GET(self) -> None:  # noqa: N802
        if self.path.startswith("/shows/"):
            body, kind = json.dumps(SEAT_MAP).encode(), "application/json"
        else:
            body = resources.files("infra.api").joinpath("seatmap.html").read_bytes()
            kind = "text/html"
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


def test_a_held_seat_is_amber_with_its_queue_length(tmp_path: Path) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Fixed)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/?show={SEAT_MAP['show_id']}"
        dom = chromium("--dump-dom", url)
        assert 'data-label="B-1" data-status="HELD"' in dom
        assert '<span class="q">7</span>' in dom
        shot = tmp_path / "held.png"
        chromium(f"--screenshot={shot}", "--window-size=600,300", url)
        assert png_pixels(shot)[COLOURS["HELD"]] > SEAT_PIXELS
    finally:
        server.shutdown()


def test_the_page_draws_sections_with_their_prices_and_stays_live_on_304s(
    stack: Api, tmp_path: Path
) -> None:
    # GIVEN a show whose two stands both have rows A and B, at different prices
    status, body = stack.call(
        "POST",
        "/shows",
        {
            "name": "Two stands",
            "sections": [
                {"name": "north", "rows": ["A", "B"], "seats_per_row": 4, "price_cents": 5000},
                {"name": "south", "rows": ["A", "B"], "seats_per_row": 4, "price_cents": 2500},
            ],
        },
        token=stack.organizer,
    )
    assert status == 201, body
    show = body["show_id"]
    sold = order(stack, show, "kim", ["south-A-2"], "tok_visa")
    assert final(stack, sold)["status"] == "CONFIRMED"
    stack.wait_for(f"/shows/{show}/seats", lambda m: "SOLD" in {s["status"] for s in m["seats"]})
    # WHEN the page runs for PAGE_SECONDS behind a proxy counting every byte both ways
    with CountingProxy(stack.url) as proxy:
        dom = chromium("--dump-dom", f"{proxy.url}/?show={show}")
    # THEN it draws each section with its price, and each seat with its status
    assert '<section data-section="north"><h2>north<small>50.00</small></h2>' in dom
    assert '<section data-section="south"><h2>south<small>25.00</small></h2>' in dom
    assert 'data-label="south-A-2" data-status="SOLD"' in dom
    assert 'data-label="north-A-2" data-status="FREE"' in dom
    assert "15 free, 0 held, 1 sold" in dom
    # ... polling without fetching the map again: the first answer is the map, then 304s
    maps = [r for r in proxy.requests if "/seats/compact" in r[0]]
    assert len(maps) >= PAGE_SECONDS - 2, maps
    assert maps[0][1] == 200 and {r[1] for r in maps[1:]} == {304}, maps
    steady = sum(r[2] for r in maps[1:]) / (len(maps) - 1)  # bytes per poll, one poll a second
    print(f"page steady state: {steady:.0f} B/s against 10240 B/s; first map {maps[0][2]} B")
    assert steady < 10_240


class CountingProxy:
    """Forwards every request to `target` and records (path, status, bytes on the wire both
    ways: request and status lines, headers and bodies)."""

    def __init__(self, target: str) -> None:
        self.requests: list[tuple[str, int, int]] = []
        host, port = urlsplit(target).hostname, urlsplit(target).port
        requests = self.requests

        class Forward(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                sent = len(self.requestline) + 2 + len(str(self.headers))
                upstream = http.client.HTTPConnection(str(host), port, timeout=60)
                upstream.request("GET", self.path, headers=dict(self.headers.items()))
                answer = upstream.getresponse()
                body = answer.read()
                self.send_response(answer.status)
                head = 0
                for name, value in answer.getheaders():
                    if name.lower() not in ("connection", "transfer-encoding"):
                        self.send_header(name, value)
                        head += len(name) + len(value) + 4
                self.end_headers()
                self.wfile.write(body)
                upstream.close()
                requests.append((self.path, answer.status, sent + head + 17 + len(body)))

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Forward)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> CountingProxy:
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
