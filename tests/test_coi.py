"""Wasm threads on a host that sends no COOP/COEP headers (GitHub Pages), by service worker.

Every page loads web/coi-serviceworker.min.js (the npm package coi-serviceworker, vendored by `npm run
vendor`). On a page that is not cross-origin isolated it registers itself as a service worker that adds
COOP/COEP to every response of the site, and reloads the page (once, or twice when the first reload
races the worker's activation), so that the page comes through it.
`python -m web.serve --no-isolation` serves the site as Pages does. Server, browser and Tab are test_web.py's;
the same pages under `web.serve` with its headers are isolated already, and the script does nothing there
(every browser test in test_web.py runs that way).
"""
import time

import pytest

from test_web import (LOAD_MS, ORT_TOL, Tab, browser, generator, max_diff, needs_browser,  # noqa: F401
                      plain_site, pw, site)  # fixtures: browser, generator, plain_site, pw (checks web/vendor), site

pytestmark = needs_browser


def page_loads(server, start: int, page: str = "mnist.html") -> int:
    """How many times the server sent `page` since request number `start`."""
    return sum(r["path"].split("?")[0] == "/" + page for r in server.request_log[start:])


def wait_isolated_and_idle(tab: Tab):
    """Polls from Python: the page reloads itself once on the way, which ends any wait_for_function."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + LOAD_MS / 1000
    while True:
        try:
            if tab.js("() => crossOriginIsolated && !!window.mnistDemo && mnistDemo.idle()"):
                return tab
        except Error:
            pass  # the page went away under the evaluation: the reload
        assert time.monotonic() < deadline, "the page did not become cross-origin isolated and idle"
        time.sleep(0.1)


def test_service_worker_isolates_the_page_and_gives_wasm_threads(browser, plain_site, generator):
    server, base = plain_site
    start = len(server.request_log)
    tab = Tab(browser, base, service_workers=True)
    try:
        wait_isolated_and_idle(tab.open("?seed=5"))
        # coi-serviceworker reloads once the worker is installed; when that reload races the worker's
        # activation, the page comes back unisolated and the script reloads it a second time. One or two
        # reloads are the library's normal behaviour; more would be a reload loop.
        assert 2 <= page_loads(server, start) <= 3, "the page should reload once, at most twice"
        assert tab.js("!!navigator.serviceWorker.controller")
        cores = tab.js("navigator.hardwareConcurrency")
        if cores < 2:
            pytest.skip(f"this machine has {cores} core: one wasm thread whatever the isolation")
        threads = min(4, cores)  # the page's default: a thread per core, at most 4
        assert tab.js("mnistDemo.backend") == f"wasm ({threads} threads)"
        assert tab.page.inner_text("#backend") == tab.js("mnistDemo.backend")
        assert "cross-origin isolated" not in tab.page.inner_text("#notes")
        assert max_diff(tab.result("grid"), generator) <= ORT_TOL
        tab.assert_clean()

        # From now on the service worker answers at once: the next page is isolated without a reload.
        start = len(server.request_log)
        tab.open("?seed=6").wait_idle()
        assert tab.js("crossOriginIsolated") is True and page_loads(server, start) == 1
        assert tab.js("mnistDemo.backend") == f"wasm ({threads} threads)"
        tab.assert_clean()
    finally:
        tab.close()


def test_without_service_workers_the_page_runs_on_one_thread(browser, plain_site, generator):
    """Service workers blocked: no isolation and no reload; the page works on one thread and says why."""
    server, base = plain_site
    start = len(server.request_log)
    tab = Tab(browser, base, service_workers=False)
    try:
        tab.open("?seed=5&threads=2").wait_idle()
        assert page_loads(server, start) == 1
        assert tab.js("crossOriginIsolated") is False
        assert tab.js("mnistDemo.backend") == "wasm (1 thread)"
        assert "threads need a cross-origin isolated page" in tab.page.inner_text("#notes")
        assert max_diff(tab.result("grid"), generator) <= ORT_TOL
        tab.assert_clean()
    finally:
        tab.close()


def test_on_an_isolated_site_the_script_does_nothing(browser, site):
    """Under web.serve's own headers (every other browser test) nothing registers and nothing reloads."""
    server, base = site
    start = len(server.request_log)
    tab = Tab(browser, base, service_workers=True)
    try:
        tab.open(page="index.html")
        tab.page.wait_for_load_state("load")
        time.sleep(0.5)  # a registration would have started by now
        assert tab.js("crossOriginIsolated") is True
        assert tab.js("navigator.serviceWorker.getRegistrations().then(r => r.length)") == 0
        assert page_loads(server, start, "index.html") == 1
        tab.assert_clean()
    finally:
        tab.close()
