"""The digest in a real browser (Debian's headless Chromium): phone and full email width."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from digest_samples import CHROMIUM, CHROMIUM_ARGS, add_rows, article_row, insert_week, monday

from newsdigest import publish

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason=f"{CHROMIUM} is absent (apt-get install chromium fonts-noto-cjk)"
    ),
]


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def week(cfg, engine):
    start = monday(date(2025, 6, 2))
    insert_week(engine, start, stories=49)
    # a title with no break opportunity must wrap, not push the page wider than a phone
    add_rows(
        engine,
        [
            article_row(
                99,
                start + timedelta(hours=5),
                title="Ultra" + "LongUnbreakable" * 12,
                url="https://news.example.cn/" + "x" * 300,
            )
        ],
    )
    return publish.build(cfg, engine, "2025-W23")


@pytest.mark.parametrize("width", [375, 640])
def test_no_horizontal_scrolling_and_every_title_visible(browser, week, width):
    page = browser.new_page(viewport={"width": width, "height": 800})
    page.goto(week.html_path.resolve().as_uri())
    scroll, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    assert scroll <= client == width
    # one round trip: each story title's box in page coordinates, and whether it is rendered visible
    boxes = page.evaluate("""[...document.querySelectorAll("a[href^='https://news.example.cn/']")].map(a => {
        const r = a.getBoundingClientRect();
        return {text: a.textContent, x: r.left, right: r.right, height: r.height,
                visible: a.checkVisibility({opacityProperty: true, visibilityProperty: true})};
    })""")
    assert len(boxes) == week.stories == 50
    for box in boxes:
        assert box["visible"] and box["height"] > 0 and box["text"].strip(), box
        assert box["x"] >= 0 and box["right"] <= width, box
    page.close()


def test_archive_index_links_open_the_digest(browser, week):
    page = browser.new_page(viewport={"width": 375, "height": 800})
    page.goto(week.index_path.resolve().as_uri())
    page.get_by_text(week.subject).click()
    page.wait_for_load_state()
    assert page.url.endswith("2025-W23.html") and page.title() == week.subject
    page.close()
