"""manage.py search_reindex: index every public service again in the search engine the settings choose.

Run it after a deploy that changes what services are found by (the mapping, the texts), after
restoring a database, or to fill a new OpenSearch cluster. Day to day the index follows every
change through ``catalog.tasks.service_reindex`` jobs, so this is not a cron job. With
``--next-available`` the next available times are worked out again too (they otherwise follow
within SEARCH_NEXT_AVAILABLE_TTL_SECONDS).
"""

from django.core.management.base import BaseCommand
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

from marketplace.bookings.search import search_next_available_refresh
from marketplace.catalog.search.documents import search_index_rebuild, search_index_size
from marketplace.catalog.search.engine import engine_name


class Command(BaseCommand):
    help = "Index every public service again in the search engine (SEARCH_ENGINE), with a progress bar."

    def add_arguments(self, parser):
        parser.add_argument(
            "--next-available",
            action="store_true",
            help="Also work out every service's next available time again (slower: the slot engine per service).",
        )

    def handle(self, *args, **options):
        console = Console(file=self.stdout._out, force_terminal=None)
        total = search_index_size()
        columns = (
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console, transient=False) as progress:
            task = progress.add_task(f"Indexing services ({engine_name()})", total=total)
            indexed = search_index_rebuild(progress=lambda n: progress.advance(task, n))
            refreshed = None
            if options["next_available"]:
                task = progress.add_task("Next available times", total=indexed)
                refreshed = 0
                while refreshed < indexed:
                    done = search_next_available_refresh(limit=500)
                    if not done:
                        break
                    refreshed += done
                    progress.advance(task, done)
        message = f"Indexed {indexed} public services in the {engine_name()} search engine."
        if refreshed is not None:
            message += f" Worked out {refreshed} next available times."
        self.stdout.write(self.style.SUCCESS(message))
