"""Fixtures for the Platform API tests: `responses` in place of the network, and a sleep that
only records how long the client would have waited."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses


@pytest.fixture
def mock() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        yield rsps


@pytest.fixture
def slept() -> list[float]:
    return []
