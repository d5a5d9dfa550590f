"""A person's colour history for officials (audited)."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from app.api.blueprint import Blueprint
from app.api.common import language
from app.api.me.schemas import HistorySchema
from app.extensions import db_session
from app.models import Role
from app.security.access import allow, current_principal
from app.services import overview

blp = Blueprint("person_history", __name__, url_prefix="/v1/persons", description="People")


@blp.route("/<uuid:person_id>/history")
class PersonHistory(MethodView):
    @allow(Role.OFFICIAL, Role.ADMIN)
    @blp.response(200, HistorySchema(many=True))
    def get(self, person_id: uuid.UUID) -> list[dict[str, Any]]:
        """A person's colour changes with their reasons, newest first."""
        return overview.person_history(
            db_session(), actor=current_principal(), person_id=person_id, language=language()
        )
