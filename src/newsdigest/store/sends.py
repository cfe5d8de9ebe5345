"""Send records: the exactly-once bookkeeping of digest delivery.

One row per send attempt series: written as ``intent`` (with its Message-ID) BEFORE
the message goes to the server, then set to ``sent`` or ``failed``, or ``uncertain``
when the connection broke while the server held the message. The table is created
by migration 4 (``m0004_sends``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Column, DateTime, Engine, Index, Integer, MetaData, String, Table, Text, insert, select, update

from newsdigest.store import now

# Its own MetaData: a create_all over the shared schema should not pick this table up.
metadata = MetaData()
INTENT, SENT, FAILED, UNCERTAIN = "intent", "sent", "failed", "uncertain"

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
    Index("ix_sends_week_key", "week", "recipients_key"),
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
    )


def latest(engine: Engine, week: str, recipients: Iterable[str]) -> SendRecord | None:
    """The most recent send of this week's digest to this recipient list, if any."""
    query = (
        select(sends)
        .where(sends.c.week == week, sends.c.recipients_key == recipients_key(recipients))
        .order_by(sends.c.id.desc())
        .limit(1)
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return _record(row) if row else None


def history(engine: Engine, week: str | None = None) -> list[SendRecord]:
    query = select(sends).order_by(sends.c.id)
    if week:
        query = query.where(sends.c.week == week)
    with engine.connect() as conn:
        return [_record(r) for r in conn.execute(query)]


def record_intent(engine: Engine, week: str, recipients: Iterable[str], subject: str, message_id: str) -> int:
    """Write the intent (committed) before anything is sent; returns the record id."""
    recipients = list(recipients)
    stamp = now()
    with engine.begin() as conn:
        res = conn.execute(
            insert(sends).values(
                week=week,
                recipients_key=recipients_key(recipients),
                recipients=",".join(recipients),
                subject=subject,
                message_id=message_id,
                status=INTENT,
                attempts=0,
                detail="",
                created=stamp,
                updated=stamp,
            )
        )
        return int(res.inserted_primary_key[0])


def set_outcome(engine: Engine, record_id: int, status: str, attempts: int, detail: str = "") -> None:
    with engine.begin() as conn:
        conn.execute(
            update(sends)
            .where(sends.c.id == record_id)
            .values(status=status, attempts=attempts, detail=detail, updated=now())
        )
