"""Delivery: one multipart/alternative email per digest, sent exactly once per recipient list.

Exactly-once rule (per ISO week and recipient list, see ``store.sends``):

1. The intent, with the Message-ID the message will carry, is committed BEFORE the
   message goes to the server; the outcome (sent / failed / uncertain) after.
2. A rerun finds the latest record for the week and the same recipients:
   - ``sent``: nothing is sent (unless ``resend``).
   - ``failed``: the server said no (or could not be reached) on every attempt, so
     nothing was delivered: the rerun sends again.
   - ``intent`` (the process died mid-send) or ``uncertain`` (the connection broke
     after the message data went out): the server may hold the message, so the
     rerun does NOT send; it reports the Message-ID to check in a mailbox.
     ``resend`` then sends with the SAME Message-ID, so that a server or client that
     already has it can drop the copy. In doubt we prefer a missing mail that a
     person is told about over a duplicate nobody can take back.
3. Within one run, refusals with a 4xx code and connection failures before the
   message data is sent are retried with exponential backoff ([smtp] retries,
   backoff); a 5xx refusal is final; a break during the data is never retried.

Dry runs, and configurations without [smtp] host or mail_to, write the message to
STATE/outbox/YYYY-Www.eml instead and record no send.
"""

from __future__ import annotations

import smtplib
import ssl
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime, getaddresses
from pathlib import Path

from sqlalchemy import Engine

from newsdigest.config import Config
from newsdigest.digest import DigestResult
from newsdigest.store import sends

TIMEOUT = 30.0


@dataclass(frozen=True)
class MailSettings:
    host: str
    port: int
    user: str
    password: str | None
    tls: str  # none | starttls | ssl
    mail_from: str
    mail_to: tuple[str, ...]
    retries: int = 3
    backoff: float = 2.0


@dataclass(frozen=True)
class DeliveryOutcome:
    """What delivery did: status is sent, skipped, uncertain, failed or written (outbox)."""

    status: str
    week: str
    recipients: tuple[str, ...] = ()
    message_id: str | None = None
    attempts: int = 0
    path: Path | None = None
    detail: str = ""

    @property
    def ok(self) -> bool:
        return self.status in {"sent", "skipped", "written"}

    def __str__(self) -> str:
        to = ", ".join(self.recipients) or "nobody"
        lines = {
            "sent": f"sent {self.week} to {to} ({self.message_id}, attempt {self.attempts})",
            "skipped": f"not sent: {self.week} already went to {to} ({self.detail}); --resend sends it again",
            "uncertain": f"not sent: {self.detail}",
            "failed": f"send failed for {self.week} after {self.attempts} attempt(s): {self.detail}",
            "written": f"not sent ({self.detail}): message written to {self.path}",
        }
        return lines.get(self.status, f"{self.status}: {self.detail}")


class _Refused(Exception):
    """The server refused (or was never reached): nothing was delivered. ``final`` for 5xx."""

    def __init__(self, reason: str, final: bool = False) -> None:
        super().__init__(reason)
        self.final = final


class _Broken(Exception):
    """The connection broke while or after the data went out: the server may hold the message."""


def mail_settings(config: Config) -> MailSettings | None:
    """SMTP settings from [smtp] (env overrides applied by config); None when host or mail_to is unset."""
    host = str(config.get("smtp", "host", "") or "").strip()
    to = tuple(addr for _, addr in getaddresses([str(config.get("smtp", "mail_to", "") or "")]) if addr)
    if not host or not to:
        return None
    tls = str(config.get("smtp", "tls", "none") or "none").strip().lower()
    if tls not in {"none", "starttls", "ssl"}:
        raise ValueError(f"[smtp] tls must be none, starttls or ssl, not {tls!r}")
    return MailSettings(
        host=host,
        port=int(config.get("smtp", "port", 25) or 25),
        user=str(config.get("smtp", "user", "") or ""),
        password=config.smtp_password,
        tls=tls,
        mail_from=str(config.get("smtp", "mail_from", "") or "newsdigest@localhost"),
        mail_to=to,
        retries=max(1, int(config.get("smtp", "retries", 3))),
        backoff=max(0.0, float(config.get("smtp", "backoff", 2.0))),
    )


def build_message(
    result: DigestResult, mail_from: str, mail_to: tuple[str, ...], message_id: str | None = None
) -> EmailMessage:
    """One multipart/alternative message: the plain text first, the HTML last (preferred)."""
    msg = EmailMessage(policy=policy.SMTP)
    msg["Subject"] = result.subject
    msg["From"] = mail_from
    if mail_to:
        msg["To"] = ", ".join(mail_to)
    msg["Date"] = format_datetime(datetime.now(UTC))
    domain = mail_from.rpartition("@")[2] or "localhost"
    # Short enough never to be folded: a folded Message-ID reads back with a leading space.
    msg["Message-ID"] = message_id or f"<{result.week}.{uuid.uuid4().hex}@{domain}>"
    # base64 keeps CJK text 7-bit clean for any server (quoted-printable would triple it).
    msg.set_content(result.text, subtype="plain", charset="utf-8", cte="base64")
    msg.add_alternative(result.html, subtype="html", charset="utf-8", cte="base64")
    return msg


def write_outbox(config: Config, msg: EmailMessage, week: str) -> Path:
    folder = config.state_dir / "outbox"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{week}.eml"
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_bytes(msg.as_bytes())
    tmp.replace(path)
    return path


def _connect(s: MailSettings) -> smtplib.SMTP:
    if s.tls == "ssl":
        return smtplib.SMTP_SSL(s.host, s.port, timeout=TIMEOUT, context=ssl.create_default_context())
    smtp = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT)
    if s.tls == "starttls":
        smtp.starttls(context=ssl.create_default_context())
    return smtp


def _envelope(smtp: smtplib.SMTP, s: MailSettings) -> list[str]:
    """MAIL FROM and RCPT TO; returns the refused recipients. Raises _Refused if none is accepted."""
    smtp.ehlo_or_helo_if_needed()
    if s.user:
        smtp.login(s.user, s.password or "")
    code, reply = smtp.mail(s.mail_from)
    if code != 250:
        raise _Refused(f"MAIL FROM refused: {code} {reply.decode(errors='replace')}", final=code >= 500)
    refused: list[tuple[str, int, str]] = []
    for rcpt in s.mail_to:
        code, reply = smtp.rcpt(rcpt)
        if code not in (250, 251):
            refused.append((rcpt, code, reply.decode(errors="replace")))
    lines = [f"{rcpt}: {code} {reply}" for rcpt, code, reply in refused]
    if len(refused) == len(s.mail_to):
        raise _Refused("every recipient refused: " + "; ".join(lines), final=all(c >= 500 for _, c, _ in refused))
    return lines


def send_once(s: MailSettings, msg: EmailMessage) -> str:
    """One SMTP session. Raises _Refused (nothing delivered) or _Broken (delivery unknown)."""
    try:
        smtp = _connect(s)
    except (OSError, smtplib.SMTPException) as exc:
        raise _Refused(f"cannot connect to {s.host}:{s.port}: {exc}") from exc
    try:
        try:
            refused = _envelope(smtp, s)
        except smtplib.SMTPResponseException as exc:
            raise _Refused(f"{exc.smtp_code} {exc.smtp_error!r}", final=exc.smtp_code >= 500) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise _Refused(f"SMTP session failed before the message was sent: {exc}") from exc
        try:
            code, reply = smtp.data(msg.as_bytes())
        except smtplib.SMTPDataError as exc:
            raise _Refused(f"message refused: {exc.smtp_code} {exc.smtp_error!r}", final=exc.smtp_code >= 500) from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise _Broken(f"connection broke while sending the message: {exc}") from exc
        if code != 250:  # smtplib returns, not raises, the reply to the message data
            raise _Refused(f"message refused: {code} {reply.decode(errors='replace')}", final=code >= 500)
        return f"{code} {reply.decode(errors='replace')}" + (f"; refused: {'; '.join(refused)}" if refused else "")
    finally:
        try:
            smtp.quit()
        except (OSError, smtplib.SMTPException):
            smtp.close()


def send_with_retries(
    s: MailSettings, msg: EmailMessage, sleep: Callable[[float], None] = time.sleep
) -> tuple[str, int, str]:
    """Send, retrying refusals that may pass later. Returns (status, attempts, detail)."""
    for attempt in range(1, s.retries + 1):
        try:
            return sends.SENT, attempt, send_once(s, msg)
        except _Broken as exc:
            return sends.UNCERTAIN, attempt, str(exc)
        except _Refused as exc:
            if exc.final or attempt == s.retries:
                return sends.FAILED, attempt, str(exc)
            sleep(s.backoff * 2 ** (attempt - 1))
    raise AssertionError("unreachable")


def _blocked(record: sends.SendRecord, week: str) -> DeliveryOutcome:
    when = record.updated.isoformat(sep=" ", timespec="seconds")
    if record.status == sends.SENT:
        return DeliveryOutcome(
            "skipped",
            week,
            record.recipients,
            record.message_id,
            record.attempts,
            detail=f"sent {when} UTC as {record.message_id}",
        )
    reason = "the send was interrupted" if record.status == sends.INTENT else record.detail
    return DeliveryOutcome(
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
) -> DeliveryOutcome:
    """Send the digest once per recipient list, or write it to the outbox (dry run, no mail settings)."""
    settings = mail_settings(config)
    if dry_run or settings is None:
        to = tuple(a for _, a in getaddresses([str(config.get("smtp", "mail_to", "") or "")]) if a)
        msg = build_message(result, str(config.get("smtp", "mail_from", "") or "newsdigest@localhost"), to)
        why = "dry run" if dry_run else "no [smtp] host or mail_to configured"
        return DeliveryOutcome(
            "written", result.week, to, msg["Message-ID"], path=write_outbox(config, msg, result.week), detail=why
        )
    last = sends.latest(engine, result.week, settings.mail_to)
    if last and not resend and last.status != sends.FAILED:
        return _blocked(last, result.week)
    # After an uncertain send, the same Message-ID lets receivers drop a copy they already have.
    same_id = last.message_id if last and last.status in {sends.INTENT, sends.UNCERTAIN} else None
    msg = build_message(result, settings.mail_from, settings.mail_to, same_id)
    record = sends.record_intent(engine, result.week, settings.mail_to, result.subject, msg["Message-ID"])
    status, attempts, detail = send_with_retries(settings, msg)
    sends.set_outcome(engine, record, status, attempts, detail)
    if status == sends.UNCERTAIN:
        return DeliveryOutcome(
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
    return DeliveryOutcome(status, result.week, settings.mail_to, msg["Message-ID"], attempts, detail=detail)
