"""Checkpoints and venues verify codes online (live keys and revocations)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView

from app import metrics
from app.api.blueprint import Blueprint
from app.api.common import body_limit
from app.api.verify.schemas import ImageInputSchema, VerifyInputSchema, VerifyResultSchema
from app.extensions import container, db_session, now
from app.models import Role
from app.security.access import allow
from app.services import health_codes
from codes import VerificationResult

blp = Blueprint("verify", __name__, url_prefix="/v1/verify", description="Checking codes")
WHO = (Role.CHECKPOINT, Role.VENUE_OPERATOR)


@blp.route("")
class Verify(MethodView):
    @allow(*WHO, scopes=("checkpoint",))
    @blp.arguments(VerifyInputSchema)
    @blp.response(200, VerifyResultSchema)
    def post(self, data: dict[str, Any]) -> VerificationResult:
        """Verify code text; an invalid code is a normal answer with valid=false and a reason."""
        return metrics.verified(
            health_codes.verify_online(
                db_session(),
                live=container().live,
                keyring=container().keyring,
                text=data["code"],
                now=now(),
            )
        )


@blp.route("/image")
class VerifyImage(MethodView):
    @allow(*WHO, scopes=("checkpoint",))
    @body_limit("max_upload_bytes")
    @blp.arguments(ImageInputSchema, location="files")
    @blp.response(200, VerifyResultSchema)
    def post(self, files: dict[str, Any]) -> VerificationResult:
        """Decode a QR code from a PNG or JPEG photo (multipart 'file'), then verify it."""
        text = health_codes.decode_upload(
            files["file"].read(), container().settings.max_upload_bytes
        )
        return metrics.verified(
            health_codes.verify_online(
                db_session(),
                live=container().live,
                keyring=container().keyring,
                text=text,
                now=now(),
            )
        )
