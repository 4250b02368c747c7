"""One ``Settings`` object, read from ``LEADPACT_*`` environment variables at start-up.

The database is chosen by one setting, ``LEADPACT_DATABASE_URL``: SQLite (a file, the
default: no set-up) or PostgreSQL (``postgresql://user@host/db``; the psycopg 3 driver is
selected for you). Nothing else reads the environment.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///.leadpact/leadpact.db"


def normalise_database_url(url: str) -> str:
    """Accept the URL forms people paste (``postgres://``, ``postgresql://``) and pick psycopg 3."""
    url = url.strip()
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def sqlite_path(url: str) -> Path | None:
    """The database file of a SQLite URL (None for PostgreSQL or an in-memory database)."""
    if not url.startswith("sqlite"):
        return None
    _, _, rest = url.partition(":///")
    rest = rest.split("?", 1)[0]
    if not rest or rest == ":memory:":
        return None
    return Path(rest)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEADPACT_", extra="ignore")

    database_url: str = Field(
        DEFAULT_DATABASE_URL,
        description="SQLite (default, a file under .leadpact/) or postgresql://user@host/db.",
    )
    webhook_urls: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated URLs that receive each new SLA breach (Slack-compatible JSON).",
    )
    sla_check_seconds: float = Field(60.0, gt=0, description="How often `serve` checks SLA clocks.")
    webhook_max_attempts: int = Field(8, ge=1, description="Delivery attempts before giving up.")
    webhook_timeout_seconds: float = Field(10.0, gt=0)
    evaluation_chunk: int = Field(
        1000, ge=1, description="Leads re-evaluated per transaction by the online engine, at most."
    )
    machine_cache_size: int = Field(50_000, ge=0, description="Lead states kept in memory for incremental evaluation.")
    evaluation_lag_limit: float = Field(
        0.75,
        ge=0,
        description=(
            "`serve`: while the online engine's oldest queued lead has waited longer than this (seconds), "
            "ingestion holds back new batches (0: never)."
        ),
    )
    evaluation_gather_seconds: float = Field(
        0.3,
        ge=0,
        description=(
            "`serve`: the online engine evaluates its queue once the longest-waiting lead has waited this long "
            "(seconds), so events that arrive close together are evaluated together (0: at once). "
            "Must stay below `evaluation_lag_limit`."
        ),
    )
    auto_migrate: bool = Field(True, description="Upgrade the schema when the store is opened.")
    sqlite_synchronous: Literal["NORMAL", "FULL"] = Field(
        "NORMAL", description="SQLite: NORMAL survives process crashes; FULL also power loss (slower commits)."
    )

    tracking_secrets: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        repr=False,
        description=(
            "Comma-separated secrets of the nurture tracking links: the first signs, all verify (rotation). "
            "None: the /t/ and /u/ endpoints answer 404."
        ),
    )
    tracking_secret: str = Field(
        "", repr=False, description="The single secret `leadpact flows run` signs with; verifies too."
    )

    # --- nurture mail (issue #8): the scheduler of `leadpact serve` and `leadpact flows tick` ---
    smtp_host: str = Field("", description="SMTP server for nurture mail. Empty: the nurture scheduler does nothing.")
    smtp_port: int = Field(25, ge=1, le=65535)
    smtp_starttls: bool = Field(False, description="Upgrade the SMTP connection with STARTTLS (required if true).")
    smtp_user: str = Field("", description="SMTP login (empty: no login).")
    smtp_password: str = Field("", repr=False)
    mail_from: str = Field("", description="The From of nurture mail, e.g. 'ACME <news@acme.example>'.")
    tracking_base_url: str = Field(
        "", description="Base URL of the tracking links in nurture mail (this server, as the recipients reach it)."
    )
    nurture_interval_seconds: float = Field(60.0, gt=0, description="How often `serve` runs a nurture tick.")
    nurture_templates: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated directories of e-mail templates, before the shipped ones."
    )
    nurture_rate_global: float | None = Field(None, gt=0, description="Nurture mails per minute, in total.")
    nurture_rate_domain: float | None = Field(None, gt=0, description="Nurture mails per minute to one domain.")
    nurture_max_attempts: int = Field(5, ge=1, description="Delivery attempts before a nurture mail fails.")
    nurture_max_late_hours: float = Field(72.0, ge=0, description="Never send a nurture mail more than this late.")

    def tracking_keys(self) -> list[bytes]:
        """Every secret a tracking link may be signed with (``tracking_secrets``, then the
        ``flows run`` secret), so links in mail sent by either verify."""
        keys = [*self.tracking_secrets, self.tracking_secret]
        return [key.encode("utf-8") for key in dict.fromkeys(keys) if key]

    @model_validator(mode="after")
    def _gather_below_lag_limit(self) -> Settings:
        # ingestion holds back while the engine's oldest queued lead waits over the lag limit:
        # an engine that waits as long before evaluating would hold it back all the time
        if self.evaluation_lag_limit > 0 and self.evaluation_gather_seconds >= self.evaluation_lag_limit:
            raise ValueError(
                f"evaluation_gather_seconds ({self.evaluation_gather_seconds}) must be below "
                f"evaluation_lag_limit ({self.evaluation_lag_limit})"
            )
        return self

    @field_validator("database_url")
    @classmethod
    def _normalise_url(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("webhook_urls", "tracking_secrets", "nurture_templates", mode="before")
    @classmethod
    def _split_commas(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings.model_validate({})
