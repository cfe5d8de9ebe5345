"""Delivery: one multipart/alternative email per digest, and the SMTP conversation that
sends it within a time budget, reporting how far it got. ``publish.deliver`` keeps the
send record that makes it exactly once per recipient list; this module knows no store.

Exactly-once rule (per ISO week and recipient list, see ``store.sends``):

1. The intent, with the Message-ID the message will carry, is committed BEFORE the
   message goes to the server; the outcome (sent / failed / uncertain) after.
2. A rerun finds the latest record for the week and the same recipients (the check
   and the new intent are one step, ``sends.claim``: two runs never both send):
   - ``sent``: nothing is sent (unless ``resend``).
   - ``failed``: the server said no (or could not be reached) on every attempt, so
     nothing was delivered: the rerun sends again.
   - ``intent`` whose process still runs: another run is sending; nothing is done.
   - ``intent`` whose process died before the end of the message data (its stage
     is before ``end``): a server accepts a message only at the end-of-data mark,
     so nothing was delivered: the rerun sends it, with the same Message-ID.
   - ``intent`` at stage ``end`` (died after the end-of-data mark may have left,
     before the reply) or ``uncertain`` (the connection broke there): the server
     may hold the message, so the rerun does NOT send; it reports the Message-ID to
     check in a mailbox. ``resend`` then sends with the SAME Message-ID, so that a
     server or client that already has it can drop the copy. In doubt we prefer a
     missing mail that a person is told about over a duplicate nobody can take back.
3. Within one run, refusals with a 4xx code and breaks before the end of the message
   data are retried with exponential backoff ([smtp] retries, backoff); a 5xx refusal
   is final; a break after the end-of-data mark is never retried. The whole delivery,
   retries included, ends within [smtp] timeout (120 s): smtplib's socket timeout
   restarts with every line a server trickles, so a watchdog shuts the socket at the
   deadline.

Dry runs, and configurations without [smtp] host or mail_to, write the message to
STATE/outbox/YYYY-Www.eml instead and record no send.
"""

from __future__ import annotations

import contextlib
import re
import select
import smtplib
import socket
import ssl
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from newsdigest.digest import DigestResult
from newsdigest.models import SendState as S

TIMEOUT = 30.0  # one socket operation
BUDGET = 120.0  # default [smtp] timeout: the whole delivery, retries and backoff included
_LEADING_DOT = re.compile(rb"(?m)^\.")


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
    timeout: float = BUDGET


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


def new_message_id(week: str, mail_from: str) -> str:
    domain = mail_from.rpartition("@")[2].strip("> ") or "localhost"
    # Short enough never to be folded: a folded Message-ID reads back with a leading space.
    return f"<{week}.{uuid.uuid4().hex}@{domain}>"


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
    msg["Message-ID"] = message_id or new_message_id(result.week, mail_from)
    # base64 keeps CJK text 7-bit clean for any server (quoted-printable would triple it).
    msg.set_content(result.text, subtype="plain", charset="utf-8", cte="base64")
    msg.add_alternative(result.html, subtype="html", charset="utf-8", cte="base64")
    return msg


def write_outbox(folder: Path, msg: EmailMessage, week: str) -> Path:
    """The message as ``folder/YYYY-Www.eml`` (dry runs, no mail settings)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{week}.eml"
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_bytes(msg.as_bytes())
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)  # a full disk leaves no half-written .tmp behind
    return path


class _Watchdog:
    """Shuts the SMTP socket down at the deadline, waking whatever read or write waits."""

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.fired = False
        self._timers: list[threading.Timer] = []

    def remaining(self) -> float:
        return max(0.0, self.deadline - time.monotonic())

    def watch(self, sock: socket.socket) -> None:
        timer = threading.Timer(self.remaining(), self._fire, (sock,))
        timer.daemon = True
        timer.start()
        self._timers.append(timer)

    def _fire(self, sock: socket.socket) -> None:
        self.fired = True
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        for timer in self._timers:
            timer.cancel()


class _Watched(smtplib.SMTP):
    """An SMTP connection whose socket the watchdog can shut at the deadline (plain or SSL)."""

    watchdog: _Watchdog

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = super()._get_socket(host, port, timeout)
        self.watchdog.watch(sock)
        return sock


class _SMTP(_Watched):
    pass


class _SMTPSSL(_Watched, smtplib.SMTP_SSL):
    pass


def _connect(s: MailSettings, watchdog: _Watchdog) -> smtplib.SMTP:
    timeout = max(0.1, min(TIMEOUT, watchdog.remaining()))
    smtp: smtplib.SMTP
    smtp = _SMTPSSL(timeout=timeout, context=ssl.create_default_context()) if s.tls == "ssl" else _SMTP(timeout=timeout)
    smtp.watchdog = watchdog  # type: ignore[attr-defined]
    smtp.connect(s.host, s.port)
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


def _data(smtp: smtplib.SMTP, data: bytes, progress: Callable[[str], None]) -> tuple[int, bytes]:
    """smtplib's DATA, split so that the END stage is recorded before the end-of-data mark
    leaves: a server accepts a message only once it has that mark."""
    code, reply = smtp.docmd("data")
    if code != 354:
        raise _Refused(f"DATA refused: {code} {reply.decode(errors='replace')}", final=code >= 500)
    progress(S.DATA)
    body = _LEADING_DOT.sub(b"..", data)
    smtp.send(body if body.endswith(b"\r\n") else body + b"\r\n")
    if select.select([smtp.sock], [], [], 0)[0]:
        # The server hung up (or spoke) before the end-of-data mark: it cannot hold the message.
        raise _Refused("the server closed the connection before the end of the message data (nothing delivered)")
    progress(S.END)
    try:
        smtp.send(b".\r\n")
        return smtp.getreply()
    except (OSError, smtplib.SMTPException) as exc:
        raise _Broken(f"connection broke after the message data was sent, before the server's reply: {exc}") from exc


def _why(exc: BaseException, watchdog: _Watchdog, budget: float) -> str:
    return f"the SMTP time budget of {budget:g} s ran out" if watchdog.fired else str(exc) or type(exc).__name__


def send_once(
    s: MailSettings, msg: EmailMessage, deadline: float | None = None, progress: Callable[[str], None] | None = None
) -> str:
    """One SMTP session. Raises _Refused (nothing delivered) or _Broken (delivery unknown)."""
    watchdog = _Watchdog(deadline if deadline is not None else time.monotonic() + s.timeout)
    step = progress or (lambda _stage: None)
    try:
        step(S.CONNECT)
        try:
            smtp = _connect(s, watchdog)
        except (OSError, smtplib.SMTPException) as exc:
            raise _Refused(f"cannot connect to {s.host}:{s.port}: {_why(exc, watchdog, s.timeout)}") from exc
        try:
            return _session(smtp, s, msg, step, watchdog)
        finally:
            try:
                smtp.quit()
            except (OSError, smtplib.SMTPException):
                smtp.close()
    finally:
        watchdog.cancel()


def _session(
    smtp: smtplib.SMTP, s: MailSettings, msg: EmailMessage, step: Callable[[str], None], watchdog: _Watchdog
) -> str:
    try:
        refused = _envelope(smtp, s)
        code, reply = _data(smtp, msg.as_bytes(), step)
    except smtplib.SMTPResponseException as exc:
        raise _Refused(f"{exc.smtp_code} {exc.smtp_error!r}", final=exc.smtp_code >= 500) from exc
    except _Broken as exc:
        if watchdog.fired:
            raise _Broken(f"the SMTP time budget of {s.timeout:g} s ran out awaiting the reply to the data") from exc
        raise
    except (OSError, smtplib.SMTPException) as exc:
        why = _why(exc, watchdog, s.timeout)
        raise _Refused(f"SMTP session broke before the message was complete (nothing delivered): {why}") from exc
    if code != 250:
        raise _Refused(f"message refused: {code} {reply.decode(errors='replace')}", final=code >= 500)
    return f"{code} {reply.decode(errors='replace')}" + (f"; refused: {'; '.join(refused)}" if refused else "")


def send_with_retries(
    s: MailSettings,
    msg: EmailMessage,
    sleep: Callable[[float], None] = time.sleep,
    progress: Callable[[str], None] | None = None,
) -> tuple[str, int, str]:
    """Send, retrying refusals that may pass later, all within [smtp] timeout.
    Returns (status, attempts, detail)."""
    deadline = time.monotonic() + s.timeout
    for attempt in range(1, s.retries + 1):
        try:
            return S.SENT, attempt, send_once(s, msg, deadline, progress)
        except _Broken as exc:
            return S.UNCERTAIN, attempt, str(exc)
        except _Refused as exc:
            pause = s.backoff * 2 ** (attempt - 1)
            if exc.final or attempt == s.retries or time.monotonic() + pause >= deadline:
                return S.FAILED, attempt, str(exc)
            sleep(pause)
    raise AssertionError("unreachable")
