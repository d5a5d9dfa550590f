"""The verification answer's hand-written dump is marshmallow's dump of the same schema."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import marshmallow as ma
import pytest

from app.api.verify.schemas import VerifyResultSchema
from codes import Reason, VerificationResult

EXPIRES = datetime(2026, 11, 30, 20, 17, 26, tzinfo=UTC)
RESULTS = (
    [
        VerificationResult(
            valid=True,
            reason=None,
            color=color,
            holder_name="Z*** S**",
            id_last4="123X",
            expires_at=expires,
            code_id="mMthgrPD9F1P9b_RfNbCnw",
            kid="N5hBfXrqVqU",
            kind="health",
        )
        for color in ("green", "yellow", "red")
        for expires in (
            EXPIRES,
            EXPIRES + timedelta(microseconds=250),
            EXPIRES.replace(tzinfo=None),  # naive
            EXPIRES.astimezone(timezone(timedelta(hours=8))),
            None,
        )
    ]
    + [
        VerificationResult(valid=True, reason=None),  # holder fields missing
        VerificationResult(  # holder fields on an invalid result are not shown
            valid=False, reason=Reason.REVOKED, holder_name="Z***", id_last4="0001", color="red"
        ),
    ]
    + [
        VerificationResult(valid=False, reason=reason, kind="health" if signed else None, **extra)
        for reason in Reason
        for signed, extra in (
            (False, {}),
            (True, {"expires_at": EXPIRES, "code_id": "abc", "kid": "k1", "color": None}),
        )
    ]
)


@pytest.mark.parametrize("result", RESULTS, ids=repr)
def test_dump_is_marshmallows(result: VerificationResult) -> None:
    schema = VerifyResultSchema()
    ours, theirs = schema.dump(result), ma.Schema.dump(schema, result)
    assert json.dumps(ours, sort_keys=True) == json.dumps(theirs, sort_keys=True)  # types too
    assert ours == theirs


def test_many_only_and_exclude_go_through_marshmallow() -> None:
    schema = VerifyResultSchema()
    assert schema.dump(RESULTS[:2], many=True) == [ma.Schema.dump(schema, r) for r in RESULTS[:2]]
    assert VerifyResultSchema(many=True).dump(RESULTS[:2]) == schema.dump(RESULTS[:2], many=True)
    assert VerifyResultSchema(only=("valid",)).dump(RESULTS[0]) == {"valid": True}
    assert "kid" not in VerifyResultSchema(exclude=("kid",)).dump(RESULTS[0])
