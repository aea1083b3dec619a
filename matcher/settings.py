"""Configuration from the environment (``MATCHER_*``) or a ``.env`` file."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from matcher.paths import SEATTLE_NEIGHBORHOODS
from matcher.site import SiteArea

DEVELOPMENT_SECRET = "development-only-secret-not-for-real-use-0123456789"


class InsecureSettings(RuntimeError):
    """A deployment outside development still uses a default secret."""


class Settings(BaseSettings):
    """Deployment settings. Defaults suit one person trying the engine on a laptop."""

    model_config = SettingsConfigDict(env_prefix="MATCHER_", env_file=".env", extra="ignore")

    database_url: str = Field(
        default="sqlite:///matcher.db",
        description="SQLAlchemy URL; a SQLite file by default, PostgreSQL in production",
    )
    hold_ttl_hours: float = Field(default=48.0, gt=0, description="How long a hold lasts")
    offer_hours: float = Field(
        default=24.0,
        gt=0,
        le=720,
        description="How long a place the system offers (a freed place, from LEAD's queue) "
        "waits for the case manager to accept or pass before it goes back",
    )
    response_days: float = Field(
        default=3.0,
        gt=0,
        le=90,
        description="How long a provider has to answer a sent referral before the case "
        "manager sees it overdue (the place stays held one hold TTL longer)",
    )
    report_fresh_days: float = Field(
        default=7.0,
        gt=0,
        le=365,
        description="How old a program's capacity report may get before its provider is "
        "asked to confirm or update it",
    )
    solver_time_limit: float = Field(default=20.0, gt=0, description="Seconds per solve")
    offer_policy: Literal["priced", "resolve"] = Field(
        default="priced",
        description="How LEAD's queue breaks ties at level 4 in its offers and a "
        "participant's matches: priced (potentials learned from the ledger, then "
        "preferences) or resolve (preferences only); levels 1-3 are the same either way",
    )
    potential_days: int = Field(
        default=180,
        ge=7,
        le=3650,
        description="How many days of the ledger's history the potentials are learned from",
    )
    max_body_bytes: int = Field(default=1_000_000, gt=0, description="Largest request body")
    environment: Literal["development", "test", "production"] = Field(
        default="development", description="Anything but development refuses default secrets"
    )
    jwt_secret: SecretStr = Field(
        default=SecretStr(DEVELOPMENT_SECRET), description="Signs access tokens (HS256)"
    )
    data_keys: SecretStr | None = Field(
        default=None,
        description="Comma-separated Fernet keys for participant data at rest; the first encrypts",
    )
    retention_days: int = Field(
        default=730, ge=30, description="Inactive participants are de-identified after this"
    )
    login_per_minute: int = Field(default=10, ge=1, description="Sign-in attempts per name")
    match_per_minute: int = Field(
        default=120, ge=1, description="Match, plan and impact requests per account"
    )
    oidc_issuer: str | None = Field(default=None, description="Trust tokens from this OIDC issuer")
    oidc_audience: str | None = Field(default=None, description="The audience OIDC tokens name")
    oidc_jwks_url: str | None = Field(default=None, description="The issuer's JWKS address")
    oidc_jwks: str | None = Field(default=None, description="Or the JWKS itself, as JSON")
    oidc_username_claim: str = Field(
        default="preferred_username", description="The claim that names the local account"
    )
    jwt_issuer: str = "lead-matcher"
    jwt_audience: str = "lead-matcher-api"
    token_minutes: float = Field(default=15.0, gt=0, le=24 * 60, description="Token lifetime")
    sweep_seconds: float = Field(
        default=60.0,
        ge=0,
        le=3600,
        description="On SQLite, how often the server runs the periodic jobs (recording "
        "expired holds...) in its own thread; 0: never (an expired hold stops counting "
        "either way). On PostgreSQL ``matcher worker`` runs them instead",
    )
    expiry_warning_hours: float = Field(
        default=24.0,
        gt=0,
        le=24 * 14,
        description="Case managers are told of a hold or sent referral this many hours "
        "before it expires",
    )
    stale_report_days: int = Field(
        default=7,
        ge=1,
        le=365,
        description="Providers are told a program's capacity report is stale after this "
        "many days without one (a program's own stale_after_days wins)",
    )
    smtp_url: SecretStr | None = Field(
        default=None,
        description="smtp://user:password@host:587 (STARTTLS when offered) or smtps://...:465; "
        "unset, nothing is mailed",
    )
    webhook_attempts: int = Field(
        default=8,
        ge=1,
        le=30,
        description="Attempts at a webhook delivery before it is given up and the admins are told",
    )
    webhook_retry_seconds: float = Field(
        default=30.0,
        gt=0,
        le=86_400,
        description="Wait before the second attempt at a webhook delivery; each later "
        "wait is twice the one before",
    )
    webhook_timeout: float = Field(
        default=10.0, gt=0, le=60, description="Seconds a webhook endpoint has to answer"
    )
    mail_from: str = Field(default="lead-matcher@localhost", description="The sender of e-mails")
    public_url: str = Field(
        default="http://127.0.0.1:8000", description="Where the pages are, for links in e-mails"
    )
    auth_cache_seconds: float = Field(
        default=5.0,
        ge=0,
        le=60,
        description="How long a checked token or key is trusted without asking the "
        "database again (a deactivation elsewhere takes effect within this); 0: never",
    )
    audit_flush_seconds: float = Field(
        default=0.0,
        ge=0,
        le=10,
        description="0: every audit record is written before its response starts; above "
        "0: records of refused requests (4xx/5xx, nothing changed or shown) are written in "
        "batches this often (a crash loses the last batch). Writes are always recorded in "
        "their own transaction and reads before their answer leaves",
    )
    session_hours: float = Field(
        default=10.0, gt=0, le=24, description="How long a web sign-in lasts (about a shift)"
    )
    worker_threads: int = Field(
        default=16, gt=0, le=200, description="Requests one worker process runs at once"
    )
    geocoder: str = Field(
        default="",
        description="A geopy geocoder name (e.g. nominatim) to place imported addresses; "
        "empty: ZIP-code centroids only, never the network",
    )
    geocoder_user_agent: str = Field(
        default="", description="User agent the geocoder's service asks callers to send"
    )
    geocoder_api_key: SecretStr | None = Field(
        default=None, description="API key, for geocoders that need one"
    )
    geocoder_timeout: float = Field(
        default=5.0, gt=0, le=60, description="Seconds to wait for one geocoder answer"
    )
    geocoder_min_delay: float = Field(
        default=1.0, ge=0, description="Seconds between geocoder requests (services' usage rules)"
    )
    # The site's area: the sample city's (Seattle's) centre, with a radius that takes in
    # every neighbourhood of data/neighborhoods/seattle.csv and the county around it.
    site_lat: float = Field(
        default=47.6062, ge=-90, le=90, description="Latitude of the site's centre"
    )
    site_lon: float = Field(
        default=-122.3321, ge=-180, le=180, description="Longitude of the site's centre"
    )
    site_radius_km: float = Field(
        default=60.0,
        gt=0,
        le=20_000,
        description="Participants are met within this distance of the site's centre; a "
        "location beyond it is refused as a typo",
    )
    default_max_distance_km: float | None = Field(
        default=50.0,
        gt=0,
        le=20_000,
        description="Travel limit used in matching for participants who set none of their "
        "own (unset: none)",
    )

    neighborhoods_file: Path | None = Field(
        default=SEATTLE_NEIGHBORHOODS,
        description="The city's neighbourhoods (CSV: name,lat,lon,district): funders' "
        "tables roll neighbourhoods up to these districts when counts are too small to show",
    )
    map_tile_url: str | None = Field(
        default="https://tile.openstreetmap.org/{z}/{x}/{y}.png",
        max_length=500,
        pattern=r"^https://[^\s\"'<>]+$",
        description="Map tiles under the funders' map ({z}/{x}/{y}); unset: the plain "
        "projection only. The browser fetches them: no participant data is sent",
    )
    map_tile_attribution: str = Field(
        default="© OpenStreetMap contributors",
        max_length=200,
        description="The credit the tiles' licence asks for, shown under the map",
    )

    @field_validator("map_tile_url", "smtp_url")
    @classmethod
    def _an_address(cls, value: str | SecretStr | None) -> str | SecretStr | None:
        """An address must split into its parts (a broken one, ``https://[``, would
        fail every page or every e-mail later instead of here)."""
        if value is not None:
            text = value.get_secret_value() if isinstance(value, SecretStr) else value
            try:
                parts = urlsplit(text)
                parts.port  # noqa: B018  (a port out of range or not a number raises)
            except ValueError:
                raise ValueError("not a well-formed address (scheme://host[:port]/...)") from None
            if not parts.hostname:
                raise ValueError("the address names no host")
        return value

    def site_area(self) -> SiteArea:
        """The area participants' locations must fall in."""
        return SiteArea(self.site_lat, self.site_lon, self.site_radius_km)


def check_secrets(settings: Settings) -> None:
    """Refuse to run outside development with the shipped default secret."""
    default = settings.jwt_secret.get_secret_value() == DEVELOPMENT_SECRET
    if settings.environment != "development" and default:
        raise InsecureSettings("MATCHER_JWT_SECRET: set a secret of your own outside development")
    if settings.environment != "development" and settings.data_keys is None:
        raise InsecureSettings("MATCHER_DATA_KEYS: set the data keys outside development")
    if len(settings.jwt_secret.get_secret_value()) < 32:
        raise InsecureSettings("MATCHER_JWT_SECRET: must be at least 32 characters")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process's settings, read once."""
    return Settings()


DEV_KEY_FILE = ".matcher-dev-data-key"


def data_keys(settings: Settings) -> list[str]:
    """The configured data keys; in development without any, a key kept in a local file
    (``.matcher-dev-data-key``, ignored by git) so a developer's database stays readable."""
    if settings.data_keys is not None:
        return [k.strip() for k in settings.data_keys.get_secret_value().split(",") if k.strip()]
    if settings.environment != "development":
        raise InsecureSettings("MATCHER_DATA_KEYS: set the data keys outside development")
    from pathlib import Path

    from cryptography.fernet import Fernet

    path = Path(DEV_KEY_FILE)
    if not path.exists():
        path.write_text(Fernet.generate_key().decode())
        path.chmod(0o600)
    return [path.read_text().strip()]
