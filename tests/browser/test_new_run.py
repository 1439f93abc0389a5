"""The new-run page: an uploaded scenario's error shown with its line and field; a small
valid scenario run to `done` and its result opened."""

from __future__ import annotations

import re

BAD = b"""name: bad-upload
simulation: {duration_h: 2, tick_s: 600}
sites:
  - name: lab
    location: {lat_deg: 0, lon_deg: 0}
    power_cap_mw: 1
    pue: 7
    pools:
      - {name: lab-h100, gpu: H100, count: 8}
workload:
  reference_gpu: H100
  generator: {arrival_rate_per_h: 2, gpus_per_job: {min: 1, max: 4}, duration_h: {median_h: 0.5, max_h: 1}}
"""
BAD_LINE = 7  # pue: 7 (PUE is at most 3)

GOOD = """name: browser-new
simulation: {duration_h: 3, tick_s: 600, seed: 5}
sites:
  - name: lab
    location: {lat_deg: 0, lon_deg: 0}
    power_cap_mw: 1
    pue: 1.3
    pools:
      - {name: lab-h100, gpu: H100, count: 8}
workload:
  reference_gpu: H100
  generator: {arrival_rate_per_h: 4, gpus_per_job: {min: 1, max: 4}, duration_h: {median_h: 0.5, max_h: 1}}
"""


def test_page_offers_the_packaged_examples(page, shot):
    page.goto("/new")
    options = page.eval_on_selector_all("select#scenario-pick option", "os => os.map(o => o.textContent)")
    assert any("quickstart" in o for o in options), options
    assert page.locator("progress#progress-bar").count() == 1 and page.locator("button#cancel-button").count() == 1
    shot("new-run")


def test_uploaded_scenario_error_shows_its_line_and_field(page, shot):
    page.expected_http.add("/api/validate")  # bad input: a 4xx answer, by design
    page.goto("/new")
    page.locator("input#scenario-file").set_input_files(
        files=[{"name": "bad.yaml", "mimeType": "application/x-yaml", "buffer": BAD}])
    page.locator("button#validate-button").click()
    error = page.locator("ul#errors li.error").first
    error.wait_for()
    assert error.get_attribute("data-line") == str(BAD_LINE)
    assert error.get_attribute("data-field") == "sites[0].pue"
    assert re.search(r"\b3\b", error.text_content())  # the bound it breaks
    shot("new-run-error")


def test_small_run_reaches_done_and_opens_its_result(page, runs, shot):
    page.goto("/new")
    page.locator("textarea#scenario-text").fill(GOOD)
    page.locator("button#start-button").click()
    page.wait_for_function("/(done|failed|cancelled)$/.test(document.getElementById('progress-status')"
                           ".textContent.trim())", timeout=60_000)
    status = page.locator("#progress-status").text_content().strip()
    assert status.endswith("done"), f"{status}: {page.locator('#progress-detail').text_content()}"
    bar = page.eval_on_selector("progress#progress-bar", "p => [p.value, p.max]")
    assert bar[0] == bar[1]
    shot("new-run-done")
    link = page.locator("a#open-result")
    href = link.get_attribute("href")
    assert href.startswith("/runs/browser-new_seed5_")
    link.click()
    page.wait_for_url(f"**{href}")
    page.wait_for_function("document.body.dataset.ready === '1'")
    assert page.eval_on_selector("#summary", "t => t.textContent").count("browser-new") >= 1
    shot("new-run-result")
