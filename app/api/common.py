"""Schema pieces shared by the API areas."""

from __future__ import annotations

import marshmallow as ma


class StrictSchema(ma.Schema):
    """Input schema that rejects unknown fields."""

    class Meta:
        unknown = ma.RAISE


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details (documentation only)."""

    type = ma.fields.String()
    title = ma.fields.String()
    status = ma.fields.Integer()
    detail = ma.fields.String()
    instance = ma.fields.String()
    errors = ma.fields.List(ma.fields.Dict())
