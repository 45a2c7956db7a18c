"""Settings of the money benchmark (bench/money.py): production's, with django-q2 in sync mode.

With BENCH_Q_CLUSTER=1 (bench/money.py --jobs cluster) they stay production's: a real
`manage.py qcluster` runs the jobs, with REDIS_URL's Redis as the broker and Q_WORKERS workers.

In sync mode a queued job runs in the process that queued it, once the unit of work that
queued it has committed, through django-q2's own worker code (pickled, signed, its result
saved), as a cluster worker would run it; so `escrow_release_due` is followed at once by the
`payouts_execute` jobs it queues. The local gateway stands in for Stripe.
"""

import os

os.environ.setdefault("SECRET_KEY", "bench-only-insecure-key-0123456789abcdefghijklmnop")
os.environ.setdefault("LOG_LEVEL", "WARNING")

from marketplace.settings.production import *  # noqa: F403

Q_CLUSTER = {**Q_CLUSTER, "sync": os.environ.get("BENCH_Q_CLUSTER") != "1"}  # noqa: F405
PAYMENTS_GATEWAY = "local"
if os.environ.get("BENCH_Q_SAVE_LIMIT"):  # bench/money.py --save-limit
    Q_CLUSTER["save_limit"] = int(os.environ["BENCH_Q_SAVE_LIMIT"])
if os.environ.get("BENCH_Q_CLUSTER") == "1":
    INSTALLED_APPS = [*INSTALLED_APPS, "bench.money_cluster.MoneyClusterConfig"]  # noqa: F405 - counts the jobs
