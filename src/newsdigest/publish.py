"""The output edge: a week read from the store, rendered (``digest``) and sent once
(``deliver``). As ``pipeline`` is for ingest, this is the one output module that knows the
configuration and the store; ``digest`` and ``deliver`` are plain functions over values.
"""

from __future__ import annotations

from email.utils import getaddresses
from pathlib import Path

from sqlalchemy import Engine

from newsdigest import deliver as mail
from newsdigest import digest, relevance, store
from newsdigest.config import Config
from newsdigest.digest import DigestResult
from newsdigest.store import sends


def digest_settings(config: Config) -> digest.DigestSettings:
    """``[digest]``, the topics and the watch profile, for ``digest``."""
    return digest.DigestSettings(
        archive=config.state_dir / "digests",
        title=str(config.get("digest", "title", "") or digest.DEFAULT_TITLE),
        subject=str(config.get("digest", "subject", "") or digest.DEFAULT_SUBJECT),
        timezone=config.get("digest", "timezone"),
        templates=Path(config.get("digest", "templates", "") or digest.TEMPLATES),
        topics=config.topics,
        profile=relevance.Profile.from_dict(config.profile),
    )


def build(config: Config, engine: Engine, week: str | None) -> DigestResult:
    """Render one ISO week (default: this week) into STATE/digests/ and refresh the index."""
    settings = digest_settings(config)
    label, start, end = digest.iso_week(week, tz=settings.timezone)
    return digest.build(settings, digest.week_of(label, start, end, store.load_week(engine, start, end)))


def _recipients(config: Config) -> tuple[str, ...]:
    return tuple(addr for _, addr in getaddresses([str(config.get("smtp", "mail_to", "") or "")]) if addr)


def _sender(config: Config) -> str:
    return str(config.get("smtp", "mail_from", "") or "newsdigest@localhost")


def mail_settings(config: Config) -> mail.MailSettings | None:
    """SMTP settings from [smtp] (env overrides applied by config); None when host or mail_to is unset."""
    host = str(config.get("smtp", "host", "") or "").strip()
    to = _recipients(config)
    if not host or not to:
        return None
    tls = str(config.get("smtp", "tls", "none") or "none").strip().lower()
    if tls not in {"none", "starttls", "ssl"}:
        raise ValueError(f"[smtp] tls must be none, starttls or ssl, not {tls!r}")
    return mail.MailSettings(
        host=host,
        port=int(config.get("smtp", "port", 25) or 25),
        user=str(config.get("smtp", "user", "") or ""),
        password=config.smtp_password,
        tls=tls,
        mail_from=_sender(config),
        mail_to=to,
        retries=max(1, int(config.get("smtp", "retries", 3))),
        backoff=max(0.0, float(config.get("smtp", "backoff", 2.0))),
        timeout=max(1.0, float(config.get("smtp", "timeout", mail.BUDGET) or mail.BUDGET)),
    )


def _blocked(claim: sends.Claim, week: str) -> mail.DeliveryOutcome:
    """What a refused claim means to the user: sent already, being sent, or uncertain."""
    record = claim.blocked_by
    assert record is not None
    when = record.updated.isoformat(sep=" ", timespec="seconds")
    if claim.busy or record.status == sends.SENT:
        detail = (
            f"another run ({record.owner}) is sending it right now, since {when} UTC"
            if claim.busy
            else f"sent {when} UTC as {record.message_id}"
        )
        return mail.DeliveryOutcome(
            "skipped", week, record.recipients, record.message_id, record.attempts, detail=detail
        )
    reason = (
        "the send was interrupted after the message data went out, before the server's reply"
        if record.status == sends.INTENT
        else record.detail
    )
    return mail.DeliveryOutcome(
        "uncertain",
        week,
        record.recipients,
        record.message_id,
        record.attempts,
        detail=(
            f"an earlier send of {week} ({when} UTC) may have been delivered: {reason}; look for Message-ID "
            f"{record.message_id} in a mailbox, then use --resend if it did not arrive"
        ),
    )


def deliver(
    config: Config, engine: Engine, result: DigestResult, dry_run: bool = False, resend: bool = False
) -> mail.DeliveryOutcome:
    """Send the digest once per recipient list, or write it to the outbox (dry run, no mail settings)."""
    settings = mail_settings(config)
    if dry_run or settings is None:
        to = _recipients(config)
        msg = mail.build_message(result, _sender(config), to)
        why = "dry run" if dry_run else "no [smtp] host or mail_to configured"
        return mail.DeliveryOutcome(
            "written",
            result.week,
            to,
            msg["Message-ID"],
            path=mail.write_outbox(config.state_dir / "outbox", msg, result.week),
            detail=why,
        )
    fresh_id = mail.new_message_id(result.week, settings.mail_from)
    claim = sends.claim(
        engine, result.week, settings.mail_to, result.subject, fresh_id, resend, lease=settings.timeout + mail.TIMEOUT
    )
    if claim.id is None:
        return _blocked(claim, result.week)
    # After an interrupted or uncertain send, the same Message-ID lets receivers drop a copy they have.
    msg = mail.build_message(result, settings.mail_from, settings.mail_to, claim.message_id)
    record = claim.id
    status, attempts, detail = mail.send_with_retries(
        settings, msg, progress=lambda stage: sends.set_stage(engine, record, stage)
    )
    sends.set_outcome(engine, record, status, attempts, detail)
    if status == sends.UNCERTAIN:
        return mail.DeliveryOutcome(
            "uncertain",
            result.week,
            settings.mail_to,
            msg["Message-ID"],
            attempts,
            detail=(
                f"{detail}; the server may have the message {msg['Message-ID']}: a rerun will not send it again "
                "unless --resend"
            ),
        )
    return mail.DeliveryOutcome(status, result.week, settings.mail_to, msg["Message-ID"], attempts, detail=detail)
