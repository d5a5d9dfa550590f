"""Kinds: each verifier accepts only its kinds; place and pass codes round-trip; names fit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from codes import (
    HEALTH,
    KINDS,
    PASS,
    PLACE,
    Claims,
    IssueError,
    Kind,
    KindRegistry,
    PassClaims,
    PlaceClaims,
    Reason,
    SigningKey,
    TrustBundle,
    check,
    issue,
    mask_name,
    new_code_id,
    verify,
)


def place(now: datetime, **changes: object) -> PlaceClaims:
    base = PlaceClaims(
        issuer="HC",
        subject="venue-" + new_code_id(),
        issued_at=now,
        expires_at=now + timedelta(days=90),
        code_id=new_code_id(),
        region="R01",
        admitted_colors=("green", "yellow"),
        test_within_hours=48,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_place_code_is_refused_by_the_health_verifier_and_vice_versa(
    es_key: SigningKey, bundle: TrustBundle, now: datetime, make_claims: Callable[..., Claims]
) -> None:
    place_code = issue(place(now), es_key, kind=PLACE)
    health_code = issue(make_claims(), es_key, kind=HEALTH)
    assert place_code.startswith("HCP1:") and health_code.startswith("HCX1:")
    assert check(place_code, bundle, kinds=[HEALTH], now=now).reason == Reason.WRONG_KIND
    assert check(health_code, bundle, kinds=[PLACE], now=now).reason == Reason.WRONG_KIND
    # The kind is signed: a place code relabelled HCX1: is still a place code.
    relabelled = HEALTH.prefix + place_code[5:]
    assert check(relabelled, bundle, kinds=[HEALTH], now=now).reason == Reason.WRONG_KIND
    assert check(relabelled, bundle, kinds=[HEALTH, PLACE], now=now).reason == Reason.MALFORMED
    assert check(place_code, bundle, kinds=[HEALTH, PLACE], now=now).valid


def test_place_and_pass_round_trip(es_key: SigningKey, bundle: TrustBundle, now: datetime) -> None:
    claims = place(now, test_within_hours=None, admitted_colors=("green",))
    code = verify(issue(claims, es_key, kind=PLACE), bundle, kinds=[PLACE], now=now)
    assert code.claims == claims and code.kind is PLACE
    paper = PassClaims("HC", "p_1", now, now + timedelta(days=700), new_code_id(), "L* H**", "0042")
    text = issue(paper, es_key, kind=PASS)
    assert text.startswith("HCR1:")
    result = check(text, bundle, kinds=[PASS], now=now)
    assert result.valid and result.kind == "pass" and result.color is None


@pytest.mark.parametrize(
    "changes",
    [
        {"admitted_colors": ()},
        {"admitted_colors": ("yellow", "green")},  # not in canonical order
        {"admitted_colors": ("green", "green")},
        {"admitted_colors": ("blue",)},
        {"test_within_hours": 0},
        {"region": "R 01"},
        {"expires_at": datetime(2027, 1, 1).astimezone()},  # longer than a year
    ],
)
def test_place_claims_are_checked(es_key: SigningKey, now: datetime, changes: dict) -> None:  # type: ignore[type-arg]
    with pytest.raises(IssueError):
        issue(place(now, **changes), es_key, kind=PLACE)


def test_issue_refuses_claims_of_another_kind(
    es_key: SigningKey, now: datetime, make_claims: Callable[..., Claims]
) -> None:
    with pytest.raises(IssueError):
        issue(make_claims(), es_key, kind=PLACE)
    with pytest.raises(IssueError):  # health codes live at most 7 days
        issue(make_claims(expires_at=now + timedelta(days=8)), es_key, kind=HEALTH)


def test_limits_are_utf8_bytes(es_key: SigningKey, make_claims: Callable[..., Claims]) -> None:
    issue(make_claims(holder_name="张" * 13 + "*"), es_key, kind=HEALTH)  # 40 bytes
    with pytest.raises(IssueError):
        issue(make_claims(holder_name="张" * 14), es_key, kind=HEALTH)  # 14 chars, 42 bytes


@pytest.mark.parametrize(
    ("name", "masked"),
    [("Zhang San", "Z**** S**"), ("张三丰", "张*丰"), ("张三", "张*"), ("", "*"), ("A", "A")],
)
def test_mask_name(name: str, masked: str) -> None:
    assert mask_name(name) == masked
    assert mask_name(masked) == masked


@pytest.mark.parametrize("name", ["张" * 60, "Ünïcødé " * 20, "😀" * 30, "x" * 500])
def test_masked_names_always_fit_the_claim(name: str) -> None:
    masked = mask_name(name)
    assert 0 < len(masked.encode()) <= HEALTH.field("holder_name").max_bytes  # type: ignore[operator]


def test_registry_lookups() -> None:
    assert KINDS.by_text("HCP1:ABC") is PLACE and KINDS.by_text("HCZ1:") is None
    assert KINDS.by_claim_key(-65539) is PASS and KINDS.by_name("health") is HEALTH
    assert KINDS.by_claim_key(-65539.0) is PASS and KINDS.by_claim_key([]) is None


def test_registry_prefixes_of_several_lengths() -> None:
    short = replace(PASS, prefix="P:")
    registry = KindRegistry((HEALTH, short))
    assert registry.by_text("P:ABC") is short and registry.by_text("HCX1:ABC") is HEALTH
    assert registry.by_text("P") is None and registry.by_text("HCP1:ABC") is None
    with pytest.raises(ValueError, match="prefix"):  # "HCX1:..." would be of two kinds
        KindRegistry((HEALTH, replace(PASS, prefix="HCX")))


def test_kinds_allow_only_keys_written_in_deterministic_order() -> None:
    """Claims maps are not sorted when issued: a Kind must be made with keys already in order."""
    for bad in (
        {"fields": PASS.fields[::-1]},  # field keys descending
        {"fields": (replace(PASS.fields[0], key=24), PASS.fields[1])},  # a two-byte key
        {"fields": (PASS.fields[0], replace(PASS.fields[1], key=1))},  # a repeated key
        {"claim_key": -65536},  # not a private-use key
        {"claim_key": 8},  # would sort among the registered keys
    ):
        with pytest.raises(ValueError, match="ascending"):
            replace(PASS, **bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", list(KINDS), ids=lambda k: k.name)
def test_issued_claims_maps_are_in_deterministic_order(
    kind: Kind, es_key: SigningKey, now: datetime, make_claims: Callable[..., Claims]
) -> None:
    import cbor2

    from codes.base32 import b32decode
    from codes.cbor import head

    samples: dict[str, Claims] = {
        "health": make_claims(),
        "place": place(now, test_within_hours=24),  # every field, the optional one too
        "pass": PassClaims("HC", "p_1", now, now + timedelta(days=1), new_code_id(), "Z**", "0001"),
    }
    text = issue(samples[kind.name], es_key, kind=kind)
    payload = cbor2.loads(cbor2.loads(b32decode(text[len(kind.prefix) :])).value[2])

    def encoded(key: int) -> bytes:
        return head(0, key) if key >= 0 else head(1, -1 - key)

    for mapping in (payload, payload[kind.claim_key]):
        assert list(mapping) == sorted(mapping, key=encoded)
    assert len(payload[kind.claim_key]) == len(kind.fields)
