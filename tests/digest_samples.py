"""A synthetic week of stored articles for digest and delivery tests and `make screenshot`.

Rows go into the real store (documents, articles, rejects) so that ``publish.build``
runs the same reads it runs in production. Deterministic: no randomness, no clock.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from sqlalchemy import Engine, insert

from newsdigest.store.schema import articles, documents, rejects

OUTLETS = (
    "新华网",
    "人民网",
    "浙江日报",
    "中国青年报",
    "光明日报",
    "南方日报",
    "大众日报",
    "四川日报",
    "湖北日报",
    "中国教育报",
)
PLACES = (
    ("浙江", "杭州"),
    ("浙江", "宁波"),
    ("江苏", "苏州"),
    ("广东", "深圳"),
    ("山东", "青岛"),
    ("四川", "成都"),
    ("湖北", "武汉"),
    ("甘肃", "金昌"),
    ("辽宁", "大连"),
    ("福建", "厦门"),
)
TOPICS = (
    ("产教融合", "市域产教联合体建设推进会召开，校企合作共建产业学院"),
    ("技能人才", "高技能人才培养提速，技能大赛选拔青年工匠"),
    ("职业教育", "职业院校专业设置对接产业，高职扩招服务地方"),
    ("区域经济", "产业集群提质增效，营商环境持续优化"),
)
SUMMARY = (
    "{city}市近日召开{topic}工作推进会，{n}家企业与{m}所院校签约共建实训基地，计划三年内培养急需紧缺人才{k}人。"
    "会议提出，要以产业需求为导向调整专业设置，推动课程内容与职业标准对接。"
    "当地人社部门表示，将对参与校企合作的企业给予补贴，并建立人才评价和激励机制。"
)
# On the watch profile whatever the title says (产教融合 and 校企合作 reach the threshold).
ON_PROFILE_BODY = "正文：深化产教融合，推进校企合作。\n\n第二段。"


def _doc(conn, origin: str, source: str, seen: datetime, status: str = "ok", reason: str | None = None) -> int:
    res = conn.execute(
        insert(documents).values(
            origin=origin,
            sha256=origin.encode().hex()[:64].ljust(64, "0"),
            source=source,
            first_seen=seen,
            status=status,
            reason=reason,
        )
    )
    return int(res.inserted_primary_key[0])


def article_row(
    i: int,
    seen: datetime,
    story: str | None = None,
    outlet: str | None = None,
    url: str | None = "auto",
    title: str | None = None,
    keywords: tuple[str, ...] | None = None,
    body: str = ON_PROFILE_BODY,
) -> dict:
    province, city = PLACES[i % len(PLACES)]
    topic, phrase = TOPICS[i % len(TOPICS)]
    aid = f"a{i:015d}"
    return {
        "id": aid,
        "origin": f"https://news.example.cn/{i}.html",
        "part": 0,
        "title": title or f"{city}：{phrase}（第{i + 1}期）",
        "body": body,
        "published": (seen - timedelta(days=1 + i % 3)).date(),
        "first_seen": seen,
        "source": outlet or OUTLETS[i % len(OUTLETS)],
        "authors": "[]",
        "editor": None,
        "url": f"https://news.example.cn/{i}.html" if url == "auto" else url,
        "regions": json.dumps([province, city], ensure_ascii=False),
        "topics": json.dumps([topic, TOPICS[(i + 1) % len(TOPICS)][0]], ensure_ascii=False),
        "keywords": json.dumps(list(keywords or (topic, city, "校企合作", "人才", f"词{i % 7}")), ensure_ascii=False),
        "summary": SUMMARY.format(city=city, topic=topic, n=3 + i % 9, m=2 + i % 4, k=500 + 10 * i),
        "removed": json.dumps([{"kind": "spam", "text": "x"}] * (i % 3) + [{"kind": "chrome", "text": "y"}] * (i % 2)),
        "content_hash": f"{i:064d}",
        "story": story or aid,
    }


def insert_week(
    engine: Engine, monday_utc: datetime, stories: int = 50, reprints: int = 8, source: str = "feeds"
) -> list[dict]:
    """``stories`` stories (the first ``reprints`` reprinted by a second outlet), two rejects,
    and a few articles in the previous week for the keyword comparison. Returns the week's rows."""
    seen = monday_utc + timedelta(hours=2)
    rows = [article_row(i, seen) for i in range(stories)]
    for i in range(reprints):  # same day, seen an hour later: the first article stays the origin
        reprint = article_row(
            1000 + i, seen + timedelta(hours=1), story=rows[i]["id"], outlet=OUTLETS[(i + 3) % len(OUTLETS)]
        )
        rows.append({**reprint, "published": rows[i]["published"]})
    before = [article_row(2000 + i, seen - timedelta(days=7)) for i in range(6)]
    with engine.begin() as conn:
        for row in rows + before:
            row["document_id"] = _doc(conn, row["origin"], source, row["first_seen"])
        conn.execute(insert(articles), rows + before)
        bad = "https://news.example.cn/broken.html"
        _doc(conn, bad, source, seen, "rejected", "cannot decode: not UTF-8/GB18030 (quarantined)")
        conn.execute(
            insert(rejects),
            [
                {"origin": bad, "source": None, "reason": "cannot decode: not UTF-8/GB18030 (quarantined)", "at": seen},
                {
                    "origin": "https://down.example.cn/rss",
                    "source": None,
                    "reason": "fetch error: HTTP 503",
                    "at": seen,
                },
            ],
        )
    return rows


def add_rows(engine: Engine, rows: list[dict], source: str = "feeds") -> None:
    """Insert article rows (from ``article_row``) with a document each."""
    with engine.begin() as conn:
        for row in rows:
            row["document_id"] = _doc(conn, row["origin"], source, row["first_seen"])
        conn.execute(insert(articles), rows)


def monday(d: date) -> datetime:
    """Monday 00:00 Asia/Shanghai of d's ISO week, as naive UTC (16:00 the Sunday before)."""
    start = d - timedelta(days=d.weekday())
    return datetime(start.year, start.month, start.day) - timedelta(hours=8)


CHROMIUM = "/usr/bin/chromium"
# Debian's Chromium only, never a downloaded browser; no network chatter of its own.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
