"""Colour status: a resident's own (with reasons), a person's for officials, and statistics."""

from __future__ import annotations

import uuid
from typing import Any

import marshmallow as ma
from flask import request
from flask.views import MethodView
from flask_smorest import Blueprint

from app.extensions import container, db_session, now
from app.models import Role
from app.security.access import allow, current_principal
from app.services import residents, stats

blp = Blueprint("status", __name__, url_prefix="/v1", description="Colour status")


class ReasonSchema(ma.Schema):
    rule_id = ma.fields.String()
    color = ma.fields.String()
    text = ma.fields.String()
    since = ma.fields.String(allow_none=True)
    until = ma.fields.String(allow_none=True)
    how_to_clear = ma.fields.String()


class StatusSchema(ma.Schema):
    color = ma.fields.String()
    valid_until = ma.fields.DateTime(allow_none=True)
    rule_set_version = ma.fields.Integer(allow_none=True)
    reasons = ma.fields.List(ma.fields.Nested(ReasonSchema))
    since = ma.fields.DateTime(allow_none=True)
    updated_at = ma.fields.DateTime(allow_none=True)


class HistorySchema(ma.Schema):
    at = ma.fields.DateTime()
    from_ = ma.fields.String(data_key="from", attribute="from", allow_none=True)
    to = ma.fields.String()
    rule_set_version = ma.fields.Integer()
    reasons = ma.fields.List(ma.fields.Nested(ReasonSchema))


def _language() -> str:
    return request.accept_languages.best_match(residents.LANGUAGES) or "en"


@blp.route("/me/status")
class MyStatus(MethodView):
    @allow(Role.RESIDENT)
    @blp.response(200, StatusSchema)
    def get(self) -> dict[str, Any]:
        """Your colour, why (in your Accept-Language: en or zh), until when, how to clear."""
        return residents.my_status(db_session(), current_principal(), _language())


@blp.route("/me/history")
class MyHistory(MethodView):
    @allow(Role.RESIDENT)
    @blp.response(200, HistorySchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """Your colour changes with their reasons, newest first."""
        return residents.my_history(db_session(), current_principal(), _language())


@blp.route("/persons/<uuid:person_id>/status")
class PersonStatus(MethodView):
    @allow(Role.OFFICIAL, Role.ADMIN)
    @blp.response(200, StatusSchema)
    def get(self, person_id: uuid.UUID) -> dict[str, Any]:
        """A person's colour and reasons (audited)."""
        return residents.person_status(db_session(), current_principal(), person_id, _language())


@blp.route("/stats")
class Stats(MethodView):
    @allow(Role.OFFICIAL, Role.ADMIN)
    @blp.response(200)
    def get(self) -> dict[str, Any]:
        """People per colour, queue depth, failed jobs and batches, and recompute lag."""
        c = container()
        return stats.stats(db_session(), c.redis, c.settings.queue_name, now())
