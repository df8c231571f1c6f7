"""Take the README's desk screenshots: log in to a running desk with Chromium and save PNGs under docs/img/.

    otklik demo && otklik users add shot --role moderator && otklik desk &
    python scripts/desk_screenshot.py --user shot --password '…' [--url http://127.0.0.1:8000]
"""

from __future__ import annotations

import argparse
from pathlib import Path

from playwright.sync_api import sync_playwright

OUT = Path(__file__).resolve().parent.parent / "docs" / "img"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", default="http://127.0.0.1:8000")
    ap.add_argument("--user", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=args.chromium, headless=True,
                                     args=["--headless", "--no-sandbox", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1360, "height": 820}, locale="ru-RU")
        page.goto(f"{args.url}/login/")
        page.fill("input[name=username]", args.user)
        page.fill("input[name=password]", args.password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{args.url}/desk/")  # a moderator lands on the queue
        page.wait_for_function("() => /\\d/.test(document.getElementById('count-new').textContent)")
        page.screenshot(path=str(OUT / "desk-queue.png"))
        first = page.locator("tr.ticket-row a").first
        first.click()
        page.screenshot(path=str(OUT / "desk-ticket.png"), full_page=True)
        page.goto(f"{args.url}/desk/metrics/")  # the default 7 days: the demo's latest week
        page.screenshot(path=str(OUT / "desk-metrics.png"))
        browser.close()
    print(f"Saved screenshots to {OUT}")


if __name__ == "__main__":
    main()
