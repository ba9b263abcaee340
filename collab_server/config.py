"""Settings from environment variables, overridable by CLI flags."""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

_CHECKOUT = Path(__file__).resolve().parents[1]


def _env_float(name: str, default: float) -> float:
    value = os.environ.get(name)
    return float(value) if value else default


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass
class Settings:
    host: str = field(default_factory=lambda: os.environ.get("PHONGHOP_HOST", "127.0.0.1"))
    port: int = field(default_factory=lambda: _env_int("PHONGHOP_PORT", 8000))
    database_url: str | None = field(default_factory=lambda: os.environ.get("DATABASE_URL"))
    redis_url: str | None = field(default_factory=lambda: os.environ.get("REDIS_URL"))
    data_dir: Path = field(
        default_factory=lambda: Path(os.environ.get("PHONGHOP_DATA_DIR", "./var"))
    )
    # Keys kept outside the database (collab_server/keys.py); empty: <data_dir>/keys.
    keys_dir_setting: str = field(
        default_factory=lambda: os.environ.get("PHONGHOP_KEYS_DIR", "")
    )
    flush_window_ms: float = field(
        default_factory=lambda: _env_float("PHONGHOP_FLUSH_WINDOW_MS", 5.0)
    )
    max_frame_bytes: int = field(
        default_factory=lambda: _env_int("PHONGHOP_MAX_FRAME_BYTES", 1024 * 1024)
    )
    idle_unload_s: float = field(
        default_factory=lambda: _env_float("PHONGHOP_IDLE_UNLOAD_S", 60.0)
    )
    max_upload_bytes: int = field(
        default_factory=lambda: _env_int("PHONGHOP_MAX_UPLOAD_BYTES", 100 * 1024 * 1024)
    )
    max_pages: int = field(default_factory=lambda: _env_int("PHONGHOP_MAX_PAGES", 2000))
    render_workers: int = field(default_factory=lambda: _env_int("PHONGHOP_RENDER_WORKERS", 2))
    # Certificates (PEM or DER files) a signature of an uploaded PDF must chain to:
    # the national root CAs the province trusts (documents/pades.py).
    trust_anchors_dir: Path | None = field(default_factory=lambda: (
        Path(os.environ["PHONGHOP_TRUST_ANCHORS_DIR"])
        if os.environ.get("PHONGHOP_TRUST_ANCHORS_DIR") else None))
    # The bodies' signing keys (PKCS#12 files or PKCS#11 tokens), by body code:
    # a JSON file, secrets in files beside it (documents/pades.py, docs/signatures.md).
    signing_config: Path | None = field(default_factory=lambda: (
        Path(os.environ["PHONGHOP_SIGNING_CONFIG"])
        if os.environ.get("PHONGHOP_SIGNING_CONFIG") else None))
    # Watermarked pages made ahead of a page turn (documents/prepared.py); 0 turns it off.
    prepared_pages_mb: int = field(
        default_factory=lambda: _env_int("PHONGHOP_PREPARED_PAGES_MB", 64))
    # Each LibreOffice conversion of an Office upload (see documents.convert.Limits).
    convert_timeout_s: float = field(
        default_factory=lambda: _env_float("PHONGHOP_CONVERT_TIMEOUT_S", 120)
    )
    convert_memory_mb: int = field(
        default_factory=lambda: _env_int("PHONGHOP_CONVERT_MEMORY_MB", 2048)
    )
    convert_cpu_s: int = field(default_factory=lambda: _env_int("PHONGHOP_CONVERT_CPU_S", 120))
    convert_file_mb: int = field(
        default_factory=lambda: _env_int("PHONGHOP_CONVERT_FILE_MB", 1024)
    )
    compact_every: int = field(default_factory=lambda: _env_int("PHONGHOP_COMPACT_EVERY", 200))
    send_queue_frames: int = field(
        default_factory=lambda: _env_int("PHONGHOP_SEND_QUEUE_FRAMES", 512)
    )
    send_queue_bytes: int = field(
        default_factory=lambda: _env_int("PHONGHOP_SEND_QUEUE_BYTES", 16 * 1024 * 1024)
    )
    # A frame the laptop has not taken in this long: it stopped reading (1013).
    send_stall_s: float = field(default_factory=lambda: _env_float("PHONGHOP_SEND_STALL_S", 10))
    # Websocket pings: a peer that answers none within the timeout is gone.
    ping_interval_s: float = field(
        default_factory=lambda: _env_float("PHONGHOP_PING_INTERVAL_S", 20)
    )
    ping_timeout_s: float = field(
        default_factory=lambda: _env_float("PHONGHOP_PING_TIMEOUT_S", 20)
    )
    # Per person (account), per server process: see live/people.py.
    person_sockets: int = field(default_factory=lambda: _env_int("PHONGHOP_PERSON_SOCKETS", 16))
    person_intents_per_s: float = field(
        default_factory=lambda: _env_float("PHONGHOP_PERSON_INTENTS_PER_S", 10.0)
    )
    person_intent_burst: float = field(
        default_factory=lambda: _env_float("PHONGHOP_PERSON_INTENT_BURST", 40.0)
    )
    person_presence_bytes_per_s: float = field(
        default_factory=lambda: _env_float("PHONGHOP_PERSON_PRESENCE_BYTES_PER_S", 16 * 1024)
    )
    person_presence_burst: float = field(
        default_factory=lambda: _env_float("PHONGHOP_PERSON_PRESENCE_BURST", 64 * 1024)
    )
    person_write_bytes_per_s: float = field(
        default_factory=lambda: _env_float("PHONGHOP_PERSON_WRITE_BYTES_PER_S", 256 * 1024)
    )
    person_write_burst: float = field(
        default_factory=lambda: _env_float("PHONGHOP_PERSON_WRITE_BURST", 4 * 1024 * 1024)
    )
    notes_max_bytes: int = field(
        default_factory=lambda: _env_int("PHONGHOP_NOTES_MAX_BYTES", 8 * 1024 * 1024)
    )
    session_check_s: float = field(
        default_factory=lambda: _env_float("PHONGHOP_SESSION_CHECK_S", 30.0)
    )
    session_hours: float = field(default_factory=lambda: _env_float("PHONGHOP_SESSION_HOURS", 12))
    session_idle_minutes: float = field(
        default_factory=lambda: _env_float("PHONGHOP_SESSION_IDLE_MINUTES", 120)
    )
    secure_cookies: bool = field(
        default_factory=lambda: os.environ.get("PHONGHOP_SECURE_COOKIES", "") == "1"
    )
    # Addresses of the reverse proxies whose X-Forwarded-For / -Proto are
    # believed (comma-separated IPs or networks, uvicorn's forwarded_allow_ips);
    # empty: none, a client's own address is used whatever headers it sends.
    trusted_proxies: str = field(
        default_factory=lambda: os.environ.get("PHONGHOP_TRUSTED_PROXIES", "")
    )
    # Single sign-on (OpenID Connect): on when the issuer is set.
    oidc_issuer: str = field(default_factory=lambda: os.environ.get("PHONGHOP_OIDC_ISSUER", ""))
    oidc_client_id: str = field(
        default_factory=lambda: os.environ.get("PHONGHOP_OIDC_CLIENT_ID", "")
    )
    oidc_client_secret: str = field(
        default_factory=lambda: os.environ.get("PHONGHOP_OIDC_CLIENT_SECRET", "")
    )
    oidc_username_claim: str = field(
        default_factory=lambda: os.environ.get("PHONGHOP_OIDC_USERNAME_CLAIM",
                                               "preferred_username")
    )
    # How browsers reach this server (redirects of single sign-on).
    public_url: str = field(
        default_factory=lambda: os.environ.get("PHONGHOP_PUBLIC_URL", "http://127.0.0.1:8000")
    )
    # Signs the short-lived single sign-on state; shared by every process.
    secret_key: str = field(default_factory=lambda: os.environ.get("PHONGHOP_SECRET_KEY", ""))
    # Notifications (collab_server/notify, docs/notifications.md). E-mail is on
    # when the SMTP host is set, the SMS/Zalo gateway when its URL is.
    smtp_host: str = field(default_factory=lambda: os.environ.get("PHONGHOP_SMTP_HOST", ""))
    smtp_port: int = field(default_factory=lambda: _env_int("PHONGHOP_SMTP_PORT", 587))
    # "starttls" (port 587), "ssl" (port 465) or "none" (a relay on the same network).
    smtp_tls: str = field(default_factory=lambda: os.environ.get("PHONGHOP_SMTP_TLS", "starttls"))
    smtp_user: str = field(default_factory=lambda: os.environ.get("PHONGHOP_SMTP_USER", ""))
    smtp_password: str = field(
        default_factory=lambda: os.environ.get("PHONGHOP_SMTP_PASSWORD", ""))
    mail_from: str = field(default_factory=lambda: os.environ.get("PHONGHOP_MAIL_FROM", ""))
    gateway_url: str = field(default_factory=lambda: os.environ.get("PHONGHOP_GATEWAY_URL", ""))
    gateway_secret: str = field(
        default_factory=lambda: os.environ.get("PHONGHOP_GATEWAY_SECRET", ""))
    notify_poll_s: float = field(default_factory=lambda: _env_float("PHONGHOP_NOTIFY_POLL_S", 5))
    # The first retry's delay; each next one doubles, up to an hour.
    notify_retry_s: float = field(
        default_factory=lambda: _env_float("PHONGHOP_NOTIFY_RETRY_S", 60))
    notify_max_attempts: int = field(
        default_factory=lambda: _env_int("PHONGHOP_NOTIFY_MAX_ATTEMPTS", 12))
    log_level: str = field(default_factory=lambda: os.environ.get("PHONGHOP_LOG_LEVEL", "info"))
    log_format: str = field(default_factory=lambda: os.environ.get("PHONGHOP_LOG_FORMAT", "json"))
    clients_dir: Path = field(
        default_factory=lambda: Path(
            os.environ.get("PHONGHOP_CLIENTS_DIR", str(_CHECKOUT / "clients"))
        )
    )

    @property
    def keys_dir(self) -> Path:
        return Path(self.keys_dir_setting) if self.keys_dir_setting else self.data_dir / "keys"

    def to_json(self) -> str:
        """For worker processes, which rebuild the same settings (CLI flags included)."""
        return json.dumps({k: str(v) if isinstance(v, Path) else v
                           for k, v in dataclasses.asdict(self).items()})

    @classmethod
    def from_json(cls, text: str) -> Settings:
        settings = cls()
        for key, value in json.loads(text).items():
            if isinstance(getattr(settings, key, None), Path):
                value = Path(value)
            setattr(settings, key, value)
        return settings
