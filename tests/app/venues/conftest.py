"""Venue test helpers: a region, operators, residents with profiles, venues."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from app.db import utcnow

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id_number(serial: int, birth: str = "19900101") -> str:
    """A valid 18-character PRC resident ID (check digit computed)."""
    body = f"110105{birth}{serial % 1000:03d}"
    total = sum(int(d) * w for d, w in zip(body, WEIGHTS, strict=True))
    return body + "10X98765432"[total % 11]


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


@pytest.fixture
def official(login: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return login("official")


@pytest.fixture
def region(client: FlaskClient, official: dict[str, str]) -> str:
    body = {"name": "Dongcheng", "level": "low", "effective_from": iso(utcnow())}
    assert client.put("/v1/regions/BJ-DC", json=body, headers=official).status_code == 200
    return "BJ-DC"


@pytest.fixture
def make_venue(client: FlaskClient, region: str) -> Callable[..., dict[str, Any]]:
    def factory(headers: dict[str, str], **policy: Any) -> dict[str, Any]:
        body = {"name": "Tea House", "address": "1 Main St", "region_code": region}
        body |= {"kind": "restaurant", **policy}
        response = client.post("/v1/venues", json=body, headers=headers)
        assert response.status_code == 201, response.json
        return response.json  # type: ignore[no-any-return]

    return factory


@pytest.fixture
def person(
    client: FlaskClient, resident: Callable[..., dict[str, str]]
) -> Callable[[int], tuple[dict[str, str], str, str]]:
    """A resident with a profile: (headers, person id, ID number)."""

    def factory(serial: int) -> tuple[dict[str, str], str, str]:
        headers = resident()
        number = id_number(serial)
        body = {"name": f"Visitor {serial}", "id_number": number, "birth_date": "1990-01-01"}
        response = client.put("/v1/me/profile", json=body, headers=headers)
        assert response.status_code == 200, response.json
        return headers, response.json["person_id"], number

    return factory
