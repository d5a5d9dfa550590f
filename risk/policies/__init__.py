"""Rule set documents shipped with the package."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any


def load_default() -> dict[str, Any]:
    """The default policy document (a fresh copy each call)."""
    source = resources.files(__package__).joinpath("default.json").read_text(encoding="utf-8")
    document: dict[str, Any] = json.loads(source)
    return document


load_default_policy = load_default
