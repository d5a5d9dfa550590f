"""Settings: environment parsing and production refusals."""

import pytest

from app.config import DEFAULT_SECRET, ConfigError, Settings
from app.factory import create_app

STRONG = "x" * 40


def _prod(**extra: str) -> dict[str, str]:
    env = {
        "HEALTHCODE_ENV": "production",
        "HEALTHCODE_SECRET_KEY": STRONG,
        "HEALTHCODE_ID_HASH_KEY": "y" * 40,
        "HEALTHCODE_KEY_PASSPHRASE": "z" * 40,
        "HEALTHCODE_SMS_BACKEND": "http",
        "HEALTHCODE_SMS_HTTP_URL": "https://sms.example/send",
        "HEALTHCODE_SMS_HTTP_KEY": "s" * 40,
        "HEALTHCODE_IDENTITY_PROVIDER": "counter",
    }
    env.update(extra)
    return env


def test_environment_variables_are_read_and_typed() -> None:
    s = Settings.load({"HEALTHCODE_CODE_TTL": "3600", "HEALTHCODE_DEBUG": "yes"})
    assert s.code_ttl == 3600
    assert s.debug is True


def test_bad_number_is_a_clear_error() -> None:
    with pytest.raises(ConfigError, match="HEALTHCODE_CODE_TTL"):
        Settings.load({"HEALTHCODE_CODE_TTL": "twelve hours"})


def test_production_accepts_strong_settings() -> None:
    assert Settings.load(_prod()).production


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"HEALTHCODE_DEBUG": "1"}, "DEBUG"),
        ({"HEALTHCODE_SECRET_KEY": ""}, "SECRET_KEY"),
        ({"HEALTHCODE_SECRET_KEY": DEFAULT_SECRET}, "SECRET_KEY"),
        ({"HEALTHCODE_SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"HEALTHCODE_KEY_PASSPHRASE": ""}, "KEY_PASSPHRASE"),
    ],
)
def test_production_refuses_unsafe_settings(extra: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings.load(_prod(**extra))


def test_production_missing_secret_refuses_to_start(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HEALTHCODE_ENV", "production")
    monkeypatch.delenv("HEALTHCODE_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        create_app()


def test_a_mistyped_override_fails_with_a_hint() -> None:
    with pytest.raises(ConfigError, match=r"unknown setting 'CODE_TTTL'.*CODE_TTL"):
        Settings.load({}, {"CODE_TTTL": 60})


def test_code_ttl_is_capped_at_a_health_code_life() -> None:
    with pytest.raises(ConfigError, match="HEALTHCODE_CODE_TTL must be at most 604800"):
        Settings.load({"HEALTHCODE_CODE_TTL": str(8 * 24 * 3600)})
    assert Settings.load({"HEALTHCODE_CODE_TTL": str(7 * 24 * 3600)}).code_ttl == 604800
