"""Residents' code schemas."""

from __future__ import annotations

import marshmallow as ma


class CodeSchema(ma.Schema):
    code = ma.fields.String(attribute="text")
    color = ma.fields.String()
    issued_at = ma.fields.DateTime()
    expires_at = ma.fields.DateTime()
    kid = ma.fields.String()
    code_id = ma.fields.String(attribute="id")
    rule_set_version = ma.fields.Integer(attribute="ruleset_version")
