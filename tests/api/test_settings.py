"""Detector settings from the environment reach the detector's config, and only those set."""

from __future__ import annotations

import pytest

from api.settings import Settings


@pytest.mark.parametrize(
    ("env", "flip", "conf_boat", "conf_person"),
    [
        ({}, False, 0.25, 0.25),  # the live service: one view, the model's thresholds
        ({"SHOREWATCH_FLIP_TTA": "1"}, True, 0.25, 0.25),
        ({"SHOREWATCH_FLIP_TTA": "false", "SHOREWATCH_CONF_BOAT": "0.4"}, False, 0.4, 0.25),
        ({"SHOREWATCH_CONF_PERSON": "0.1", "SHOREWATCH_FLIP_TTA": "true"}, True, 0.25, 0.1),
    ],
)
def test_detector_config_from_the_environment(
    env: dict[str, str], flip: bool, conf_boat: float, conf_person: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    for k in ("SHOREWATCH_FLIP_TTA", "SHOREWATCH_CONF_BOAT", "SHOREWATCH_CONF_PERSON"):
        monkeypatch.delenv(k, raising=False)
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    cfg = Settings(_env_file=None).detector_config()  # type: ignore[call-arg]
    assert (cfg.flip_tta, cfg.conf_boat, cfg.conf_person) == (flip, conf_boat, conf_person)


def test_a_bad_value_is_refused_with_the_variable_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHOREWATCH_FLIP_TTA", "sometimes")
    with pytest.raises(ValueError, match="flip_tta"):
        Settings(_env_file=None)  # type: ignore[call-arg]


@pytest.mark.parametrize(("value", "enabled"), [(None, True), ("0", False), ("false", False), ("1", True)])
def test_levelling_on_the_horizon_is_on_unless_turned_off(
    value: str | None, enabled: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SHOREWATCH_LEVEL_ON_HORIZON", raising=False)
    if value is not None:
        monkeypatch.setenv("SHOREWATCH_LEVEL_ON_HORIZON", value)
    assert Settings(_env_file=None).horizon_config().enabled is enabled  # type: ignore[call-arg]
