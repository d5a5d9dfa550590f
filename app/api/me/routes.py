"""A resident's own profile."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint

from app.api.me.schemas import ProfileInputSchema, ProfileSchema
from app.extensions import container, db_session, now
from app.models import Person, Role
from app.security.access import allow, current_principal
from app.services import persons

blp = Blueprint("me", __name__, url_prefix="/v1/me", description="The resident's own data")


@blp.route("/profile")
class Profile(MethodView):
    @allow(Role.RESIDENT)
    @blp.response(200, ProfileSchema)
    def get(self) -> Person:
        """Your profile: masked name and the last 4 characters of your ID number."""
        return persons.get_profile(db_session(), current_principal())

    @allow(Role.RESIDENT)
    @blp.arguments(ProfileInputSchema)
    @blp.response(200, ProfileSchema)
    def put(self, data: dict[str, Any]) -> Person:
        """Set your identity; the clear ID number is never stored."""
        return persons.put_profile(
            db_session(),
            container().settings,
            current_principal(),
            data["name"],
            data["id_number"],
            data["birth_date"],
            now(),
        )
