"""Send records: the exactly-once bookkeeping of digest delivery.

One row per send attempt series: written as ``intent`` (with its Message-ID) BEFORE
the message goes to the server, then set to ``sent`` or ``failed``, or ``uncertain``
when the connection broke while the server held the message. While it is sent, the
row's ``stage`` says how far it got, so that a process killed mid-send leaves enough
to decide: only ``end`` (the end-of-data mark may have reached the server) can mean
the server holds the message. ``claim`` checks the last record and writes the intent
in one step: two processes cannot both claim one week (the ``slot`` is unique). The
table is created by migration 4 (``m0004_sends``); stage, owner and slot by m0007.
"""

from __future__ import annotations

import hashlib
import os
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError

from newsdigest.models import SendState
from newsdigest.store import now

# Its own MetaData: a create_all over the shared schema should not pick this table up.
metadata = MetaData()
INTENT, SENT, FAILED, UNCERTAIN = SendState.INTENT, SendState.SENT, SendState.FAILED, SendState.UNCERTAIN
CLAIMED, CONNECT, DATA, END = SendState.CLAIMED, SendState.CONNECT, SendState.DATA, SendState.END

sends = Table(
    "sends",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("week", String(10), nullable=False),
    Column("recipients_key", String(64), nullable=False),
    Column("recipients", Text, nullable=False),
    Column("subject", Text, nullable=False),
    Column("message_id", Text, nullable=False),
    Column("status", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("detail", Text, nullable=False, default=""),
    Column("created", DateTime, nullable=False),
    Column("updated", DateTime, nullable=False),
    Column("stage", String(16)),  # m0007: how far an intent got (CLAIMED … END)
    Column("owner", Text),  # m0007: host:pid of the process sending
    Column("slot", String(128)),  # m0007: week|recipients|previous id, unique: one claim per state
    Index("ix_sends_week_key", "week", "recipients_key"),
    Index("ux_sends_slot", "slot", unique=True),
)


@dataclass(frozen=True)
class SendRecord:
    id: int
    week: str
    recipients: tuple[str, ...]
    subject: str
    message_id: str
    status: str
    attempts: int
    detail: str
    created: datetime
    updated: datetime
    stage: str | None = None
    owner: str | None = None


@dataclass(frozen=True)
class Claim:
    """What ``claim`` decided: send as record ``id`` with ``message_id``, or ``blocked_by`` a record."""

    id: int | None
    message_id: str
    blocked_by: SendRecord | None = None
    busy: bool = False  # the blocking intent belongs to a process that is still sending


def recipients_key(recipients: Iterable[str]) -> str:
    """The same list in any order or case is the same audience."""
    normal = sorted({r.strip().lower() for r in recipients if r.strip()})
    return hashlib.sha256("\n".join(normal).encode()).hexdigest()


def _record(row: object) -> SendRecord:
    m = row._mapping  # type: ignore[attr-defined]
    return SendRecord(
        id=m["id"],
        week=m["week"],
        recipients=tuple(m["recipients"].split(",")),
        subject=m["subject"],
        message_id=m["message_id"],
        status=m["status"],
        attempts=m["attempts"],
        detail=m["detail"],
        created=m["created"],
        updated=m["updated"],
        stage=m.get("stage"),
        owner=m.get("owner"),
    )


def _latest(conn: Connection, week: str, key: str) -> SendRecord | None:
    query = (
        select(sends).where(sends.c.week == week, sends.c.recipients_key == key).order_by(sends.c.id.desc()).limit(1)
    )
    row = conn.execute(query).first()
    return _record(row) if row else None


def latest(engine: Engine, week: str, recipients: Iterable[str]) -> SendRecord | None:
    """The most recent send of this week's digest to this recipient list, if any."""
    with engine.connect() as conn:
        return _latest(conn, week, recipients_key(recipients))


def owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a killed process that nobody has reaped yet is a zombie: dead all the same
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def sending_now(record: SendRecord, lease: float) -> bool:
    """Is the process that wrote this intent still sending it? On this host: is it alive;
    on another: has it touched the record within the lease (the SMTP budget)."""
    if record.status != INTENT or not record.owner:
        return False
    host, _, pid = record.owner.rpartition(":")
    if host == socket.gethostname() and pid.isdigit():
        return int(pid) != os.getpid() and _pid_alive(int(pid))
    return now() - record.updated < timedelta(seconds=lease)


def blocks(record: SendRecord | None, resend: bool, lease: float) -> bool:
    """Does the last record forbid a new send? Sent and uncertain ones do unless ``resend``;
    an intent does while its process sends, or when it died after the end of data."""
    if record is None or record.status == FAILED:
        return False
    if sending_now(record, lease):
        return True
    if record.status == INTENT and record.stage not in (None, END):
        return False  # died before the message was complete: the server cannot hold it
    return not resend


def claim(
    engine: Engine, week: str, recipients: Iterable[str], subject: str, message_id: str, resend: bool, lease: float
) -> Claim:
    """Check the last send and record the intent in one step. A message that may have
    been delivered before, or was interrupted before its end, keeps its Message-ID."""
    recipients = list(recipients)
    key = recipients_key(recipients)
    while True:
        try:
            with engine.begin() as conn:
                last = _latest(conn, week, key)
                if blocks(last, resend, lease):
                    assert last is not None
                    return Claim(None, last.message_id, last, busy=sending_now(last, lease))
                if last is not None and last.status in (INTENT, UNCERTAIN):
                    message_id = last.message_id
                slot = f"{week}|{key}|{last.id if last else 0}"
                return Claim(_insert(conn, week, recipients, key, subject, message_id, slot), message_id)
        except IntegrityError:
            continue  # another process claimed this very state first: look again


def _insert(
    conn: Connection, week: str, recipients: list[str], key: str, subject: str, message_id: str, slot: str | None
) -> int:
    stamp = now()
    res = conn.execute(
        insert(sends).values(
            week=week,
            recipients_key=key,
            recipients=",".join(recipients),
            subject=subject,
            message_id=message_id,
            status=INTENT,
            attempts=0,
            detail="",
            created=stamp,
            updated=stamp,
            stage=CLAIMED,
            owner=owner(),
            slot=slot,
        )
    )
    return int(res.inserted_primary_key[0])


def set_stage(engine: Engine, record_id: int, stage: str) -> None:
    """Committed before the step it names: a kill right after leaves the record pessimistic."""
    with engine.begin() as conn:
        conn.execute(update(sends).where(sends.c.id == record_id).values(stage=stage, updated=now()))


def history(engine: Engine, week: str | None = None) -> list[SendRecord]:
    query = select(sends).order_by(sends.c.id)
    if week:
        query = query.where(sends.c.week == week)
    with engine.connect() as conn:
        return [_record(r) for r in conn.execute(query)]


def record_intent(engine: Engine, week: str, recipients: Iterable[str], subject: str, message_id: str) -> int:
    """Write an intent without the check ``claim`` makes (tests, repairs); returns its id."""
    recipients = list(recipients)
    with engine.begin() as conn:
        return _insert(conn, week, recipients, recipients_key(recipients), subject, message_id, None)


def set_outcome(engine: Engine, record_id: int, status: str, attempts: int, detail: str = "") -> None:
    with engine.begin() as conn:
        conn.execute(
            update(sends)
            .where(sends.c.id == record_id)
            .values(status=status, attempts=attempts, detail=detail, updated=now())
        )
