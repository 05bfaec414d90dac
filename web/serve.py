"""Serve the demo site on localhost.

    python -m web.serve                    # http://127.0.0.1:8000/ with COOP/COEP (wasm threads on)
    python -m web.serve --port 9000
    python -m web.serve --no-isolation     # no COOP/COEP, as on GitHub Pages: the pages' service worker adds
                                           # them after one reload (single-threaded without service workers)

Beyond Python's built-in file server this one sets the MIME types that ES modules and WebAssembly
need, sends the cross-origin isolation headers that unlock SharedArrayBuffer (and so wasm threads),
gzips compressible files for clients that accept it (as GitHub Pages does), never lists folders,
and forbids caching so an edited file shows on the next reload. It only binds to loopback by default.
"""
import argparse
import email.utils
import gzip
import http.server
import threading
from functools import partial
from pathlib import Path
from urllib.parse import unquote

from ganlab import cli

SITE = Path(__file__).resolve().parent

MIME = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".json": "application/json",
    ".wasm": "application/wasm",
    ".onnx": "application/octet-stream",
    ".bin": "application/octet-stream",
    ".png": "image/png",
    ".svg": "image/svg+xml",
    ".ico": "image/x-icon",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/plain; charset=utf-8",
}
# Already-compressed formats gain nothing from gzip; everything else is worth it (wasm shrinks ~4x).
NO_GZIP = {".png", ".ico"}
ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
}
# The same policy as the pages' <meta> tag, sent as a header too so that it also binds the Web Workers.
CSP = ("default-src 'self'; script-src 'self' blob: 'wasm-unsafe-eval'; worker-src 'self' blob:; connect-src 'self'; "
       "img-src 'self' data: blob:; style-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'")
# Files the published site does not need; the server refuses them too, so tests see what Pages serves.
PRIVATE_PARTS = {"node_modules", "tools", "__pycache__"}
PRIVATE_SUFFIXES = {".py", ".pyc"}
PRIVATE_NAMES = {"package.json", "package-lock.json", ".gitignore"}


class _GzipCache:
    """gzip bodies computed once per (path, size, mtime): the 14 MB wasm takes a moment to compress."""

    def __init__(self):
        self._lock = threading.Lock()
        self._items = {}

    def get(self, path: Path, raw: bytes, stamp) -> bytes:
        key = (str(path), stamp)
        with self._lock:
            hit = self._items.get(key)
        if hit is None:
            hit = gzip.compress(raw, compresslevel=6, mtime=0)
            with self._lock:
                self._items[key] = hit
        return hit


class SiteHandler(http.server.BaseHTTPRequestHandler):
    server_version = "ganlab-web"
    protocol_version = "HTTP/1.1"

    def __init__(self, *args, root=SITE, isolation=True, log=None, quiet=True, cache=None, **kwargs):
        self.root, self.isolation, self.log, self.quiet, self.cache = root, isolation, log, quiet, cache
        super().__init__(*args, **kwargs)

    def do_GET(self):
        self._serve(send_body=True)

    def do_HEAD(self):
        self._serve(send_body=False)

    def _resolve(self) -> Path | None:
        """The file a URL path names inside the site root, or None (outside it, private or missing)."""
        url_path = self.path.split("?", 1)[0].split("#", 1)[0]
        parts = [p for p in unquote(url_path).split("/") if p not in ("", ".")]
        if any(p == ".." or p.startswith(".") or "\\" in p or "\0" in p for p in parts):
            return None
        if any(p in PRIVATE_PARTS for p in parts):
            return None
        target = self.root.joinpath(*parts)
        if target.is_dir():
            target = target / "index.html"
        if target.name in PRIVATE_NAMES or target.suffix in PRIVATE_SUFFIXES:
            return None
        try:
            target.resolve().relative_to(self.root.resolve())
        except ValueError:
            return None
        return target if target.is_file() else None

    def _common_headers(self):
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Content-Security-Policy", CSP)
        if self.isolation:
            for name, value in ISOLATION_HEADERS.items():
                self.send_header(name, value)

    def _serve(self, send_body: bool):
        target = self._resolve()
        if target is None:
            body = b"404 not found\n"
            self.send_response(404)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self._common_headers()
            self.end_headers()
            if send_body:
                self.wfile.write(body)
            self._record(404, len(body) if send_body else 0)
            return
        stat = target.stat()
        raw = target.read_bytes()
        body, encoded = raw, False
        accepts = self.headers.get("Accept-Encoding", "")
        if target.suffix not in NO_GZIP and "gzip" in accepts and len(raw) > 512:
            body, encoded = self.cache.get(target, raw, (stat.st_size, stat.st_mtime_ns)), True
        self.send_response(200)
        self.send_header("Content-Type", MIME.get(target.suffix, "application/octet-stream"))
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Last-Modified", email.utils.formatdate(stat.st_mtime, usegmt=True))
        if encoded:
            self.send_header("Content-Encoding", "gzip")
        self.send_header("Vary", "Accept-Encoding")
        self._common_headers()
        self.end_headers()
        if send_body:
            self.wfile.write(body)
        self._record(200, len(body) if send_body else 0, raw_bytes=len(raw))

    def _record(self, status: int, sent: int, raw_bytes: int | None = None):
        if self.log is not None:
            self.log.append({"path": self.path, "status": status, "bytes": sent,
                             "raw_bytes": raw_bytes if raw_bytes is not None else sent})

    def log_message(self, format, *args):  # noqa: A002 (the base class names it so)
        if not self.quiet:
            super().log_message(format, *args)


class SiteServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_server(host: str = "127.0.0.1", port: int = 8000, isolation: bool = True, root: Path = SITE,
                quiet: bool = True) -> SiteServer:
    """A server bound now (port 0 picks a free one); `server.request_log` lists what it sent."""
    log: list = []
    handler = partial(SiteHandler, root=Path(root), isolation=isolation, log=log, quiet=quiet, cache=_GzipCache())
    server = SiteServer((host, port), handler)
    server.request_log = log
    return server


def serve_in_thread(**kwargs) -> tuple[SiteServer, str]:
    """Start a server on a background thread; returns it and its base URL (ending in '/')."""
    kwargs.setdefault("port", 0)
    server = make_server(**kwargs)
    threading.Thread(target=server.serve_forever, name="web.serve", daemon=True).start()
    host, port = server.server_address[:2]
    return server, f"http://{host}:{port}/"


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m web.serve", description="Serve the demo site on localhost.")
    p.add_argument("--port", type=cli.int_in(0, 65535), default=8000, help="0: any free port")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback only)")
    p.add_argument("--no-isolation", action="store_true",
                   help="leave out the COOP/COEP headers, as GitHub Pages does: the pages' service worker adds "
                        "them after one reload; without service workers wasm runs single-threaded")
    p.add_argument("--verbose", action="store_true", help="log every request")
    args = p.parse_args(argv)
    if not (SITE / "vendor" / "ort" / "ort.wasm.min.mjs").is_file():
        print("warning: web/vendor/ is missing; run `npm ci --ignore-scripts && npm run vendor` in web/ first")
    server = make_server(args.host, args.port, isolation=not args.no_isolation, quiet=not args.verbose)
    host, port = server.server_address[:2]
    mode = ("without COOP/COEP (wasm threads only through the service worker)" if args.no_isolation
            else "with COOP/COEP (wasm threads)")
    print(f"serving {SITE} at http://{host}:{port}/ {mode}; Ctrl-C stops", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
