#!/usr/bin/env python3
"""A loopback HTTP server for the DatasetDownload tests.

Usage: archive_server.py ZIP LOG [LIFETIME_SECONDS]

Serves the bytes of ZIP at /MODE/ANY-NAME on 127.0.0.1 (an ephemeral port, printed alone on the first line of
standard output). Each request is appended to LOG as one line, "MODE RANGE" (RANGE is the Range header or "-"),
before it is answered. The server exits when its standard input closes (the test stops it, or dies) or after
LIFETIME_SECONDS (default 120), whichever comes first.

Modes:
  normal        200, or 206 for "Range: bytes=N-" (416 when N is past the end)
  missing       404
  truncated     like normal, but the connection closes after half the announced body
  stall         like normal, but after a quarter of the body it sends nothing for STALL_SECONDS
  wrong         like normal, with every byte inverted (same size, other SHA-256)
  norange       ignores Range: always 200 with the whole file
  refuse-range  416 to any request with a Range header, else 200
"""

import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

STALL_SECONDS = 10
MODES = {"normal", "missing", "truncated", "stall", "wrong", "norange", "refuse-range"}


def main():
    zip_path, log_path = sys.argv[1], sys.argv[2]
    lifetime = float(sys.argv[3]) if len(sys.argv) > 3 else 120.0
    with open(zip_path, "rb") as source:
        body = source.read()
    inverted = bytes(255 - byte for byte in body)
    log_lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format, *args):
            pass  # keep the test output clean

        def do_GET(self):
            parts = self.path.strip("/").split("/")
            mode = parts[0] if parts and parts[0] in MODES else "missing"
            range_header = self.headers.get("Range")
            with log_lock, open(log_path, "a") as log:
                log.write(f"{mode} {range_header or '-'}\n")
            if mode == "missing":
                self.send_error(404, "Not Found")
                return
            if mode == "refuse-range" and range_header:
                self.refuse(len(body))
                return
            data = inverted if mode == "wrong" else body
            start = 0
            if range_header and mode != "norange":
                start = parse_start(range_header)
                if start is None or start >= len(data):
                    self.refuse(len(data))
                    return
            chunk = data[start:]
            self.send_response(206 if start > 0 else 200)
            self.send_header("Content-Type", "application/zip")
            self.send_header("Content-Length", str(len(chunk)))
            self.send_header("Accept-Ranges", "bytes")
            if start > 0:
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            self.end_headers()
            try:
                if mode == "truncated":
                    self.wfile.write(chunk[: len(chunk) // 2])
                elif mode == "stall":
                    self.wfile.write(chunk[: len(chunk) // 4])
                    self.wfile.flush()
                    time.sleep(STALL_SECONDS)
                    self.wfile.write(chunk[len(chunk) // 4:])
                else:
                    self.wfile.write(chunk)
                self.wfile.flush()
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up, as the stall test expects
            self.close_connection = True

        def refuse(self, length):
            self.send_response(416)
            self.send_header("Content-Range", f"bytes */{length}")
            self.send_header("Content-Length", "0")
            self.end_headers()
            self.close_connection = True

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    print(server.server_address[1], flush=True)

    # Stop when the test closes our standard input (or exits), or when the lifetime runs out.
    watcher = threading.Thread(target=sys.stdin.read, daemon=True)
    watcher.start()
    watcher.join(timeout=lifetime)
    server.shutdown()
    server.server_close()


def parse_start(header):
    """The first byte of "bytes=N-" or "bytes=N-M", or None for any other form."""
    if not header.startswith("bytes="):
        return None
    first = header[len("bytes="):].split(",")[0].split("-")[0].strip()
    return int(first) if first.isdigit() else None


if __name__ == "__main__":
    main()
