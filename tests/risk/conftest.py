"""Shared fixtures for the risk tests."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from risk import CompiledRuleSet, compile_ruleset, load_default_policy


@pytest.fixture(scope="session")
def default() -> CompiledRuleSet:
    return compile_ruleset(load_default_policy())


@pytest.fixture
def now() -> datetime:
    return datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
