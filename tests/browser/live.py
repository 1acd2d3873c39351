"""A Flask app served over real HTTP in a thread, and Debian's chromium as Playwright launches it here.

Used by the browser tests and by scripts/screenshots.py.
"""
from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from waitress import create_server, wasyncore

# Debian's package (scripts/setup_browser.sh): Playwright's own browser download is never used.
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
VIEWPORT = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


def launch(playwright: Any) -> Any:
    """Headless chromium from /usr/bin, with the flags that work in a container as root."""
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


@contextmanager
def serving(app: Any) -> Iterator[str]:
    """Serve the WSGI app on a free loopback port while the block runs; yields its base URL."""
    server = create_server(app, host="127.0.0.1", port=0, threads=4)
    stop = threading.Event()

    def loop() -> None:
        # waitress's own run() only returns once every connection is gone; this loop stops when asked.
        while not stop.is_set():
            wasyncore.loop(timeout=0.05, map=server._map, count=1)
        # Closing on the loop's own thread: the poll never sees a socket closed under it.
        for channel in list(server._map.values()):
            channel.close()
        server.task_dispatcher.shutdown()

    thread = threading.Thread(target=loop, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        stop.set()
        thread.join(timeout=10)
