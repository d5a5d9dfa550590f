"""The public trust bundle that checkpoints sync for offline verification."""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask import Response, current_app, json, request
from flask.views import MethodView

from app.api.blueprint import Blueprint
from app.api.common import StrictSchema
from app.api.trust import compressed
from app.extensions import container, db_session, now
from app.security.access import allow
from app.services import keys, trust

blp = Blueprint("trust", __name__, url_prefix="/v1/trust", description="Offline trust data")


class TrustQuerySchema(StrictSchema):
    since = ma.fields.Integer(validate=ma.validate.Range(min=0))
    cutoffs = ma.fields.Boolean(
        load_default=False,
        metadata={
            "description": "With `since`: the client applies `revocations_expired` (codes/SPEC.md"
            " §8.2), so pruned entries go by a per-kind cut-off instead of one hash each."
        },
    )


def _not_modified(etag: str) -> bool:
    header = request.headers.get("If-None-Match", "")
    tags = {t.strip().removeprefix("W/") for t in header.split(",") if t.strip()}
    return "*" in tags or etag.removeprefix("W/") in tags


def _response(response: Response, etag: str) -> Response:
    response.headers["ETag"] = etag
    response.headers["X-Trust-Seq"] = etag.removeprefix('W/"').split(".")[0]
    response.headers["Vary"] = "Accept-Encoding"
    # Caches must revalidate: a revocation has to reach devices at their next sync.
    response.headers["Cache-Control"] = "no-cache"
    return response


def _document(doc: trust.SignedDocument) -> Response:
    body, gzipped = compressed.body(doc, json.dumps, gzip_ok=compressed.accepts_gzip(request))
    response = current_app.response_class(body, mimetype="application/json")
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    return _response(response, doc.etag)


@blp.route("")
class Trust(MethodView):
    @allow(public=True)
    @blp.arguments(TrustQuerySchema, location="query")
    @blp.response(200, content_type="application/json")
    @blp.alt_response(304, description="Unchanged since the ETag in If-None-Match")
    def get(self, query: dict[str, Any]) -> Response:
        """The signed bundle (keys, revocations, seq, signed time); `since` gives a delta.

        Served gzip-compressed to clients that accept it. A 304 and a document already made
        for the current state come from memory; a trust change or a new signed time (every
        5 minutes) makes each document once more.
        """
        c = container()
        etag = trust.state_etag(db_session(), live=c.live, now=now())
        if _not_modified(etag):
            return _response(current_app.response_class(status=304), etag)
        if "since" in query:
            doc = trust.signed_delta(
                db_session(),
                live=c.live,
                keyring=c.keyring,
                settings=c.settings,
                since=query["since"],
                cutoffs=query["cutoffs"],
                now=now(),
            )
        else:
            doc = trust.signed_bundle(
                db_session(), live=c.live, keyring=c.keyring, settings=c.settings, now=now()
            )
        return _document(doc)


@blp.route("/root")
class TrustRoot(MethodView):
    @allow(public=True)
    @blp.response(200, content_type="application/x-pem-file")
    def get(self) -> Response:
        """The bundle-signing public key (PEM) to pin on a checkpoint at set-up."""
        pem = keys.root_public_key(db_session(), keyring=container().keyring).public_pem()
        return current_app.response_class(pem, mimetype="application/x-pem-file")


@blp.route("/handovers")
class TrustHandovers(MethodView):
    @allow(public=True)
    @blp.response(200)
    def get(self) -> dict[str, Any]:
        """Root hand-over statements, oldest first: a device that pinned an older root
        verifies each with the root it trusts and moves on to the successor it names."""
        return {"handovers": keys.root_handovers(db_session())}
