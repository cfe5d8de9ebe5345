"""The watch profile on the command line: articles --relevant, relevance in JSON, entities."""

import json
from pathlib import Path

from test_cli import newsdigest


def test_relevance_shown_filtered_and_who_is_in_the_news(state: Path, tmp_path: Path) -> None:
    off = tmp_path / "weather.txt"
    off.write_text(
        "本周天气：降雨与降温\n\n" + "市气象台预计本周后期有明显降雨，气温下降，市民出行注意安全。" * 20, "utf-8"
    )
    assert newsdigest(state, "ingest", "seeds", str(off)).returncode == 0
    every = json.loads(newsdigest(state, "articles", "--format", "json").stdout)["articles"]
    assert len(every) == 9
    weather = next(a for a in every if a["origin"] == str(off))
    assert weather["relevant"] is False and weather["relevance"] == 0 and weather["entities"] is None
    school = next(a for a in every if a["title"].startswith("金华市技师学院"))
    assert school["relevant"] and school["relevance"] >= 4
    assert any(m["term"] == "技师学院" and m["where"] == "title+body" for m in school["matched"])
    kept = json.loads(newsdigest(state, "articles", "--relevant", "--format", "json").stdout)["articles"]
    assert len(kept) == 8 and str(off) not in {a["origin"] for a in kept}
    found = json.loads(newsdigest(state, "entities", "--format", "json").stdout)["entities"]
    names = {e["name"]: e for e in found}
    assert {"金华市技师学院", "杭州第一技师学院", "金川集团"} <= set(names)
    assert names["金川集团"]["kind"] == "org" and names["金川集团"]["titles"] == ["职教赋能 人才强市"]
    table = newsdigest(state, "entities")
    assert table.returncode == 0 and "金华市技师学院" in table.stdout
