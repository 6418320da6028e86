"""Shared test configuration: hypothesis profiles and a fake clock.

``HYPOTHESIS_PROFILE=ci`` runs more examples and prints reproduction blobs;
the default profile keeps a local run quick.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import settings

from tests.support.clock import FakeClock

settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile("ci", max_examples=500, deadline=None, derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def fake_clock() -> FakeClock:
    """A clock standing still at a realistic UTC moment until a test moves it."""
    return FakeClock()
