"""The API's Blueprint: flask-smorest's, parsing with the strict parser."""

from __future__ import annotations

import flask_smorest

from app.api.parsing import StrictParser


class Blueprint(flask_smorest.Blueprint):  # type: ignore[misc]
    """Every API area uses this: hostile JSON values are 400s, unknown query fields 422s."""

    # unknown=None: each schema's Meta (RAISE) rules, for query parameters too.
    ARGUMENTS_PARSER = StrictParser(unknown=None)
