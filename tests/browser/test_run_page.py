"""A run's page: summary, figures drawn, exports; the orbital run's time slider and globe."""

from __future__ import annotations

import re

PLOT_DATA = ("id => { const el = document.getElementById(id);"
             " const gd = el.data ? el : el.querySelector('.js-plotly-plot'); return gd ? gd.data : null; }")


def _open(page, name: str) -> None:
    page.goto(f"/runs/{name}")
    page.wait_for_function("document.body.dataset.ready === '1'")


def test_run_page_is_drawn_with_summary_and_figures(page, runs, shot):
    _open(page, runs["ground"])
    summary = dict(page.eval_on_selector_all(
        "#summary tr", "rows => rows.map(r => [r.querySelector('th').textContent.trim(),"
        " r.querySelector('td').textContent.trim()])"))
    assert summary["scenario"] == "ground-lab" and summary["policy"] == "fifo"
    figures = page.eval_on_selector_all("div.figure[id^='fig-']", "els => els.map(e => e.id)")
    assert len(figures) >= 2
    for fig in figures:
        data = page.evaluate(PLOT_DATA, fig)
        assert data and len(data) >= 1, f"{fig} has no traces"
    shot("run-ground")


def test_export_png_svg_and_csv(page, runs):
    _open(page, runs["ground"])
    fig = page.locator("button.export-png[data-fig]").first.get_attribute("data-fig")
    with page.expect_download() as png:
        page.locator(f'button.export-png[data-fig="{fig}"]').click()
    assert png.value.suggested_filename.endswith(".png")
    assert open(png.value.path(), "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    with page.expect_download() as svg:
        page.locator(f'button.export-svg[data-fig="{fig}"]').click()
    assert svg.value.suggested_filename.endswith(".svg")
    assert b"<svg" in open(svg.value.path(), "rb").read(4096)
    link = page.locator("a.export-csv").first
    response = page.request.get(link.get_attribute("href"))
    assert response.status == 200 and len(response.text().splitlines()) >= 2  # a header and rows


def test_time_slider_moves_the_orbit_map(page, runs, shot):
    _open(page, runs["orbital"])
    label = page.locator("#time-label")
    page.wait_for_function("document.getElementById('time-label').textContent.trim() !== ''")
    before_label = label.text_content().strip()
    assert re.search(r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d", before_label) and ("Z" in before_label or "UTC" in before_label)
    assert before_label.startswith("2026-05-01") and "00:00" in before_label  # the run starts at midnight UTC

    def positions():
        data = page.evaluate(PLOT_DATA, "fig-orbit-map")
        named = {t.get("name"): t for t in data}
        assert {"sunlit", "in shadow"} <= set(named), f"traces: {list(named)}"
        return [(t.get("lon", t.get("x")), t.get("lat", t.get("y"))) for t in (named["sunlit"], named["in shadow"])]

    before = positions()
    before_json = page.evaluate(f"() => JSON.stringify(({PLOT_DATA})('fig-orbit-map').map(t => [t.lon, t.lat]))")
    n_sats = sum(len(lon or []) for lon, _ in before)
    assert n_sats == 8  # 2 planes x 4 satellites, each sunlit or in shadow
    shot("run-orbital-start")
    slider = page.locator("#time-slider")
    slider.focus()
    page.keyboard.press("End")  # to the end of the run: input and change events, as a user's drag
    page.wait_for_function("old => document.getElementById('time-label').textContent.trim() !== old",
                           arg=before_label)
    after_label = label.text_content().strip()
    assert after_label.startswith("2026-05-01") and "04:00" in after_label  # 4 h later
    page.wait_for_function(f"old => JSON.stringify(({PLOT_DATA})('fig-orbit-map').map(t => [t.lon, t.lat])) !== old",
                           arg=before_json)
    assert positions() != before
    assert page.locator("#fig-globe, #globe-unavailable").count() >= 1
    shot("run-orbital-end")

