"""`bench --site S cs-success refresh|demo|ledger|backfill|benchmark`."""

import click

from frappe.commands import get_site, pass_context


@click.group("cs-success")
def cs_success_group():
	"""CS Success tools."""


@cs_success_group.command("refresh")
@click.option(
	"--backfill-months",
	default=12,
	show_default=True,
	help="How many past month starts to back-fill health history for.",
)
@click.option(
	"--since", default=None, help="Back-fill every month start from this date (YYYY-MM-DD) instead."
)
@pass_context
def refresh(context, backfill_months, since):
	"""What install does on a site with history, by hand: the whole revenue ledger from the documents,
	every customer scored, and back-filled monthly health history, so every report shows true figures."""
	import time

	import frappe
	from frappe.utils import getdate

	from cs_success.jobs import first_run

	frappe.init(site=get_site(context))
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		try:
			since_date = getdate(since) if since else None
		except Exception:
			click.secho(f"--since: {since} is not a date (YYYY-MM-DD).", fg="red")
			raise SystemExit(1) from None
		started = time.monotonic()
		done = first_run(backfill_months, since_date)
		frappe.db.commit()
		click.secho(
			f"Ledger of {done['ledger_customers']} customers built, {done['scored']} customers scored, "
			f"{done['snapshots']} snapshots back-filled over {done['history_months']} month starts "
			f"in {time.monotonic() - started:.0f} s.",
			fg="green",
		)
	finally:
		frappe.destroy()


@cs_success_group.command("demo")
@click.option(
	"--customers",
	default=150,
	show_default=True,
	help="How many demo customers to create. The default is about what the Score Validation report needs "
	"(100 customers and 10 churn events); fewer make the report say it cannot tell yet.",
)
@click.option("--seed", default=42, show_default=True, help="Random seed: the same seed makes the same data.")
@click.option("--force", is_flag=True, help="Add demo data even though the site has real customers.")
@click.option("--clear", is_flag=True, help="Remove the demo data (and only it) instead.")
@pass_context
def demo(context, customers, seed, force, clear):
	"""Create (or clear) a realistic, reproducible demo data set: 15 months of history in which customers
	leave after their behaviour turns bad, back-filled month-start scores and today's, so the Score
	Validation report has something to say at once."""
	import time

	import frappe

	from cs_success.demo import DemoRefused, clear_demo_data, create_demo_data, demo_customers

	frappe.init(site=get_site(context))
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		if clear:
			click.secho(f"Removed {clear_demo_data()} demo customers and what hangs off them.", fg="green")
			if kept := demo_customers():
				click.secho(
					f"Kept {len(kept)} demo customers that now have documents the demo did not create "
					f"(remove those first): {', '.join(kept)}",
					fg="yellow",
				)
			return
		started = time.monotonic()
		try:
			created = create_demo_data(customers=customers, seed=seed, force=force)
		except DemoRefused as refused:
			click.secho(str(refused), fg="red")
			raise SystemExit(1) from None
		click.secho(
			"Demo data created: "
			+ ", ".join(f"{v} {k}" for k, v in created.items())
			+ f" in {time.monotonic() - started:.0f} s. See the Score Validation report.",
			fg="green",
		)
	finally:
		frappe.destroy()


@cs_success_group.command("ledger")
@click.option("--rebuild", is_flag=True, help="Rebuild the whole revenue ledger from the documents.")
@click.option(
	"--shards",
	default=1,
	show_default=True,
	help="Split the rebuild into this many background jobs on the long queue, by customer, for several "
	"workers (on several machines) to share. 1: run it here and now.",
)
@pass_context
def ledger(context, rebuild, shards):
	"""The revenue ledger: MRR, movements, lifecycle events and renewals, from invoices, subscriptions
	and contracts. Rebuilding twice gives the same rows."""
	import time

	import frappe

	from cs_success.ledger.build import rebuild_all

	frappe.init(site=get_site(context))
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		if not rebuild:
			click.echo("Nothing to do: pass --rebuild.")
			return
		started = time.monotonic()
		built = rebuild_all(shards=shards)
		frappe.db.commit()
		if shards > 1:
			click.secho(f"Queued {shards} rebuild jobs on the long queue.", fg="green")
		else:
			click.secho(
				f"Rebuilt the ledger of {built} customers in {time.monotonic() - started:.1f} s.", fg="green"
			)
	finally:
		frappe.destroy()


@cs_success_group.command("benchmark")
@click.option(
	"--scales", default="10000,100000", show_default=True, help="Customer counts for the full recompute."
)
@click.option("--skip", default="", help="Comma-separated benchmark numbers to skip (1-9).")
@click.option("--output", default=None, help="Write the figures as JSON here.")
@click.option(
	"--force",
	is_flag=True,
	help="Run even though the site has customers the benchmark did not create. It still removes only "
	"records named BENCH-... (capitals) at the end.",
)
@click.option(
	"--keep-data",
	is_flag=True,
	help="Leave the generated data on the site at the end, to measure more on it (a later run grows it).",
)
@pass_context
def benchmark(context, scales, skip, output, force, keep_data):
	"""Run the benchmark suite on this (throw-away) site. See BENCHMARKS.md."""
	import frappe

	from cs_success.benchmarks.run import BenchmarkRefused, run_all

	frappe.init(site=get_site(context))
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		try:
			run_all(
				scales=[int(s) for s in scales.split(",") if s],
				skip={int(s) for s in skip.split(",") if s},
				output=output,
				force=force,
				keep=keep_data,
			)
		except BenchmarkRefused as refused:
			click.secho(str(refused), fg="red")
			raise SystemExit(1) from None
	finally:
		frappe.destroy()


@cs_success_group.command("backfill")
@click.option("--months", default=12, show_default=True, help="How many past month starts to score.")
@click.option("--since", default=None, help="Score every month start from this date (YYYY-MM-DD) instead.")
@pass_context
def backfill(context, months, since):
	"""Health snapshots for the past month starts, scored as of each day from the documents of the time
	and marked as back-filled, so trends and the score validation have history from day one."""
	import frappe

	from cs_success.health.backfill import backfill as run_backfill

	frappe.init(site=get_site(context))
	frappe.connect()
	frappe.set_user("Administrator")
	try:
		from frappe.utils import getdate

		written = run_backfill(months, since=getdate(since) if since else None)
		frappe.db.commit()
		for day, customers in written.items():
			click.echo(f"{day}: {customers} customers")
		click.secho(
			f"Back-filled {sum(written.values())} snapshots over {len(written)} month starts.", fg="green"
		)
	finally:
		frappe.destroy()


commands = [cs_success_group]
