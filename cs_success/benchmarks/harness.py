"""What the benchmarks measure with: medians of timed runs, counted queries, peak memory, the machine's
description, and the child processes some of them measure in (gunicorn, `bench execute`)."""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager

import frappe
from frappe.utils import get_bench_path, now_datetime


def machine() -> dict:
	return {
		"cpus": os.cpu_count(),
		"memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1),
		"python": sys.version.split()[0],
		"mariadb": frappe.db.sql("SELECT VERSION()")[0][0],
		"frappe": frappe.__version__,
		"site": frappe.local.site,
		"when": str(now_datetime()),
	}


def timed_commit(work) -> float:
	"""Seconds one call of `work` takes, its commit included (what a job would do after it)."""
	started = time.perf_counter()
	work()
	frappe.db.commit()
	return time.perf_counter() - started


def median_of(fn, runs: int, before=None) -> float:
	"""Median seconds of `fn` over `runs` calls; `before(i)`, when given, runs ahead of call i, untimed."""
	times = []
	for i in range(runs):
		if before is not None:
			before(i)
		started = time.perf_counter()
		fn()
		times.append(time.perf_counter() - started)
	return statistics.median(times)


@contextmanager
def counting_queries():
	counter = {"queries": 0}
	original = frappe.db.sql

	def sql(*args, **kwargs):
		counter["queries"] += 1
		return original(*args, **kwargs)

	frappe.db.sql = sql
	try:
		yield counter
	finally:
		frappe.db.sql = original


def peak_rss_mb() -> float | None:
	"""This process's peak resident memory (Linux; VmHWM, which exec resets, unlike getrusage's maxrss)."""
	with open("/proc/self/status") as status:
		for line in status:
			if line.startswith("VmHWM:"):
				return int(line.split()[1]) / 1024
	return None


def bench_execute(function: str, kwargs: dict) -> list[str]:
	"""The command that runs `function(**kwargs)` on this site in a process of its own; run it from the
	bench directory. bench prints what the function returns, as its last line."""
	return ["bench", "--site", frappe.local.site, "execute", function, "--kwargs", json.dumps(kwargs)]


@contextmanager
def gunicorn(application: str, workers: int):
	"""A gunicorn serving this site's `application` with `workers` workers on a free loopback port: yields
	the port once the server answers, and stops the server at the end."""
	port = free_port()
	process = subprocess.Popen(
		[
			os.path.join(get_bench_path(), "env", "bin", "gunicorn"),
			"-b",
			f"127.0.0.1:{port}",
			"-w",
			str(workers),
			"-t",
			"120",
			"--preload",
			application,
		],
		cwd=os.path.join(get_bench_path(), "sites"),
		stdout=subprocess.DEVNULL,
		stderr=subprocess.DEVNULL,
	)
	try:
		wait_for(f"http://127.0.0.1:{port}/api/method/ping")
		yield port
	finally:
		process.terminate()
		process.wait(timeout=30)


def free_port() -> int:
	with socket.socket() as sock:
		sock.bind(("127.0.0.1", 0))
		return sock.getsockname()[1]


def wait_for(url: str, seconds: int = 60) -> None:
	deadline = time.monotonic() + seconds
	while time.monotonic() < deadline:
		try:
			urllib.request.urlopen(
				urllib.request.Request(url, headers={"Host": frappe.local.site}), timeout=2
			)
			return
		except OSError:
			time.sleep(0.5)
	raise RuntimeError(f"{url} did not answer")
