"""Progress of background jobs."""

from __future__ import annotations

import uuid

import marshmallow as ma
from flask.views import MethodView

from app.api.blueprint import Blueprint
from app.extensions import db_session
from app.models import JobRecord, Role
from app.security.access import allow, current_principal
from app.services import jobs

blp = Blueprint("jobs", __name__, url_prefix="/v1/jobs", description="Background jobs")


class JobSchema(ma.Schema):
    id = ma.fields.UUID()
    kind = ma.fields.String()
    status = ma.fields.String()
    progress = ma.fields.Function(
        lambda j: {
            "done": j.done,
            "total": j.total,
            "chunks_done": j.chunks_done,
            "chunks": j.chunks,
        }
    )
    result = ma.fields.Dict(allow_none=True)
    error = ma.fields.String(allow_none=True)
    params = ma.fields.Dict()
    created_at = ma.fields.DateTime()
    finished_at = ma.fields.DateTime(allow_none=True)


@blp.route("/<uuid:job_id>")
class Job(MethodView):
    @allow(Role.OFFICIAL, Role.ADMIN)
    @blp.response(200, JobSchema)
    def get(self, job_id: uuid.UUID) -> JobRecord:
        """Status, progress (done/total), result and error of a job you started."""
        return jobs.get_job(db_session(), actor=current_principal(), job_id=job_id)
