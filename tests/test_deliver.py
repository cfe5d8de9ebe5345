"""Delivery against a real SMTP server (aiosmtpd on 127.0.0.1): the message, and exactly-once sending."""

from __future__ import annotations

import email
import os
import socket
from datetime import date
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from conftest import ROOT
from digest_samples import insert_week, monday
from sqlalchemy.exc import IntegrityError

from newsdigest import config, deliver, publish, store
from newsdigest.store import sends

GMAIL_CLIP = 102 * 1024


class Inbox:
    """An SMTP handler that keeps what it accepts; ``plan`` scripts the answers to DATA."""

    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list = []
        self.plan: list[str] = []  # "ok", a reply like "451 ...", or "drop" (accept, then hang up)

    async def handle_DATA(self, server, session, envelope):
        action = self.plan.pop(0) if self.plan else "ok"
        if action[:1] in "45":
            return action
        self.envelopes.append(envelope)
        self.messages.append(email.message_from_bytes(envelope.original_content, policy=policy.default))
        if action == "drop":  # the server has the message, the client never hears so
            server.transport.close()
        return "250 OK queued"


def free_port() -> int:
    # aiosmtpd's Controller(port=0) fails its own self-check: bind a free port first.
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def inbox():
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    handler.port = controller.port
    yield handler
    controller.stop()


def mail_config(state: Path, port: int, to: str = "a@example.com, b@example.com") -> config.Config:
    env = {
        "NEWSDIGEST_SMTP_HOST": "127.0.0.1",
        "NEWSDIGEST_SMTP_PORT": str(port),
        "NEWSDIGEST_MAIL_TO": to,
        "NEWSDIGEST_MAIL_FROM": "周报 <digest@example.org>",
        "NEWSDIGEST_SMTP_BACKOFF": "0",
    }
    return config.load(ROOT / "newsdigest.toml", state, env=env)


@pytest.fixture
def week(state, inbox):
    cfg = mail_config(state, inbox.port)
    engine = store.connect(cfg.store_url)
    insert_week(engine, monday(date(2025, 6, 2)))
    return cfg, engine, publish.build(cfg, engine, "2025-W23")


def test_message_has_both_parts_inline_styles_and_safe_links(week, inbox):
    cfg, engine, result = week
    outcome = publish.deliver(cfg, engine, result, dry_run=False, resend=False)
    assert outcome.status == "sent", str(outcome)
    assert len(inbox.messages) == 1
    msg = inbox.messages[0]
    assert sorted(inbox.envelopes[0].rcpt_tos) == ["a@example.com", "b@example.com"]
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["Subject"] == result.subject == "产教融合周报 2025-W23 · 50 条新闻"
    assert msg["Message-ID"] == outcome.message_id and msg["Date"]
    assert "=?utf-8?" in inbox.envelopes[0].original_content.decode("ascii").split("\r\n\r\n")[0].lower()
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert "杭州：市域产教联合体建设推进会召开" in text and "https://news.example.cn/0.html" in text
    assert "<style" not in html and 'style="' in html and "<script" not in html.lower()
    assert 'href="https://news.example.cn/0.html"' in html
    assert len(html.encode("utf-8")) < GMAIL_CLIP
    record = sends.latest(engine, "2025-W23", ["b@example.com", "a@example.com"])
    assert record.status == sends.SENT and record.message_id == msg["Message-ID"]


def test_rerun_does_not_send_again_unless_resend(week, inbox):
    cfg, engine, result = week
    first = publish.deliver(cfg, engine, result, dry_run=False, resend=False)
    again = publish.deliver(cfg, engine, publish.build(cfg, engine, "2025-W23"), dry_run=False, resend=False)
    assert again.status == "skipped" and "already went" in str(again)
    assert len(inbox.messages) == 1
    forced = publish.deliver(cfg, engine, result, dry_run=False, resend=True)
    assert forced.status == "sent" and forced.message_id != first.message_id
    assert len(inbox.messages) == 2


def test_another_recipient_list_gets_its_own_send(week, inbox, state):
    cfg, engine, result = week
    publish.deliver(cfg, engine, result, dry_run=False, resend=False)
    other = mail_config(state, inbox.port, to="c@example.com")
    assert publish.deliver(other, engine, result, dry_run=False, resend=False).status == "sent"
    assert len(inbox.messages) == 2


def test_temporary_refusal_is_retried_with_backoff(week, inbox):
    cfg, engine, result = week
    inbox.plan = ["451 4.3.0 try again later", "451 4.3.0 still busy"]
    outcome = publish.deliver(cfg, engine, result, dry_run=False, resend=False)
    assert outcome.status == "sent" and outcome.attempts == 3
    assert len(inbox.messages) == 1


def test_backoff_doubles_between_attempts(week, inbox):
    cfg, _, result = week
    settings = publish.mail_settings(cfg)
    settings = deliver.MailSettings(**{**settings.__dict__, "backoff": 1.5, "retries": 3})
    waits: list[float] = []
    inbox.plan = ["451 busy", "451 busy", "451 busy"]
    msg = deliver.build_message(result, settings.mail_from, settings.mail_to)
    status, attempts, detail = deliver.send_with_retries(settings, msg, sleep=waits.append)
    assert (status, attempts, waits) == (sends.FAILED, 3, [1.5, 3.0]) and "451" in detail


def test_permanent_refusal_fails_once_is_recorded_and_a_rerun_tries_again(week, inbox):
    cfg, engine, result = week
    inbox.plan = ["550 5.7.1 rejected by policy"]
    failed = publish.deliver(cfg, engine, result, dry_run=False, resend=False)
    assert failed.status == "failed" and failed.attempts == 1 and "550" in str(failed)
    assert not failed.ok and inbox.messages == []
    assert sends.latest(engine, "2025-W23", cfg.get("smtp", "mail_to").split(",")).status == sends.FAILED
    assert publish.deliver(cfg, engine, result, dry_run=False, resend=False).status == "sent"


def test_unreachable_server_is_a_recorded_failure_not_a_traceback(state):
    cfg = mail_config(state, free_port())  # nothing listens there
    engine = store.connect(cfg.store_url)
    result = publish.build(cfg, engine, "2025-W23")
    outcome = publish.deliver(cfg, engine, result, dry_run=False, resend=False)
    assert outcome.status == "failed" and outcome.attempts == 3 and "cannot connect" in str(outcome)


def test_break_after_the_server_accepted_is_not_sent_twice(week, inbox):
    cfg, engine, result = week
    inbox.plan = ["drop"]
    first = publish.deliver(cfg, engine, result, dry_run=False, resend=False)
    assert first.status == "uncertain" and first.attempts == 1 and len(inbox.messages) == 1
    rerun = publish.deliver(cfg, engine, result, dry_run=False, resend=False)
    assert rerun.status == "uncertain" and first.message_id in str(rerun) and "--resend" in str(rerun)
    assert len(inbox.messages) == 1
    forced = publish.deliver(cfg, engine, result, dry_run=False, resend=True)
    assert forced.status == "sent" and inbox.messages[1]["Message-ID"] == first.message_id


def test_intent_without_outcome_blocks_a_blind_resend(week, inbox):
    cfg, engine, result = week
    # what a crash after the end of the message data, before the reply, leaves behind
    record = sends.record_intent(engine, result.week, ["a@example.com", "b@example.com"], result.subject, "<crashed@x>")
    sends.set_stage(engine, record, sends.END)
    outcome = publish.deliver(cfg, engine, result, dry_run=False, resend=False)
    assert outcome.status == "uncertain" and "<crashed@x>" in str(outcome) and "interrupted" in str(outcome)
    assert inbox.messages == []


@pytest.mark.parametrize("stage", [sends.CLAIMED, sends.CONNECT, sends.DATA])
def test_send_interrupted_before_the_end_of_data_is_sent_by_the_rerun_with_its_message_id(week, inbox, stage):
    cfg, engine, result = week
    record = sends.record_intent(engine, result.week, ["a@example.com", "b@example.com"], result.subject, "<cut@x>")
    sends.set_stage(engine, record, stage)  # a process that died there: the server cannot hold the message
    outcome = publish.deliver(cfg, engine, result, dry_run=False, resend=False)
    assert outcome.status == "sent" and outcome.message_id == "<cut@x>"
    assert [m["Message-ID"] for m in inbox.messages] == ["<cut@x>"]


def test_a_send_in_progress_in_another_process_is_left_alone(week, inbox):
    cfg, engine, result = week
    record = sends.record_intent(engine, result.week, ["a@example.com", "b@example.com"], result.subject, "<busy@x>")
    with engine.begin() as conn:  # owned by a live process: the pytest runner's parent
        conn.execute(sends.sends.update().values(owner=f"{socket.gethostname()}:{os.getppid()}"))
    sends.set_stage(engine, record, sends.DATA)
    for resend in (False, True):
        outcome = publish.deliver(cfg, engine, result, dry_run=False, resend=resend)
        assert outcome.status == "skipped" and "sending it right now" in str(outcome)
    assert inbox.messages == []


def test_two_claims_of_one_state_cannot_both_win(week):
    _, engine, result = week
    to = ["a@example.com"]
    first = sends.claim(engine, result.week, to, result.subject, "<1@x>", resend=False, lease=60)
    sends.set_outcome(engine, first.id, sends.SENT, 1)
    # a second process that read the state before the first claimed it tries the same slot
    with pytest.raises(IntegrityError), engine.begin() as conn:
        sends._insert(
            conn,
            result.week,
            to,
            sends.recipients_key(to),
            result.subject,
            "<2@x>",
            f"{result.week}|{sends.recipients_key(to)}|0",
        )
    again = sends.claim(engine, result.week, to, result.subject, "<3@x>", resend=False, lease=60)
    assert again.id is None and again.blocked_by.message_id == "<1@x>"


def fault_config(state: Path, port: int, timeout: float = 30) -> config.Config:
    cfg = mail_config(state, port)
    cfg.sections["smtp"]["timeout"] = timeout
    return cfg


def test_stalled_reply_to_the_data_ends_at_the_smtp_budget_as_uncertain(state):
    from faultservers import FaultSMTP

    with FaultSMTP(["trickle"], interval=0.05) as server:
        cfg = fault_config(state, server.port, timeout=1.5)
        engine = store.connect(cfg.store_url)
        outcome = publish.deliver(cfg, engine, publish.build(cfg, engine, "2025-W23"), dry_run=False, resend=False)
    assert outcome.status == "uncertain" and "time budget of 1.5 s" in str(outcome)
    assert len(server.messages) == 1 and server.connections == 1


def test_server_stalling_before_the_data_ends_at_the_budget_as_failed_and_is_sent_next_run(state):
    from faultservers import FaultSMTP

    with FaultSMTP(["stall_rcpt"]) as server:
        cfg = fault_config(state, server.port, timeout=1.0)
        engine = store.connect(cfg.store_url)
        result = publish.build(cfg, engine, "2025-W23")
        outcome = publish.deliver(cfg, engine, result, dry_run=False, resend=False)
        assert outcome.status == "failed" and "time budget of 1 s" in str(outcome)
        assert publish.deliver(cfg, engine, result, dry_run=False, resend=False).status == "sent"
    assert len(server.messages) == 1


def test_connection_dropped_mid_data_is_retried_and_delivered_once(state):
    from faultservers import FaultSMTP

    with FaultSMTP(["drop_mid"]) as server:
        cfg = fault_config(state, server.port)
        engine = store.connect(cfg.store_url)
        outcome = publish.deliver(cfg, engine, publish.build(cfg, engine, "2025-W23"), dry_run=False, resend=False)
    assert outcome.status == "sent" and outcome.attempts == 2
    assert len(server.messages) == 1


@pytest.mark.parametrize(("reply", "status", "attempts"), [("421 closing", "sent", 2), ("550 no", "failed", 1)])
def test_421_is_retried_and_550_is_final(state, reply, status, attempts):
    from faultservers import FaultSMTP

    with FaultSMTP([reply]) as server:
        cfg = fault_config(state, server.port)
        engine = store.connect(cfg.store_url)
        outcome = publish.deliver(cfg, engine, publish.build(cfg, engine, "2025-W23"), dry_run=False, resend=False)
    assert (outcome.status, outcome.attempts) == (status, attempts)
    assert len(server.messages) == (1 if status == "sent" else 0)


def test_dry_run_writes_an_eml_and_records_nothing(week, inbox, state):
    cfg, engine, result = week
    outcome = publish.deliver(cfg, engine, result, dry_run=True, resend=False)
    assert outcome.status == "written" and outcome.path == state / "outbox" / "2025-W23.eml"
    parsed = email.message_from_bytes(outcome.path.read_bytes(), policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative" and parsed["Subject"] == result.subject
    assert inbox.messages == [] and sends.history(engine) == []


def test_no_mail_settings_writes_the_outbox(cfg, engine, state):
    result = publish.build(cfg, engine, "2025-W23")
    outcome = publish.deliver(cfg, engine, result, dry_run=False, resend=False)
    assert outcome.status == "written" and "no [smtp] host" in str(outcome)
    assert (state / "outbox" / "2025-W23.eml").exists()
