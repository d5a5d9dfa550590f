"""Issue 8 §4: no input gives a 5xx; every bad input is a 4xx problem+json."""

from __future__ import annotations

import struct
import time
import zlib
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

PROBLEM = "application/problem+json"
ID_NUMBER = "11010519491231002X"


def _problem(response, status: int | tuple[int, ...]) -> dict:  # type: ignore[no-untyped-def]
    statuses = (status,) if isinstance(status, int) else status
    assert response.status_code in statuses, (response.status_code, response.data[:300])
    assert response.content_type == PROBLEM
    return response.json  # type: ignore[no-any-return]


def _raw(client: FlaskClient, method: str, path: str, body: str, headers=None):  # type: ignore[no-untyped-def]
    return client.open(
        path, method=method, data=body.encode(), content_type="application/json", headers=headers
    )


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/v1/rulesets/9223372036854775808/dry-run"),
        ("POST", "/v1/rulesets/2147483648/publish"),
        ("GET", "/v1/rulesets/99999999999999999999999999"),
    ],
)
def test_path_integers_beyond_the_column_range_are_404(
    client: FlaskClient, login: Callable[[str], dict[str, str]], method: str, path: str
) -> None:
    _problem(client.open(path, method=method, headers=login("official")), 404)


def test_json_integer_of_5000_digits_is_a_400_with_a_pointer(
    client: FlaskClient, login: Callable[[str], dict[str, str]]
) -> None:
    body = '{"default_color": "green", "rules": [{"id": ' + "9" * 5000 + "}]}"
    problem = _problem(_raw(client, "POST", "/v1/rulesets", body, login("official")), 400)
    assert problem["errors"][0]["pointer"] == "/rules/0/id"


def test_nan_and_infinity_are_rejected(client: FlaskClient) -> None:
    _problem(_raw(client, "POST", "/v1/auth/otp", '{"phone": NaN}'), 400)


@pytest.mark.parametrize("escape", ["\\ud800", "\\udfff", "\\u0000"])
def test_lone_surrogates_and_nul_in_json_strings_are_400(
    client: FlaskClient, login: Callable[[str], dict[str, str]], escape: str
) -> None:
    official = login("official")
    cases = [
        ("POST", "/v1/auth/refresh", f'{{"refresh_token": "hcr_{escape}"}}', None),
        ("POST", "/v1/auth/login", f'{{"username": "a{escape}", "password": "x"}}', None),
        ("POST", "/v1/api-keys", f'{{"name": "k{escape}", "scopes": ["checkpoint"]}}', official),
        (
            "PUT",
            "/v1/regions/R1",
            f'{{"name": "n{escape}", "level": "low", "effective_from": "2026-01-01T00:00:00Z"}}',
            official,
        ),
        (
            "POST",
            "/v1/rulesets",
            '{"default_color": "green", "rules": [{"id": "r", "color": "red", "when": true,'
            f' "text": {{"en": "t{escape}"}}, "how_to_clear": {{"en": "x"}}}}]}}',
            official,
        ),
    ]
    for method, path, body, headers in cases:
        problem = _problem(_raw(client, method, path, body, headers), 400)
        assert problem["errors"][0]["pointer"].startswith("/"), path


@pytest.mark.parametrize(
    "path", ["/v1/regions/A%00B", "/v1/regions/%ED%A0%80", "/v1/stats/history?days=%00"]
)
def test_nul_and_bad_utf8_in_paths_and_queries_are_4xx(
    client: FlaskClient, login: Callable[[str], dict[str, str]], path: str
) -> None:
    _problem(client.get(path, headers=login("official")), (400, 404, 422))


def test_refresh_token_with_nul_is_401_or_400(client: FlaskClient) -> None:
    response = client.post("/v1/auth/refresh", json={"refresh_token": "hcr_\x00"})
    _problem(response, (400, 401))


def _png(width: int, height: int) -> bytes:
    """A valid PNG header claiming huge dimensions, with a tiny compressed body."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + data))
        return struct.pack(">I", len(data)) + kind + data + crc

    raw = zlib.compress(b"\x00" + b"\xff" * ((width + 7) // 8) * 1, 9) if height == 1 else b""
    if not raw:
        row = b"\x00" + b"\xff" * ((width + 7) // 8)
        raw = zlib.compress(row * height, 9)
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", raw) + chunk(b"IEND", b"")


@pytest.mark.parametrize(("width", "height"), [(39_000_000, 1), (1, 39_000_000)])
def test_giant_dimension_png_is_refused_before_decoding(
    client: FlaskClient, login: Callable[[str], dict[str, str]], width: int, height: int
) -> None:
    from io import BytesIO

    image = _png(width, height)
    assert len(image) < 2 * 1024 * 1024
    checkpoint = login("checkpoint")
    started = time.perf_counter()
    response = client.post(
        "/v1/verify/image",
        data={"file": (BytesIO(image), "x.png")},
        headers=checkpoint,
        content_type="multipart/form-data",
    )
    problem = _problem(response, 422)
    assert time.perf_counter() - started < 1.0
    assert problem["errors"][0]["pointer"] == "/files/file"


@pytest.mark.parametrize(
    "value",
    [
        "20260101T000000Z",
        "2026-W01-1T00:00:00Z",
        "2026-01-01T00:00:00Z\x00",
        "2026-01-01T00:00:00+23:59:59.999999",
        "2026-01-01T00:00:00",
        "2026-01-01 00:00:00Z",
        "2026-001T00:00:00Z",
    ],
)
def test_timestamps_are_rfc3339_only(
    client: FlaskClient, login: Callable[[str], dict[str, str]], value: str
) -> None:
    official = login("official")
    region = {"name": "North", "level": "low", "effective_from": value}
    problem = _problem(client.put("/v1/regions/R1", json=region, headers=official), (400, 422))
    assert any(e["pointer"] == "/effective_from" for e in problem.get("errors", [])), problem
    record = {"record_id": "t1", "id_number": ID_NUMBER, "kind": "pcr", "result": "negative"}
    response = client.post(
        "/v1/feeds/tests", json={"records": [record | {"sampled_at": value}]}, headers=official
    )
    if response.status_code == 202:
        assert response.json["accepted"] == 0, value
        assert response.json["rejected"][0]["errors"][0]["pointer"] == "/sampled_at"
    else:
        _problem(response, 400)


@pytest.mark.parametrize(
    "value", ["2026-01-01T00:00:00Z", "2026-01-01t00:00:00.5+08:00", "2026-01-01T00:00:00-00:30"]
)
def test_rfc3339_timestamps_are_accepted(
    client: FlaskClient, login: Callable[[str], dict[str, str]], value: str
) -> None:
    official = login("official")
    region = {"name": "North", "level": "low", "effective_from": value}
    assert client.put("/v1/regions/R1", json=region, headers=official).status_code == 200
    record = {"record_id": "t1", "id_number": ID_NUMBER, "kind": "pcr", "result": "negative"}
    response = client.post(
        "/v1/feeds/tests", json={"records": [record | {"sampled_at": value}]}, headers=official
    )
    assert response.status_code == 202 and response.json["accepted"] == 1, response.json


@pytest.mark.parametrize(
    "name",
    ["Wolfeschlegelsteinhausen Bergerdorff Alexander Maximilian", "欧阳" * 20, "A" * 64],
)
def test_long_names_are_masked_to_fit_the_code(
    client: FlaskClient, resident: Callable[..., dict[str, str]], name: str
) -> None:
    headers = resident()
    body = {"name": name, "id_number": ID_NUMBER, "birth_date": "1949-12-31"}
    assert client.put("/v1/me/profile", json=body, headers=headers).status_code == 200
    response = client.get("/v1/me/code", headers=headers)
    assert response.status_code == 200, response.json


def test_names_longer_than_the_limit_are_refused_where_entered(
    client: FlaskClient, resident: Callable[..., dict[str, str]]
) -> None:
    headers = resident()
    body = {"name": "A" * 65, "id_number": ID_NUMBER, "birth_date": "1949-12-31"}
    problem = _problem(client.put("/v1/me/profile", json=body, headers=headers), 422)
    assert problem["errors"][0]["pointer"] == "/name"
