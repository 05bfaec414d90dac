"""Benchmark the MNIST page (or the CIFAR-10 page) in headless Chromium: both runtimes, side by side.

    python -m web.bench                  # prints a table; --json FILE also writes the raw figures
    python -m web.bench --reps 100 --loads 5
    python -m web.bench --page cifar10   # the same figures for web/cifar10.html and its model

For each setup it serves web/ on a free localhost port and measures:
  * inference inside the Web Worker, after warm-up: median ms for one digit and for the 8x8 grid (64);
    the worker times the runtime call plus tensor creation and output read, nothing of the page;
  * first digit on screen: ms from navigation start to the first grid drawn, fresh context (empty
    cache) every load, median of --loads;
  * bytes the page transfers (as the server sent them, gzip where the browser asked for it) and their
    uncompressed size.
Targets (from the MNIST issue): <= 5 ms per digit, <= 40 ms per grid, <= 2 s to first digit, <= 8 MB.
"""
import argparse
import json
import statistics
import sys

from ganlab import cli
from web.browser import chromium, new_context, require_browser_tools
from web.serve import SITE, serve_in_thread

SETUPS = [
    # (label, query, cross-origin isolated?)
    ("ONNX Runtime Web, COOP/COEP", "", True),
    ("ONNX Runtime Web, COOP/COEP, 1 thr", "threads=1", True),
    ("ONNX Runtime Web, no COOP/COEP", "", False),
    ("TF.js, COOP/COEP", "runtime=tfjs", True),
    ("TF.js, no COOP/COEP", "runtime=tfjs", False),
]
TARGETS = {"one_ms": 5, "grid_ms": 40, "first_digit_ms": 2000, "page_bytes": 8_000_000}
MODEL_STEMS = {"mnist": "mnist_generator", "cifar10": "cifar10_generator"}  # page -> its model files


def load(browser, url: str, server) -> dict:
    """One cold page load: first-digit time, backend and what the server sent for it."""
    start = len(server.request_log)
    context = new_context(browser)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(url)
    page.wait_for_function("() => window.mnistDemo && mnistDemo.idle()", timeout=120_000)
    if page.evaluate("mnistDemo.phase") != "ready":
        raise RuntimeError(f"{url}: {page.inner_text('#error')}")
    first = page.evaluate("performance.getEntriesByName('first-digit')[0].startTime")
    sent = server.request_log[start:]
    return {"context": context, "page": page, "first_digit_ms": first, "backend": page.evaluate("mnistDemo.backend"),
            "page_bytes": sum(r["bytes"] for r in sent), "page_raw_bytes": sum(r["raw_bytes"] for r in sent),
            "files": len(sent), "errors": errors}


def measure(browser, label: str, query: str, isolation: bool, loads: int, reps: int, warmup: int,
            page_name: str = "mnist") -> dict:
    server, base = serve_in_thread(isolation=isolation)
    try:
        url = f"{base}{page_name}.html?seed=1" + (f"&{query}" if query else "")
        runs = []
        for i in range(loads + 1):                     # load 0 fills the server's gzip cache; not counted
            run = load(browser, url, server)
            if i < loads:
                run["context"].close()
            if i > 0:
                runs.append(run)
        page = runs[-1]["page"]
        one = page.evaluate("([r, w]) => mnistDemo.bench(1, r, w)", [reps, warmup])
        grid = page.evaluate("([r, w]) => mnistDemo.bench(64, r, w)", [reps, warmup])
        runs[-1]["context"].close()
        return {
            "setup": label, "backend": runs[-1]["backend"], "isolated": isolation,
            "one_ms": statistics.median(one), "one_p90_ms": sorted(one)[int(0.9 * (len(one) - 1))],
            "grid_ms": statistics.median(grid), "grid_p90_ms": sorted(grid)[int(0.9 * (len(grid) - 1))],
            "first_digit_ms": statistics.median(r["first_digit_ms"] for r in runs),
            "page_bytes": runs[-1]["page_bytes"], "page_raw_bytes": runs[-1]["page_raw_bytes"],
            "files": runs[-1]["files"], "errors": sum((r["errors"] for r in runs), []),
        }
    finally:
        server.shutdown()
        server.server_close()


def model_sizes(page_name: str = "mnist") -> dict:
    models = SITE / "models"
    stem = MODEL_STEMS[page_name]
    tfjs = models / f"{stem}_tfjs"
    return {"onnx_bytes": (models / f"{stem}.onnx").stat().st_size,
            "tfjs_bytes": sum(f.stat().st_size for f in tfjs.rglob("*") if f.is_file())}


def table(rows: list[dict], sizes: dict) -> str:
    mark = lambda value, key: "" if value <= TARGETS[key] else " (over)"  # noqa: E731
    lines = [f"{'setup':36} {'backend':22} {'1 digit':>10} {'64 grid':>10} {'first digit':>12} {'transfer':>10} {'raw':>9}"]
    for r in rows:
        lines.append(
            f"{r['setup']:36} {r['backend']:22} {r['one_ms']:8.2f}ms {r['grid_ms']:8.2f}ms {r['first_digit_ms']:10.0f}ms "
            f"{r['page_bytes'] / 1e6:8.2f}MB {r['page_raw_bytes'] / 1e6:7.2f}MB"
            + mark(r["one_ms"], "one_ms") + mark(r["grid_ms"], "grid_ms") + mark(r["first_digit_ms"], "first_digit_ms"))
    lines.append(f"targets: 1 digit <= {TARGETS['one_ms']} ms, 64 grid <= {TARGETS['grid_ms']} ms, first digit <= "
                 f"{TARGETS['first_digit_ms']} ms, transfer <= {TARGETS['page_bytes'] / 1e6:.0f} MB (medians; "
                 f"inference timed inside the worker after warm-up)")
    lines.append(f"model files: ONNX {sizes['onnx_bytes'] / 1e6:.2f} MB (float32), "
                 f"TF.js {sizes['tfjs_bytes'] / 1e6:.2f} MB (float16 weights + graph)")
    return "\n".join(lines)


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m web.bench", description="Time a generator page in headless Chromium.")
    p.add_argument("--reps", type=cli.positive_int, default=50, help="timed runs per batch size (after warm-up)")
    p.add_argument("--warmup", type=cli.non_negative_int, default=10)
    p.add_argument("--loads", type=cli.positive_int, default=3, help="cold page loads for the first-digit time")
    p.add_argument("--only", choices=["ort", "tfjs"], default=None, help="one runtime only")
    p.add_argument("--page", choices=sorted(MODEL_STEMS), default="mnist", help="which page to time")
    p.add_argument("--json", type=cli.output_file, default=None, help="also write the figures here")
    args = p.parse_args(argv)
    require_browser_tools()
    setups = [s for s in SETUPS if args.only is None or ("tfjs" in s[1]) == (args.only == "tfjs")]
    rows = []
    with chromium() as browser:
        for label, query, isolation in setups:
            print(f"measuring: {label} ...", file=sys.stderr, flush=True)
            rows.append(measure(browser, label, query, isolation, args.loads, args.reps, args.warmup, args.page))
    sizes = model_sizes(args.page)
    print(table(rows, sizes))
    for r in rows:
        if r["errors"]:
            print(f"page errors in {r['setup']}: {r['errors']}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"rows": rows, "models": sizes}, indent=2) + "\n")


if __name__ == "__main__":
    main()
