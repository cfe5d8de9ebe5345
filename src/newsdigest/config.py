"""Configuration: ``newsdigest.toml`` plus ``NEWSDIGEST_*`` environment overrides.

Scalar settings live in sections (``[digest]``, ``[store]``, ...); any of them can be
overridden by ``NEWSDIGEST_<SECTION>_<KEY>``. Secrets are read from the environment
only and never from the file, so the file can be committed.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsdigest.models import Source, Topic

__all__ = ["Config", "ConfigError", "Source", "Topic", "load"]

# Names the mail issue fixed that do not follow <SECTION>_<KEY>.
_ALIASES = {"NEWSDIGEST_MAIL_FROM": ("smtp", "mail_from"), "NEWSDIGEST_MAIL_TO": ("smtp", "mail_to")}
KINDS = ("folder", "feed", "page", "site", "sitemap")
SECTIONS = ("run", "digest", "schedule", "store", "dedupe", "fetch", "smtp", "profile", "runner")


class ConfigError(Exception):
    """The configuration cannot be used; the message is one line for the user."""


@dataclass(frozen=True)
class Config:
    base_dir: Path
    state_dir: Path
    sections: dict[str, dict[str, Any]]
    topics: tuple[Topic, ...] = ()
    sources: tuple[Source, ...] = ()
    secrets: dict[str, str] = field(default_factory=dict)

    def get(self, section: str, key: str, default: Any = None) -> Any:
        return self.sections.get(section, {}).get(key, default)

    @property
    def store_url(self) -> str:
        url = self.get("store", "url") or ""
        return url or f"sqlite:///{self.state_dir / 'newsdigest.db'}"

    @property
    def profile(self) -> dict[str, Any]:
        """The watch profile's settings (``[profile]``), for ``relevance.Profile.from_dict``."""
        return self.sections.get("profile", {})

    @property
    def smtp_password(self) -> str | None:
        return self.secrets.get("smtp_password")


def _coerce(raw: str, like: Any) -> Any:
    """Read an environment string as the type the file uses for that key."""
    if isinstance(like, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(like, int):
        return int(raw)
    if isinstance(like, float):
        return float(raw)
    return raw


def _env_overrides(sections: dict[str, dict[str, Any]], env: dict[str, str]) -> None:
    for name, raw in env.items():
        if not name.startswith("NEWSDIGEST_") or name == "NEWSDIGEST_SMTP_PASSWORD":
            continue
        target = _ALIASES.get(name)
        if target is None:
            rest = name.removeprefix("NEWSDIGEST_").lower()
            section = next((s for s in SECTIONS if rest.startswith(s + "_")), None)
            if section is None:
                continue
            target = (section, rest.removeprefix(section + "_"))
        section, key = target
        current = sections.setdefault(section, {}).get(key, "")
        try:
            sections[section][key] = _coerce(raw, current)
        except ValueError as exc:
            raise ConfigError(f"{name}={raw!r} is not a valid {type(current).__name__}") from exc


def _crawl_options(item: dict[str, Any]) -> dict[str, Any]:
    """Options of site and sitemap sources; a bad pattern or number is a one-line config error."""
    out: dict[str, Any] = {}
    for key in ("max_pages", "max_age_days", "max_items"):
        if key in item:
            if not isinstance(item[key], int) or item[key] < 1:
                raise ConfigError(f"source {item.get('name')!r}: {key} must be a whole number of at least 1")
            out[key] = item[key]
    for key in ("include", "exclude"):
        if item.get(key):
            try:
                re.compile(item[key])
            except re.error as exc:
                raise ConfigError(f"source {item.get('name')!r}: {key} is not a valid pattern ({exc})") from None
            out[key] = item[key]
    return out


def _sources(items: list[dict[str, Any]], base: Path) -> tuple[Source, ...]:
    out = []
    for item in items:
        kind = item.get("kind", "folder")
        if kind not in KINDS:
            raise ConfigError(f"source {item.get('name')!r}: kind must be {', '.join(KINDS)}, not {kind!r}")
        path = item.get("path")
        if path and not Path(path).is_absolute():
            path = str(base / path)
        out.append(
            Source(
                kind=kind,
                name=item.get("name") or item.get("url") or path or kind,
                path=path,
                url=item.get("url"),
                full_text=bool(item.get("full_text", False)),
                encoding=item.get("encoding"),
                enabled=bool(item.get("enabled", True)),
                **_crawl_options(item),
            )
        )
    return tuple(out)


def load(config_file: Path | None = None, state_dir: Path | None = None, env: dict[str, str] | None = None) -> Config:
    """Load the configuration file (optional) and apply environment overrides."""
    env = dict(os.environ if env is None else env)
    path = Path(config_file or env.get("NEWSDIGEST_CONFIG") or "newsdigest.toml")
    data: dict[str, Any] = {}
    if path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path}: not valid TOML ({exc})") from exc
    elif config_file is not None:
        raise ConfigError(f"{path}: configuration file not found")
    base = path.resolve().parent
    sections = {s: dict(data.get(s, {})) for s in SECTIONS}
    _env_overrides(sections, env)
    state = Path(state_dir or env.get("NEWSDIGEST_STATE") or "state")
    topics = tuple(Topic(t["name"], tuple(t.get("keywords", ()))) for t in data.get("topics", []))
    secrets = {"smtp_password": env["NEWSDIGEST_SMTP_PASSWORD"]} if "NEWSDIGEST_SMTP_PASSWORD" in env else {}
    return Config(
        base_dir=base,
        state_dir=state,
        sections=sections,
        topics=topics,
        sources=_sources(data.get("sources", []), base),
        secrets=secrets,
    )
