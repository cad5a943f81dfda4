"""Headless Chromium against the site served by a real Frappe web server, for browser tests.

Uses Debian's /usr/bin/chromium through Playwright's `executable_path`; never a downloaded browser.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
import urllib.request

import frappe
from frappe.utils import get_bench_path

CHROMIUM = os.environ.get("CS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
	"--no-sandbox",
	"--disable-gpu",
	"--disable-quic",
	"--no-first-run",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
]
SCREENSHOT_DIR = os.environ.get("CS_SCREENSHOT_DIR", "/tmp/cs_success_screenshots")


def _free_port() -> int:
	with socket.socket() as sock:
		sock.bind(("127.0.0.1", 0))
		return sock.getsockname()[1]


@contextlib.contextmanager
def live_server(realtime: bool = False):
	"""The site served by gunicorn, the production web server, on a free loopback port; yields its
	base URL. (Frappe's development server answers the first not-found page of its life with 200, so
	a test on it would depend on what ran before.)

	`realtime`: run it as `bench start` does (DEV_SERVER), so the desk connects to the socket.io port
	directly; without nginx nothing proxies /socket.io to it."""
	port = _free_port()
	env = {**os.environ, "CS_TEST_SITE": frappe.local.site}
	if realtime:
		env["DEV_SERVER"] = "1"
	process = subprocess.Popen(
		[
			os.path.join(get_bench_path(), "env", "bin", "gunicorn"),
			"-b",
			f"127.0.0.1:{port}",
			"-w",
			"2",
			"-t",
			"120",
			"cs_success.tests.wsgi_test_site:application",
		],
		cwd=os.path.join(get_bench_path(), "sites"),
		env=env,
		stdout=subprocess.DEVNULL,
		stderr=subprocess.DEVNULL,
	)
	base_url = f"http://127.0.0.1:{port}"
	try:
		deadline = time.monotonic() + 60
		while True:
			try:
				urllib.request.urlopen(f"{base_url}/api/method/ping", timeout=2)
				break
			except OSError:
				if time.monotonic() > deadline or process.poll() is not None:
					raise RuntimeError("the test web server did not start") from None
				time.sleep(0.5)
		yield base_url
	finally:
		process.terminate()
		process.wait(timeout=20)
		# What the server's requests queued waits for a worker no test run has: without its "drain queued"
		# marker the next commit's flush drains inline, whichever test module comes next.
		from cs_success.base.queue import SCHEDULED_KEY

		frappe.cache.delete_value(SCHEDULED_KEY)


@contextlib.contextmanager
def realtime_server():
	"""Frappe's socket.io server (node) on the bench's socketio_port, unless one already listens there."""
	port = int(frappe.get_conf().get("socketio_port") or 9000)
	with socket.socket() as probe:
		already_running = probe.connect_ex(("127.0.0.1", port)) == 0
	if already_running:
		yield port
		return
	process = subprocess.Popen(
		["node", os.path.join(get_bench_path(), "apps", "frappe", "socketio.js")],
		cwd=get_bench_path(),
		stdout=subprocess.DEVNULL,
		stderr=subprocess.DEVNULL,
	)
	try:
		deadline = time.monotonic() + 30
		while True:
			with socket.socket() as probe:
				if probe.connect_ex(("127.0.0.1", port)) == 0:
					break
			if time.monotonic() > deadline or process.poll() is not None:
				raise RuntimeError("the realtime server did not start")
			time.sleep(0.3)
		yield port
	finally:
		process.terminate()
		process.wait(timeout=20)


@contextlib.contextmanager
def browser_page(base_url: str, user: str | None = None, password: str | None = None):
	"""A Chromium page on the test server (which serves one site); logged in as `user` when given."""
	from playwright.sync_api import sync_playwright

	with sync_playwright() as playwright:
		browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
		try:
			# The site header lets the realtime server, reached on 127.0.0.1, find the site.
			context = browser.new_context(
				base_url=base_url,
				viewport={"width": 1400, "height": 1000},
				extra_http_headers={"X-Frappe-Site-Name": frappe.local.site},
			)
			page = context.new_page()
			if user:
				response = context.request.post(
					f"{base_url}/api/method/login", form={"usr": user, "pwd": password}
				)
				assert response.ok, f"login failed: {response.status} {response.text()[:200]}"
			yield page
		finally:
			browser.close()


def screenshot(page, name: str) -> str:
	os.makedirs(SCREENSHOT_DIR, exist_ok=True)
	path = os.path.join(SCREENSHOT_DIR, f"{name}.png")
	page.screenshot(path=path, full_page=True)
	return path
