"""manage.py demo_load: fill a freshly migrated database with the Tidy Nest demo.

The texts live in fixtures/demo/*.json; storefront.management.demo.loader turns them
into pages, organizers, services, bookings, payments and reviews through the domain
services. Running it again changes nothing. To start over, delete the demo database
(var/demo.sqlite3) and run `python3 dev.py demo` again: bookings, payments and the
ledger are append-only, so there is no safe in-place reset.
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from ..demo.loader import DemoLoader, clashing_accounts, demo_logins, is_loaded, read_fixtures

# Every replayed step logs a queued job, a finished Wagtail task or a published page,
# stamped with the replayed (past) time: hundreds of confusing lines. Warnings still show.
NOISY_LOGGERS = ("django-q", "django_tasks", "wagtail")


@contextmanager
def quiet_loggers(*names: str) -> Iterator[None]:
    loggers = [logging.getLogger(name) for name in names]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)


class Command(BaseCommand):
    help = "Load the demo marketplace (categories, organizers, services, bookings, reviews). Safe to run twice."
    requires_migrations_checks = True

    def add_arguments(self, parser):
        parser.add_argument(
            "--no-images",
            action="store_true",
            help="Skip drawing the placeholder before/after pictures for the portfolio pages (a little faster).",
        )

    def handle(self, *args, **options):
        data = read_fixtures()
        if is_loaded(data):
            self.stdout.write(self.style.SUCCESS("The demo data is already loaded; nothing changed."))
            self._print_logins(data)
            return
        clashes = clashing_accounts(data)
        if clashes:
            raise CommandError(
                "This database already has some of the demo accounts but not the demo data "
                f"({', '.join(clashes[:4])}{'...' if len(clashes) > 4 else ''}). Load the demo into a fresh database."
            )
        self.stdout.write("Loading the demo data...")
        with quiet_loggers(*NOISY_LOGGERS):
            summary = DemoLoader(data=data, images=not options["no_images"]).run()
        self._print_summary(summary)
        self._print_logins(data)

    def _print_summary(self, s: dict) -> None:
        services, bookings = s["services"], s["bookings"]
        reviewed = f"{s['reviews']} reviewed, average {s['average_rating']:.1f}" if s["reviews"] else "none reviewed"
        lines = [
            f"  {s['categories']} category pages, {s['landing_pages']} landing pages, {s['images']} portfolio images",
            f"  {s['vendors']} verified organizers with portfolio pages and weekly hours; "
            f"{s['pending_vendors']} waiting for verification",
            f"  {sum(services.values())} services: {services['fixed']} fixed price, {services['hourly']} hourly, "
            f"{services['quote']} on quote",
            f"  {s['customers']} customers, {sum(bookings.values())} bookings: "
            + ", ".join(f"{count} {status}" for status, count in sorted(bookings.items(), key=lambda i: -i[1])),
            f"  {bookings.get('completed', 0)} completed ({reviewed})",
            f"  money: {s['paid_out']} paid out to organizers, {s['commission']} commission, "
            f"{s['escrow_held']} in escrow for {s['escrow_bookings']} bookings "
            f"({s['awaiting_payout_approval']} payout waiting for an admin's approval)",
        ]
        if s["cleared_jobs"]:
            lines.append(f"  {s['cleared_jobs']} queued notification/payout jobs of the replayed history removed")
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded in {s['seconds']:.1f} s:"))
        self.stdout.write("\n".join(lines))

    def _print_logins(self, data: dict) -> None:
        logins = demo_logins(data)
        width_email = max(len(login.email) for login in logins)
        width_password = max(len(login.password) for login in logins)
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING(f"Demo logins (demo only) at {settings.SITE_URL}/"))
        self.stdout.write(f"  {'role':<10} {'email':<{width_email}}  {'password':<{width_password}}  can")
        for login in logins:
            self.stdout.write(
                f"  {login.role:<10} {login.email:<{width_email}}  {login.password:<{width_password}}  {login.can}"
            )
        self.stdout.write(f"  Wagtail admin and back office: {settings.SITE_URL}/admin/   Test card: pm_card_visa")
