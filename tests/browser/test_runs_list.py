"""The runs list: filter as you type, sort by a header, pick two runs and compare them."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse


def _visible_runs(page) -> list[str]:
    return page.eval_on_selector_all(
        "#runs-table tr.run-row", "rows => rows.filter(r => getComputedStyle(r).display !== 'none')"
        ".map(r => r.dataset.run)")


def test_runs_list_shows_both_runs_with_links(page, runs, shot):
    page.goto("/")
    for name in (runs["ground"], runs["orbital"]):
        link = page.locator(f'#runs-table tr.run-row[data-run="{name}"] a.run-link')
        assert link.get_attribute("href") == f"/runs/{name}"
    assert page.locator("a#new-run-link").get_attribute("href") == "/new"
    shot("runs-list")


def test_filter_hides_rows_that_do_not_match_as_you_type(page, runs, shot):
    page.goto("/")
    assert {runs["ground"], runs["orbital"]} <= set(_visible_runs(page))
    page.locator("#runs-filter").press_sequentially("orbit-l", delay=20)
    page.wait_for_function("name => getComputedStyle(document.querySelector("
                           "`tr.run-row[data-run=\"${name}\"]`)).display === 'none'", arg=runs["ground"])
    visible = _visible_runs(page)
    assert runs["orbital"] in visible and runs["ground"] not in visible
    hidden = page.eval_on_selector(f'tr.run-row[data-run="{runs["ground"]}"]', "r => r.style.display")
    assert hidden == "none"
    shot("runs-list-filtered")
    page.locator("#runs-filter").fill("")
    page.locator("#runs-filter").press("End")  # a keystroke: the filter listens to typing
    page.wait_for_function("() => [...document.querySelectorAll('tr.run-row')]"
                           ".every(r => getComputedStyle(r).display !== 'none')")


def test_header_click_sorts_and_a_second_click_reverses(page, runs, shot):
    page.goto("/")
    header = page.locator('#runs-table th[data-sort="name"]')
    header.click()
    first = page.eval_on_selector_all("#runs-table tr.run-row", "rows => rows.map(r => r.dataset.run)")
    header.click()
    second = page.eval_on_selector_all("#runs-table tr.run-row", "rows => rows.map(r => r.dataset.run)")
    assert len(first) >= 2 and second == first[::-1]
    assert first in (sorted(first), sorted(first, reverse=True))  # by name, one way then the other
    # a numeric column sorts as numbers: the two runs completed 13 and 18 jobs
    page.locator('#runs-table th[data-sort="jobs_completed"]').click()
    values = page.eval_on_selector_all(
        "#runs-table tr.run-row", "rows => rows.map(r => parseFloat(r.querySelector("
        "'td:nth-child(' + ([...r.closest('table').querySelectorAll('thead th')]"
        ".findIndex(th => th.dataset.sort === 'jobs_completed') + 1) + ')').dataset.value))")
    assert len(set(values)) >= 2 and (values == sorted(values) or values == sorted(values, reverse=True))
    shot("runs-list-sorted")


def test_pick_two_runs_and_compare(page, runs, shot):
    page.goto("/")
    for name in (runs["ground"], runs["orbital"]):
        page.locator(f'input.compare-pick[value="{name}"]').check()
    page.locator("#compare-button").click()
    page.wait_for_url("**/compare?runs=*")
    picked = parse_qs(urlparse(page.url).query)["runs"][0].split(",")
    assert sorted(picked) == sorted([runs["ground"], runs["orbital"]])
    page.wait_for_selector("#compare-table")
    shot("runs-list-to-compare")
