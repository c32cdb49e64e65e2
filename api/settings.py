"""Process settings, from the environment (prefix ``SHOREWATCH_``) or a ``.env`` file.

Built once in ``main()`` / ``create_app()``, never at import time."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from api.dismissals import DismissalConfig
    from detector.coverage import CoverageConfig
    from detector.horizon import HorizonConfig
    from detector.model import DetectorConfig


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SHOREWATCH_", env_file=".env", extra="ignore")

    state_dir: Path = Field(
        Path(".shorewatch"), description="database, recordings, snapshots, ultralytics config"
    )
    host: str = Field("127.0.0.1", description="API bind address; loopback by default")
    port: int = Field(8000, ge=0, le=65535, description="API port")
    sitl_base_port: int = Field(
        5760, ge=1, le=65535, description="first simulator MAVLink TCP port (+10 per instance)"
    )
    site: str = Field("opal-coast", description="built-in site name or path to a site GeoJSON")
    tide_table: Path | None = Field(
        None, description="a CSV of time,height_m rows (tide predictions) for the site's tide settings"
    )
    model: Path | None = Field(
        None, description="detector weights (.pt or .onnx); default: the shipped model"
    )
    conf_boat: float | None = Field(
        None, ge=0.0, le=1.0, description="detector confidence for a boat (default: the model's)"
    )
    conf_person: float | None = Field(
        None, ge=0.0, le=1.0, description="detector confidence for a person (default: the model's)"
    )
    runtime: Literal["auto", "onnxruntime", "openvino"] = Field(
        "auto",
        description="what runs the ONNX model (auto: OpenVINO in bfloat16 where the CPU has it, else "
        "onnxruntime with the int8 model)",
    )
    flip_tta: bool = Field(
        False,
        description="detector also runs each tile mirrored and keeps what both views agree on "
        "(more accurate, about half the frames/s)",
    )
    ship_pass: bool = Field(
        True,
        description="frames without a pose also run whole at 480 px through the ship model "
        "(models/shorewatch-ships.onnx, when present) for ships that fill the frame",
    )
    level_on_horizon: bool = Field(
        True,
        description="measure each frame's camera pitch on the sea's horizon where the picture shows it "
        "(detector/horizon.py); off: the gimbal's reported pitch is used as it comes",
    )
    log_level: str = Field("INFO", description="logging level")
    escalate_after_s: float = Field(
        120.0, gt=0, description="re-notify an alert left unacknowledged this long"
    )
    snapshot_retention_days: float = Field(
        7.0,
        ge=0,
        le=3650,
        description="alert snapshots (pictures of people) are deleted this many days after the alert; "
        "0 keeps them (the alert record itself is always kept)",
    )
    max_upload_mb: int = Field(200, ge=1, le=10_000, description="largest replay clip accepted")
    cot_url: str | None = Field(
        None, description="Cursor-on-Target output, e.g. udp://127.0.0.1:6969 (off when unset)"
    )
    coverage_window_s: float = Field(
        600.0, gt=0, le=86_400, description="shoreline coverage: a stretch not seen this long is a gap"
    )
    coverage_min_p_person: float = Field(
        0.75,
        ge=0,
        le=1,
        description="shoreline coverage: a stretch seen too coarsely for the detector to find a "
        "person in this share of frames is a gap too",
    )
    demo_tokens: bool = Field(
        False, description="create one demo user per role at start-up and print their tokens"
    )
    false_alarm_memory_h: float = Field(
        12.0,
        ge=0,
        le=720,
        description="an alert resolved as false_alarm holds back new alerts of its kind at its place "
        "this long after the object was last seen (0: off)",
    )
    false_alarm_kinds: str = Field(
        "boat_at_sea,gathering",
        description="comma-separated kinds whose repeats are held back (launch, boat_at_sea, gathering; "
        "never person_in_water)",
    )
    false_alarm_radius_m: float = Field(
        30.0, ge=0, le=5000, description="how near a repeat must be (widened to twice the stated errors)"
    )

    @field_validator("false_alarm_kinds")
    @classmethod
    def _known_kinds(cls, v: str) -> str:
        from api.dismissals import DismissalConfig

        DismissalConfig(kinds=_kinds(v))  # the same checks, the same messages
        return v

    @property
    def db_path(self) -> Path:
        return self.state_dir / "shorewatch.db"

    def ensure_state_dir(self) -> Path:
        self.state_dir.mkdir(parents=True, exist_ok=True)
        return self.state_dir.resolve()

    def dismissal_config(self) -> DismissalConfig:
        from api.dismissals import DismissalConfig

        return DismissalConfig(
            memory_h=self.false_alarm_memory_h,
            kinds=_kinds(self.false_alarm_kinds),
            radius_m=self.false_alarm_radius_m,
        )

    def coverage_config(self) -> CoverageConfig:
        from detector.coverage import CoverageConfig

        return CoverageConfig(window_s=self.coverage_window_s, min_p_person=self.coverage_min_p_person)

    def horizon_config(self) -> HorizonConfig:
        from detector.horizon import HorizonConfig

        return HorizonConfig(enabled=self.level_on_horizon)

    def detector_config(self) -> DetectorConfig:
        """The detector's config with the thresholds set here (``None`` leaves the model's)."""
        from detector.model import DetectorConfig

        cfg = DetectorConfig(flip_tta=self.flip_tta, runtime=self.runtime, ship_pass=self.ship_pass)
        upd = {
            k: v
            for k, v in (("conf_boat", self.conf_boat), ("conf_person", self.conf_person))
            if v is not None
        }
        return cfg.model_copy(update=upd) if upd else cfg


def _kinds(csv: str) -> tuple[str, ...]:
    return tuple(k.strip() for k in csv.split(",") if k.strip())
