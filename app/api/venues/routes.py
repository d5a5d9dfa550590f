"""Venues: operators register and run their own; officials list and search all of them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from flask import Response, current_app
from flask.views import MethodView

from app.api.apikeys.schemas import ApiKeyCreatedSchema, ApiKeySchema
from app.api.blueprint import Blueprint
from app.api.venues.schemas import (
    DeviceKeyInputSchema,
    PlaceCodeSchema,
    TransferSchema,
    VenueInputSchema,
    VenuePatchSchema,
    VenueQuerySchema,
    VenueSchema,
)
from app.extensions import container, db_session, now
from app.models import PlaceCode, Role, Venue
from app.security.access import allow, current_principal
from app.services import place_codes, posters, venues
from codes import qr

blp = Blueprint("venues", __name__, url_prefix="/v1/venues", description="Venues")
OPERATOR, READERS = (
    (Role.VENUE_OPERATOR, Role.ADMIN),
    (Role.VENUE_OPERATOR, Role.OFFICIAL, Role.ADMIN),
)


@blp.route("")
class Venues(MethodView):
    @allow(*READERS)
    @blp.arguments(VenueQuerySchema, location="query")
    @blp.response(200, VenueSchema(many=True))
    def get(self, query: dict[str, Any]) -> Sequence[Venue]:
        """Your venues (operators), or all venues, searched by name or address (officials)."""
        return venues.listing(
            db_session(),
            actor=current_principal(),
            q=query.get("q"),
            region=query.get("region"),
            limit=query["limit"],
        )

    @allow(Role.VENUE_OPERATOR)
    @blp.arguments(VenueInputSchema)
    @blp.response(201, VenueSchema)
    def post(self, data: dict[str, Any]) -> Venue:
        """Register a venue you run (entry policy default: green only)."""
        return venues.create(db_session(), actor=current_principal(), data=data, now=now())


@blp.route("/<uuid:venue_id>")
class OneVenue(MethodView):
    @allow(*READERS)
    @blp.response(200, VenueSchema)
    def get(self, venue_id: uuid.UUID) -> Venue:
        """One venue (another operator's venue is 404)."""
        return venues.get(db_session(), actor=current_principal(), venue_id=venue_id)

    @allow(*OPERATOR)
    @blp.arguments(VenuePatchSchema)
    @blp.response(200, VenueSchema)
    def patch(self, data: dict[str, Any], venue_id: uuid.UUID) -> Venue:
        """Change details or the entry policy (a new policy gets a new place code)."""
        return venues.update(
            db_session(), actor=current_principal(), venue_id=venue_id, data=data, now=now()
        )


@blp.route("/<uuid:venue_id>/deactivate")
class Deactivate(MethodView):
    @allow(*OPERATOR)
    @blp.response(200, VenueSchema)
    def post(self, venue_id: uuid.UUID) -> Venue:
        """Deactivate: no more place codes or check-ins."""
        return venues.deactivate(
            db_session(), actor=current_principal(), venue_id=venue_id, now=now()
        )


@blp.route("/<uuid:venue_id>/transfer")
class Transfer(MethodView):
    @allow(Role.ADMIN)
    @blp.arguments(TransferSchema)
    @blp.response(200, VenueSchema)
    def post(self, data: dict[str, Any], venue_id: uuid.UUID) -> Venue:
        """Give the venue to another venue operator account."""
        return venues.transfer(
            db_session(),
            actor=current_principal(),
            venue_id=venue_id,
            owner_id=data["owner_id"],
            now=now(),
        )


@blp.route("/<uuid:venue_id>/api-keys")
class DeviceKeys(MethodView):
    @allow(*OPERATOR)
    @blp.arguments(DeviceKeyInputSchema)
    @blp.response(201, ApiKeyCreatedSchema)
    def post(self, data: dict[str, Any], venue_id: uuid.UUID) -> dict[str, Any]:
        """An API key (scope checkpoint) for a door device of this venue; secret shown once."""
        key, secret = venues.create_device_key(
            db_session(), actor=current_principal(), venue_id=venue_id, name=data["name"], now=now()
        )
        return {name: getattr(key, name) for name in ApiKeySchema().fields} | {"secret": secret}


def _place_code(venue_id: uuid.UUID) -> tuple[Venue, PlaceCode]:
    c = container()
    venue = venues.get(db_session(), actor=current_principal(), venue_id=venue_id)
    code = place_codes.current(
        db_session(), keyring=c.keyring, settings=c.settings, venue=venue, now=now()
    )
    return venue, code


def _file(body: bytes, mimetype: str, code: PlaceCode) -> Response:
    response = current_app.response_class(body, mimetype=mimetype)
    response.headers["X-Code-Expires-At"] = code.expires_at.isoformat()
    return response


@blp.route("/<uuid:venue_id>/place-code")
class PlaceCodeText(MethodView):
    @allow(*READERS)
    @blp.response(200, PlaceCodeSchema)
    def get(self, venue_id: uuid.UUID) -> PlaceCode:
        """The venue's current signed place code (HCP1:...), rotated on a schedule."""
        return _place_code(venue_id)[1]


@blp.route("/<uuid:venue_id>/place-code.png")
class PlaceCodePng(MethodView):
    @allow(*READERS)
    @blp.response(200, content_type="image/png")
    def get(self, venue_id: uuid.UUID) -> Response:
        """The place code as a PNG QR code (for screens)."""
        code = _place_code(venue_id)[1]
        return _file(qr.render_png(code.text), "image/png", code)


@blp.route("/<uuid:venue_id>/place-code.svg")
class PlaceCodeSvg(MethodView):
    @allow(*READERS)
    @blp.response(200, content_type="image/svg+xml")
    def get(self, venue_id: uuid.UUID) -> Response:
        """The place code as an SVG QR code."""
        code = _place_code(venue_id)[1]
        return _file(qr.render_svg(code.text).encode(), "image/svg+xml", code)


@blp.route("/<uuid:venue_id>/poster.png")
class Poster(MethodView):
    @allow(*READERS)
    @blp.response(200, content_type="image/png")
    def get(self, venue_id: uuid.UUID) -> Response:
        """A printable A4 poster (PNG, 150 dpi): name, QR (level H), instructions in zh + en."""
        venue, code = _place_code(venue_id)
        font = posters.font_path(container().settings.poster_font)
        body = posters.render(
            name=venue.name, code=code.text, valid_until=code.expires_at, font=font
        )
        return _file(body, "image/png", code)
