"""Shared test configuration: hypothesis profiles, a fake clock, the TypeScript client.

``HYPOTHESIS_PROFILE=ci`` runs more examples and prints reproduction blobs;
the default profile keeps a local run quick.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

from tests.support.clock import FakeClock
from tests.support.node import CLIENT_DIR, npm_ci

settings.register_profile("default", max_examples=100, deadline=None)
settings.register_profile("ci", max_examples=500, deadline=None, derandomize=False, print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture
def fake_clock() -> FakeClock:
    """A clock standing still at a realistic UTC moment until a test moves it."""
    return FakeClock()


@pytest.fixture(scope="session")
def typescript_client() -> Path:
    """``clients/typescript`` with its locked Node packages installed (Node.js needed)."""
    return npm_ci(CLIENT_DIR)
