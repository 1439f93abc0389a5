"""The compare page: one row per summary key, the cells of differing rows marked `diff`."""

from __future__ import annotations


def test_compare_marks_the_rows_whose_values_differ(page, runs, shot):
    page.goto(f"/compare?runs={runs['ground']},{runs['orbital']}")
    rows = page.eval_on_selector_all(
        "#compare-table tbody tr",
        "rows => rows.map(r => ({key: r.querySelector('th').textContent.trim(),"
        " values: [...r.querySelectorAll('td')].map(td => td.textContent.trim()),"
        " diff: [...r.querySelectorAll('td')].map(td => td.classList.contains('diff'))}))")
    by_key = {r["key"]: r for r in rows}
    for r in rows:
        assert len(r["values"]) == 2 and (all(r["diff"]) or not any(r["diff"])), r  # a row marked whole or not
    # both scenarios are named in the summary, and they differ; both run FIFO with a 4 h horizon
    assert by_key["scenario"]["values"] == ["ground-lab", "orbit-lab"] and all(by_key["scenario"]["diff"])
    assert by_key["policy"]["values"] == ["fifo", "fifo"] and not any(by_key["policy"]["diff"])
    assert not any(by_key["horizon_h"]["diff"])
    assert page.locator("td.diff").count() == 2 * sum(all(r["diff"]) for r in rows) >= 2
    shot("compare")
