"""Officials find people by ID number, read their status and withdraw their codes (audited)."""

from __future__ import annotations

import uuid
from typing import Any

from flask.views import MethodView

from app.api.blueprint import Blueprint
from app.api.common import StatusSchema, language
from app.api.persons.schemas import LookupSchema, PersonSchema
from app.extensions import container, db_session, now
from app.models import Person, Role
from app.security.access import allow, current_principal
from app.services import persons, residents, trust

blp = Blueprint("persons", __name__, url_prefix="/v1/persons", description="People")


@blp.route("/lookup")
class Lookup(MethodView):
    @allow(Role.OFFICIAL, Role.ADMIN)
    @blp.arguments(LookupSchema)
    @blp.response(200, PersonSchema)
    def post(self, query: dict[str, Any]) -> Person:
        """Find a person by ID number (in the body, never in a URL); the look-up is audited."""
        return persons.lookup(
            db_session(),
            settings=container().settings,
            actor=current_principal(),
            id_number=query["id_number"],
        )


@blp.route("/<uuid:person_id>/withdraw-codes")
class WithdrawCodes(MethodView):
    @allow(Role.OFFICIAL, Role.ADMIN)
    @blp.response(204)
    def post(self, person_id: uuid.UUID) -> None:
        """Withdraw every outstanding code of a person (they appear in the next bundle)."""
        c = container()
        trust.withdraw_codes(
            db_session(),
            settings=c.settings,
            actor=current_principal(),
            person_id=person_id,
            now=now(),
        )


@blp.route("/<uuid:person_id>/status")
class PersonStatus(MethodView):
    @allow(Role.OFFICIAL, Role.ADMIN)
    @blp.response(200, StatusSchema)
    def get(self, person_id: uuid.UUID) -> dict[str, Any]:
        """A person's colour and reasons (audited)."""
        return residents.person_status(
            db_session(),
            actor=current_principal(),
            person_id=person_id,
            language=language(),
            now=now(),
        )
