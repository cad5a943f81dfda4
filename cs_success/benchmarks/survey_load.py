"""Benchmark 5, guest survey submissions under load: every one of 400 links answered twice through
gunicorn (2 workers) by 16 concurrent clients; throughput, latency, and that each link stored exactly one
response."""

from __future__ import annotations

import json
import random
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import frappe
from frappe.utils import add_days, now_datetime

from cs_success.benchmarks.data import OURS, PREFIX, SURVEY_CAMPAIGN, bench_customer
from cs_success.benchmarks.harness import gunicorn


def survey_load(invitations: int = 400, concurrency: int = 16) -> dict:
	from cs_success.surveys.delivery import Recipient, create_invitation
	from cs_success.surveys.links import token_for

	campaign_name = SURVEY_CAMPAIGN
	if not frappe.db.exists("Survey Campaign", campaign_name):
		frappe.get_doc(
			{
				"doctype": "Survey Campaign",
				"campaign_name": campaign_name,
				"template": "Net Promoter Score",
				"purpose": "Periodic",
				"audience": "All Customers",
				"status": "Completed",
			}
		).insert(ignore_permissions=True)
	campaign = frappe.get_doc("Survey Campaign", campaign_name)
	customers = frappe.db.sql_list(
		f"SELECT name FROM `tabCustomer` WHERE name {OURS} LIMIT %s", (f"{PREFIX}C%", invitations)
	)
	if len(customers) < invitations:
		customers = [bench_customer(f"BENCH-SURVEY-{n}") for n in range(invitations)]
	tokens = []
	for n, customer in enumerate(customers):
		invitation = create_invitation(campaign, Recipient(customer, None, f"bench-{n}@example.com"))
		invitation.db_set(
			{"status": "Sent", "sent_on": now_datetime(), "expires_on": add_days(now_datetime(), 7)}
		)
		tokens.append((invitation.name, token_for(invitation)))
	frappe.db.commit()

	with gunicorn("frappe.app:application", workers=2) as port:
		# Every token twice: the second must be refused. Spread over addresses, as real respondents are.
		work = [(i, token) for i, (_name, token) in enumerate(tokens)] * 2
		random.Random(5).shuffle(work)
		latencies, statuses, lock = [], [], threading.Lock()
		site = frappe.local.site  # frappe.local is per thread: the workers get the site passed in

		def worker(items):
			for i, token in items:
				status, elapsed = post_answer(site, port, token, i % 10, f"10.{i // 250}.{i % 250}.1")
				with lock:
					latencies.append(elapsed)
					statuses.append(status)

		chunks = [work[i::concurrency] for i in range(concurrency)]
		threads = [threading.Thread(target=worker, args=(chunk,)) for chunk in chunks]
		started = time.perf_counter()
		for thread in threads:
			thread.start()
		for thread in threads:
			thread.join()
		wall = time.perf_counter() - started

	frappe.db.rollback()
	names = [name for name, _token in tokens]
	stored = frappe.db.sql(
		"SELECT invitation, COUNT(*) FROM `tabSurvey Response` WHERE invitation IN %(names)s GROUP BY invitation",
		{"names": tuple(names)},
	)
	per_invitation = [count for _invitation, count in stored]
	latencies.sort()
	figures = {
		"requests": len(work),
		"concurrency": concurrency,
		"gunicorn_workers": 2,
		"throughput_rps": len(work) / wall,
		"p50_ms": latencies[len(latencies) // 2] * 1000,
		"p95_ms": latencies[int(len(latencies) * 0.95)] * 1000,
		"accepted": statuses.count(200),
		"refused": len(statuses) - statuses.count(200),
		"invitations_with_one_response": sum(1 for c in per_invitation if c == 1),
		"invitations_with_more_than_one": sum(1 for c in per_invitation if c > 1),
		"invitations": len(tokens),
	}
	print("5. survey load", figures)
	return figures


def post_answer(site: str, port: int, token: str, score: int, ip: str) -> tuple[int, float]:
	data = {
		"doctype": "Survey Response",
		"token": token,
		"answers_json": json.dumps({"1": score}),
		"comment": "",
	}
	body = urllib.parse.urlencode({"web_form": "survey", "data": json.dumps(data)}).encode()
	request = urllib.request.Request(
		f"http://127.0.0.1:{port}/api/method/frappe.website.doctype.web_form.web_form.accept",
		data=body,
		headers={"Host": site, "X-Forwarded-For": ip, "Accept": "application/json"},
	)
	started = time.perf_counter()
	try:
		with urllib.request.urlopen(request, timeout=60) as response:
			status = response.status
	except urllib.error.HTTPError as error:
		status = error.code
	return status, time.perf_counter() - started
