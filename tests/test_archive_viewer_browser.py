"""The archive's offline viewer in Chromium, opened from the unpacked archive (file://) as a
person opens it: paging and search by keyboard, the note and links of a source bigger than the
viewer holds, hostile values shown as text (no dialog, no element made of them), no request
at all besides the page, no serious axe-core violation in either theme, no sideways scrolling
at 320 px, and the first page readable without JavaScript. Screenshots at 320 and 1280 px go
to SCREENSHOTS=folder (else the test's tmp_path): look at them."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from .test_cookie_browser import AXE, axe_serious
from .viewer_pages import HOSTILE, build, hostile_source, numbered, source

SHOTS = os.environ.get("SCREENSHOTS")


@pytest.fixture(scope="module")
def viewer(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("viewer")
    return build(folder, [numbered("profile", 1), numbered("big", 2_600), hostile_source(40),
                          source("empty", lambda: iter(()))], csv_files=True)


def open_viewer(browser: Any, viewer: Path, width: int = 1280, **options: Any) -> Any:
    context = browser.new_context(viewport={"width": width, "height": 900}, **options)
    page = context.new_page()
    page.seen = {"requests": [], "dialogs": [], "errors": []}
    page.on("request", lambda request: page.seen["requests"].append(request.url))
    page.on("dialog", lambda dialog: (page.seen["dialogs"].append(dialog.message),
                                      dialog.dismiss()))
    page.on("pageerror", lambda error: page.seen["errors"].append(str(error)))
    page.on("console", lambda message: message.type == "error"
            and page.seen["errors"].append(message.text))
    page.goto(viewer.as_uri())
    return page


def fits(page: Any) -> bool:
    return bool(page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"))


def rows(page: Any, section: str) -> list[str]:
    return list(page.locator(f"#{section} tbody tr td:first-child").all_inner_texts())


def tab_to(page: Any, selector: str, limit: int = 30) -> None:
    """Press Tab until ``selector`` has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"Tab never reached {selector}")


def test_paging_and_search_by_keyboard_with_no_request_and_no_error(
        browser: Any, viewer: Path) -> None:
    page = open_viewer(browser, viewer)
    assert rows(page, "big") == [str(n) for n in range(25)]
    status = page.locator("#status-big")
    page.locator("#h-big").click()  # reading the heading; from here on, the keyboard only
    tab_to(page, "#q-big")
    page.keyboard.type("record 00000")
    status.filter(has_text="100 of 2,000 records match “record 00000”.").wait_for()
    assert "Showing records 1 to 25 of 100." in status.inner_text()
    assert rows(page, "big") == [str(n) for n in range(25)]
    assert page.locator("#big tbody mark").first.inner_text() == "record 00000"
    tab_to(page, "#big .pager button[data-step='1']")
    page.keyboard.press("Enter")
    status.filter(has_text="Showing records 26 to 50 of 100.").wait_for()
    assert rows(page, "big") == [str(n) for n in range(25, 50)]
    page.keyboard.press("Space")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # past the last page: nothing moves, the focus stays
    status.filter(has_text="Showing records 76 to 100 of 100.").wait_for()
    assert page.locator("#big .pager .page").inner_text() == "Page 4 of 4"
    assert page.evaluate("document.activeElement.dataset.step") == "1"
    assert page.locator("#big .pager button[data-step='1']").get_attribute(
        "aria-disabled") == "true"
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Enter")
    status.filter(has_text="Showing records 51 to 75 of 100.").wait_for()
    tab_to(page, "#q-big")  # back to the search, forwards through the page is a long way
    page.keyboard.press("Control+A")
    page.keyboard.type("no such record")
    status.filter(has_text="No records match “no such record”.").wait_for()
    assert rows(page, "big") == []
    page.keyboard.press("Control+A")
    page.keyboard.press("Backspace")
    status.filter(has_text="Showing records 1 to 25 of 2,000.").wait_for()
    # a search that matches one record beyond the first page
    page.locator("#q-big").fill("record 0001999")
    status.filter(has_text="1 of 2,000 records matches").wait_for()
    assert rows(page, "big") == ["1999"]
    assert page.seen["requests"] == [viewer.as_uri()]  # the page itself, nothing else
    assert page.seen["errors"] == []  # the script ran under the page's own policy
    page.context.close()


def test_the_note_of_a_big_source_names_its_files(browser: Any, viewer: Path) -> None:
    page = open_viewer(browser, viewer, width=320)
    note = page.locator("#note-big")
    assert note.is_visible()
    assert note.inner_text() == ("This page shows the first 2,000 of your 2,600 records, and its "
                                 "search looks through those. All 2,600 are in the files above.")
    for name, href in (("All 2,600 records as a spreadsheet (CSV)", "data/big.csv"),
                       ("All 2,600 records as data for programs (JSON Lines)",
                        "data/big.jsonl")):
        link = page.locator("#big").get_by_role("link", name=name)
        assert link.is_visible() and link.get_attribute("href") == href
        assert (viewer.parent / href).is_file()
    page.context.close()


def test_hostile_values_are_shown_as_text_on_every_page(browser: Any, viewer: Path) -> None:
    page = open_viewer(browser, viewer)
    cells = page.locator("#hostile tbody tr td:nth-child(2)")
    seen = cells.all_inner_texts()
    page.locator("#hostile .pager button[data-step='1']").click()  # page 2 of 2
    page.locator("#status-hostile").filter(has_text="26 to 40").wait_for()
    seen += cells.all_inner_texts()
    assert set(HOSTILE) <= set(seen)
    page.locator("#q-hostile").fill("alert(")
    page.locator("#status-hostile").filter(has_text="records match").wait_for()
    texts = page.locator("#hostile tbody tr td:nth-child(4)").all_inner_texts()
    assert texts and all("</script><script>alert('nested')</script>" in t for t in texts)
    assert page.locator("#hostile img, #hostile svg, #hostile script:not([type])").count() == 0
    assert page.seen["dialogs"] == [] and page.seen["errors"] == []
    assert page.seen["requests"] == [viewer.as_uri()]
    page.context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_serious_axe_violation_and_no_sideways_scrolling(
        browser: Any, viewer: Path, scheme: str, tmp_path: Path) -> None:
    if not AXE.is_file():
        pytest.skip("run `make install` (npm ci in devtools/browser) to install axe-core")
    folder = Path(SHOTS) if SHOTS else tmp_path
    for width in (320, 390, 1280):
        # axe is injected as an inline script, which the page's own policy would refuse
        page = open_viewer(browser, viewer, width, bypass_csp=True, color_scheme=scheme)
        assert fits(page), f"the viewer scrolls sideways at {width} px"
        name = f"export-viewer-{scheme}-{width}"
        page.screenshot(path=str(folder / f"{name}-top.png"))
        page.locator("#hostile details.columns summary").click()
        page.locator("#verify details summary").click()
        page.locator("#q-big").fill("record 00001")
        assert fits(page), f"the viewer scrolls sideways at {width} px once opened"
        assert axe_serious(page, inside="#big") == [], (width, scheme)
        for part, where in (("big", "#big"), ("pages", "#big .pager"), ("hostile", "#hostile"),
                            ("verify", "#verify")):
            page.evaluate("s => document.querySelector(s).scrollIntoView({block: 'center'})"
                          if part == "pages" else "s => document.querySelector(s)"
                          ".scrollIntoView()", where)
            page.screenshot(path=str(folder / f"{name}-{part}.png"))
        page.context.close()


def test_without_javascript_the_first_page_is_a_plain_table(browser: Any, viewer: Path) -> None:
    page = open_viewer(browser, viewer, width=320, java_script_enabled=False)
    assert rows(page, "big") == [str(n) for n in range(25)]
    assert page.locator("#big .tools").is_hidden() and page.locator("#big .pager").is_hidden()
    note = page.locator("#big noscript p")  # (Playwright's text search skips <noscript>)
    assert note.is_visible() and "only the first 25 records" in note.inner_text()
    assert page.locator("#profile tbody tr").count() == 1
    assert page.get_by_text("We hold no records of this kind about you.").is_visible()
    assert fits(page)
    page.context.close()


def test_in_german_the_viewer_and_its_script_speak_german_and_fit_a_phone(
        browser: Any, tmp_path: Path) -> None:
    """An archive made for a German customer: the page, the script's words (status, pages,
    search results) and the numbers in German; no sideways scrolling at 320 px with the longer
    words; the records as they are, marked not to be translated."""
    german = build(tmp_path, [numbered("big", 2_600), hostile_source(40)], lang="de")
    folder = Path(SHOTS) if SHOTS else tmp_path
    for width in (320, 1280):
        page = open_viewer(browser, german, width)
        assert page.evaluate("document.documentElement.lang") == "de"
        assert fits(page), f"the German viewer scrolls sideways at {width} px"
        status = page.locator("#status-big")
        assert status.inner_text() == "Datensätze 1 bis 25 von 2.000."
        assert page.locator("#big .page").inner_text() == "Seite 1 von 80"
        page.locator("#q-big").fill("record 00001")
        status.filter(has_text="100 von 2.000 Datensätzen passen zu „record 00001“.").wait_for()
        assert page.locator("#big tbody td span[translate=no]").count() > 0
        page.screenshot(path=str(folder / f"export-viewer-de-{width}-top.png"))
        assert page.seen["errors"] == [] and page.seen["dialogs"] == []
        page.context.close()
