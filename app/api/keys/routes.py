"""Admins rotate and revoke code-signing keys."""

from __future__ import annotations

from collections.abc import Sequence

import marshmallow as ma
from flask.views import MethodView

from app.api.blueprint import Blueprint
from app.extensions import container, db_session, now
from app.models import KeyRecord, Role
from app.security.access import allow, current_principal
from app.services import keys

blp = Blueprint("keys", __name__, url_prefix="/v1/keys", description="Signing keys")


class KeySchema(ma.Schema):
    kid = ma.fields.String()
    alg = ma.fields.String()
    purpose = ma.fields.String()
    status = ma.fields.String()
    public_jwk = ma.fields.Dict()
    created_at = ma.fields.DateTime()
    retired_at = ma.fields.DateTime(allow_none=True)
    not_after = ma.fields.DateTime(allow_none=True)
    revoked_at = ma.fields.DateTime(allow_none=True)


@blp.route("")
class Keys(MethodView):
    @allow(Role.ADMIN, Role.OFFICIAL)
    @blp.response(200, KeySchema(many=True))
    def get(self) -> Sequence[KeyRecord]:
        """Every key with its public half and status (never the private half)."""
        return keys.list_keys(db_session())


@blp.route("/rotate")
class Rotate(MethodView):
    @allow(Role.ADMIN)
    @blp.response(201, KeySchema)
    def post(self) -> KeyRecord:
        """Start signing with a new key; the old one verifies its codes until they expire."""
        c = container()
        return keys.rotate(
            db_session(),
            keyring=c.keyring,
            settings=c.settings,
            now=now(),
            actor=current_principal(),
        )


@blp.route("/<string:kid>/revoke")
class Revoke(MethodView):
    @allow(Role.ADMIN)
    @blp.response(200, KeySchema(many=True))
    def post(self, kid: str) -> Sequence[KeyRecord]:
        """Compromise: drop the key from the bundle at once; its codes stop verifying."""
        c = container()
        return keys.revoke(
            db_session(),
            keyring=c.keyring,
            settings=c.settings,
            kid=kid,
            now=now(),
            actor=current_principal(),
        )
