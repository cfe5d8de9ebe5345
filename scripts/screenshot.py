"""`make screenshot`: render digests in headless Chromium to PNGs for a person to look at.

Two digests, each at 375 px (phone) and 640 px (the email's full width), full page:
the seeds (ingested into a scratch state) and a synthetic week of 50 stories.
PNGs go to state/screenshots/ (or the folder given as the first argument).
"""

from __future__ import annotations

import sys
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from digest_samples import CHROMIUM, CHROMIUM_ARGS, insert_week, monday  # noqa: E402

from newsdigest import config, pipeline, publish, sources, store  # noqa: E402

WIDTHS = (375, 640)


def seeds_digest(state: Path) -> Path:
    cfg = config.load(ROOT / "newsdigest.toml", state, env={})
    engine = store.connect(cfg.store_url)
    docs, rejected = sources.collect(cfg, engine)
    pipeline.ingest(engine, pipeline.Settings.from_config(cfg), docs, rejected)
    return publish.build(cfg, engine, None).html_path


def synthetic_digest(state: Path) -> Path:
    cfg = config.load(ROOT / "newsdigest.toml", state, env={})
    engine = store.connect(cfg.store_url)
    insert_week(engine, monday(date(2025, 6, 2)))
    return publish.build(cfg, engine, "2025-W23").html_path


def shoot(pages: dict[str, Path], out: Path) -> list[Path]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for name, html in pages.items():
            for width in WIDTHS:
                page = browser.new_page(viewport={"width": width, "height": 800})
                page.goto(html.resolve().as_uri())
                target = out / f"{name}-{width}.png"
                page.screenshot(path=str(target), full_page=True)
                written.append(target)
                page.close()
        browser.close()
    return written


def main() -> int:
    if not Path(CHROMIUM).exists():
        print(f"{CHROMIUM} not found: apt-get install chromium fonts-noto-cjk", file=sys.stderr)
        return 1
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "state" / "screenshots"
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="newsdigest-shots-") as tmp:
        pages = {"seeds": seeds_digest(Path(tmp) / "seeds"), "week50": synthetic_digest(Path(tmp) / "week50")}
        for name, html in pages.items():  # Gmail clips a message whose HTML passes ~102 KB
            print(f"{name}: {html.name} {html.stat().st_size:,} bytes of HTML")
        for path in shoot(pages, out):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
