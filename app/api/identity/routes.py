"""Counter staff link residents' accounts to the ID card they checked in person."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app.api.blueprint import Blueprint
from app.api.identity.schemas import LinkInputSchema, LinkSchema
from app.extensions import container, db_session, now
from app.models import Role
from app.security.access import allow, current_principal
from app.services import counter

blp = Blueprint("identity", __name__, url_prefix="/v1/identity", description="Identity proofing")


@blp.route("/links")
class Links(MethodView):
    @allow(Role.COUNTER, Role.OFFICIAL, Role.ADMIN)
    @blp.arguments(LinkInputSchema)
    @blp.response(201, LinkSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """After checking the ID card in person: link (or, with move, move) a resident (audited)."""
        c = container()
        person, previous = counter.link_in_person(
            db_session(),
            settings=c.settings,
            sms=c.sms,
            actor=current_principal(),
            now=now(),
            **data,
        )
        return {"person_id": person.id, "moved": previous is not None}
