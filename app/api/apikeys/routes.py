"""Officials and admins manage API keys for machines."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from flask.views import MethodView

from app.api.apikeys.schemas import ApiKeyCreatedSchema, ApiKeyCreateSchema, ApiKeySchema
from app.api.blueprint import Blueprint
from app.extensions import db_session, now
from app.models import ApiKey, Role
from app.security.access import allow, current_principal
from app.services import apikeys

blp = Blueprint("api_keys", __name__, url_prefix="/v1/api-keys", description="API keys")


@blp.route("")
class ApiKeys(MethodView):
    @allow(Role.OFFICIAL, Role.ADMIN)
    @blp.response(200, ApiKeySchema(many=True))
    def get(self) -> Sequence[ApiKey]:
        """List keys without secrets: an admin sees all, an official their own."""
        return apikeys.list_keys(db_session(), actor=current_principal())

    @allow(Role.OFFICIAL, Role.ADMIN)
    @blp.arguments(ApiKeyCreateSchema)
    @blp.response(201, ApiKeyCreatedSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Create a key; the secret is in this response only."""
        key, secret = apikeys.create_key(
            db_session(),
            name=data["name"],
            scopes=data["scopes"],
            actor=current_principal(),
            now=now(),
        )
        return {name: getattr(key, name) for name in ApiKeySchema().fields} | {"secret": secret}


@blp.route("/<uuid:key_id>")
class ApiKeyItem(MethodView):
    @allow(Role.OFFICIAL, Role.ADMIN)
    @blp.response(204)
    def delete(self, key_id: uuid.UUID) -> None:
        """Revoke a key; it stops working at once."""
        apikeys.revoke_key(db_session(), key_id=key_id, actor=current_principal(), now=now())
