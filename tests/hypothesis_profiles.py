"""Hypothesis settings profiles, chosen by the environment variable HYPOTHESIS_PROFILE.

- ``ci`` (the default): bounded, so the whole suite stays fast on a 2-core machine.
- ``long``: a deeper search to run by hand before a release or after touching money code:
  ``HYPOTHESIS_PROFILE=long python3 dev.py test tests/payments``.

Two budgets per profile. The profile's own ``max_examples`` is for pure properties, which
cost microseconds an example (``ci`` keeps Hypothesis's default of 100, so no existing
property runs fewer examples than before). Tests that drive the real services against the
database, where one example books, pays, refunds and pays out for real, take
``database_examples()`` examples of up to ``stateful_step_count`` steps. No deadline: a
busy CI machine must not fail a test on timing.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

PROFILE_VARIABLE = "HYPOTHESIS_PROFILE"
DEFAULT_PROFILE = "ci"

# Examples of a database-backed test (the money state machine) under each profile.
DATABASE_EXAMPLES = {"ci": 20, "long": 300}

settings.register_profile(
    "ci",
    max_examples=100,
    stateful_step_count=20,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "long",
    max_examples=2000,
    stateful_step_count=40,
    deadline=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def load_hypothesis_profile() -> str:
    """Load the profile HYPOTHESIS_PROFILE names (an unknown name fails loudly); returns its name."""
    name = os.environ.get(PROFILE_VARIABLE) or DEFAULT_PROFILE
    if name not in DATABASE_EXAMPLES:
        raise RuntimeError(f"{PROFILE_VARIABLE}={name!r}: choose one of {', '.join(DATABASE_EXAMPLES)}")
    settings.load_profile(name)
    return name


def database_examples() -> int:
    """How many examples a database-backed property runs under the loaded profile."""
    return DATABASE_EXAMPLES[os.environ.get(PROFILE_VARIABLE) or DEFAULT_PROFILE]
