"""docs/scenario.md cannot silently fall behind the code.

* Every field of every scenario model (and of the catalogue's `Accelerator`) has a row in
  the field table of that model's section, every row names a real field, and the default
  column says `required` exactly for the required fields.
* Every full scenario in a ```yaml block (one whose first key is `name:`) validates with
  `load_scenario`, and its world and jobs build; the quickstart block is the example file.
* The job CSV example parses, the `accelerators:` snippets validate, the packaged
  accelerators table lists every catalogue entry with its speed and power figures, every
  policy is named, and every internal link points at a heading.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from orbitgrid.catalog.accelerators import Accelerator, SourcedRange, SourcedValue, load_accelerators
from orbitgrid.policies import registry
from orbitgrid.scenario import (
    BatterySpec,
    CarbonAwareSpec,
    ConstellationSpec,
    ContractSpec,
    CreditTier,
    CurtailmentEvent,
    DemandResponsePayment,
    DemandResponseSpec,
    DurationDistribution,
    EmpiricalJobs,
    FaultSpec,
    FormationInput,
    GasSpec,
    GeneratorSpec,
    GpuCountDistribution,
    GpuTypeChoice,
    GridSpec,
    InferenceRequestsSpec,
    InferenceServiceSpec,
    InferenceSloSpec,
    InferenceSpec,
    DailyCycleSpec,
    ReplicaGroupSpec,
    ReplicaMoveSpec,
    Location,
    OnsiteSpec,
    Outage,
    PolicySpec,
    PoolSpec,
    PriceTrigger,
    PriorityChoice,
    PueCurve,
    ReplacementSpec,
    SatelliteSpec,
    Scenario,
    ShellInput,
    SimulationSpec,
    SiteShare,
    SiteSpec,
    SolarSpec,
    SpotClearing,
    TenantChoice,
    ThrottleSpec,
    TleInput,
    TraceSpec,
    WorkloadSpec,
    load_scenario,
)
from orbitgrid.workload import build_jobs
from orbitgrid.workload.csv_jobs import read_jobs_csv
from orbitgrid.world.pools import build_world

REPO = Path(__file__).resolve().parents[1]
DOC_PATH = REPO / "docs" / "scenario.md"
DOC = DOC_PATH.read_text(encoding="utf-8") if DOC_PATH.is_file() else ""

MODELS: list[type[BaseModel]] = [
    Scenario,
    ShellInput,
    SimulationSpec,
    SiteSpec,
    GridSpec,
    PueCurve,
    OnsiteSpec,
    GasSpec,
    SolarSpec,
    BatterySpec,
    DemandResponseSpec,
    CurtailmentEvent,
    PriceTrigger,
    DemandResponsePayment,
    Location,
    PoolSpec,
    Outage,
    WorkloadSpec,
    GeneratorSpec,
    GpuCountDistribution,
    DurationDistribution,
    GpuTypeChoice,
    PriorityChoice,
    SatelliteSpec,
    TenantChoice,
    PolicySpec,
    CarbonAwareSpec,
    ContractSpec,
    CreditTier,
    SiteShare,
    SpotClearing,
    ConstellationSpec,
    ShellInput,
    SatelliteSpec,
    FormationInput,
    TleInput,
    ThrottleSpec,
    FaultSpec,
    ReplacementSpec,
    TraceSpec,
    EmpiricalJobs,
    InferenceSpec,
    InferenceServiceSpec,
    ReplicaGroupSpec,
    ReplicaMoveSpec,
    InferenceSloSpec,
    InferenceRequestsSpec,
    DailyCycleSpec,
    Accelerator,
    SourcedValue,
    SourcedRange,
]

# a job file good enough for any scenario: one 1-GPU job that accepts any type
MINIMAL_CSV = "arrival_h,gpus,work_gpu_h\n0,1,1\n"


def _fenced(lang: str) -> list[str]:
    """The bodies of the ```lang fenced blocks of the doc, in order."""
    return re.findall(rf"^```{lang}[ \t]*\n(.*?)^```[ \t]*$", DOC, re.S | re.M)


def _first_content_line(block: str) -> str:
    for line in block.splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            return line
    return ""


FULL_SCENARIOS = [b for b in _fenced("yaml") if _first_content_line(b).startswith("name:")]


def _headings() -> list[tuple[int, int, str]]:
    """(line index, level, text) of every heading outside fenced blocks."""
    out, fenced = [], False
    for i, line in enumerate(DOC.splitlines()):
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (m := re.match(r"^(#{1,6})\s+(.*\S)\s*$", line)):
            out.append((i, len(m.group(1)), m.group(2)))
    return out


def _section(name: str) -> list[str]:
    """The lines under the one heading that names `name` in backticks, up to the next heading."""
    lines = DOC.splitlines()
    heads = _headings()
    hits = [k for k, (_, _, text) in enumerate(heads) if f"`{name}`" in text]
    assert len(hits) == 1, f"expected one heading naming `{name}` in {DOC_PATH}, found {len(hits)}"
    start = heads[hits[0]][0] + 1
    end = heads[hits[0] + 1][0] if hits[0] + 1 < len(heads) else len(lines)
    return lines[start:end]


def _cells(row: str) -> list[str]:
    """Cells of a markdown table row (pipes escaped as `\\|` stay inside their cell)."""
    return [c.strip() for c in re.split(r"(?<!\\)\|", row.strip().strip("|"))]


def _field_rows(section: list[str]) -> dict[str, list[str]]:
    """Field name -> cells, for the rows of the section's field tables (first cell `name`)."""
    rows: dict[str, list[str]] = {}
    for line in section:
        if line.startswith("|") and (m := re.match(r"^`([A-Za-z_][A-Za-z0-9_]*)`$", _cells(line)[0])):
            rows[m.group(1)] = _cells(line)
    return rows


def _slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = heading.strip().lower()
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def test_doc_exists() -> None:
    assert DOC, f"{DOC_PATH} is missing or empty"


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_field_has_a_row_in_its_models_table(model: type[BaseModel]) -> None:
    rows = _field_rows(_section(model.__name__))
    fields = list(model.model_fields)
    missing = [f for f in fields if f not in rows]
    assert not missing, f"{model.__name__}: fields not in the doc's table: {missing}"
    stale = [r for r in rows if r not in fields]
    assert not stale, f"{model.__name__}: the doc's table lists fields the model does not have: {stale}"
    for name, info in model.model_fields.items():
        cells = rows[name]
        assert len(cells) == 6, f"{model.__name__}.{name}: row should have 6 cells, has {len(cells)}"
        default = cells[3]
        if info.is_required():
            assert default == "required", f"{model.__name__}.{name} is required; the doc says default {default!r}"
        else:
            assert default != "required", f"{model.__name__}.{name} has a default; the doc says required"


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_field_name_appears_in_the_doc(model: type[BaseModel]) -> None:
    missing = [f for f in model.model_fields if f"`{f}`" not in DOC]
    assert not missing, f"{model.__name__}: not mentioned in {DOC_PATH.name}: {missing}"


def test_the_doc_has_full_scenarios() -> None:
    assert len(FULL_SCENARIOS) >= 2, "expected the quickstart and at least one more full scenario"


@pytest.mark.parametrize("index", range(len(FULL_SCENARIOS)))
def test_full_scenario_in_doc_validates(index: int, tmp_path: Path) -> None:
    text = FULL_SCENARIOS[index]
    data = yaml.safe_load(text)
    csv_name = (data.get("workload") or {}).get("csv")
    if csv_name:
        csv_path = tmp_path / csv_name
        csv_path.parent.mkdir(parents=True, exist_ok=True)
        csv_path.write_text(MINIMAL_CSV, encoding="utf-8")
    path = tmp_path / "scenario.yaml"
    path.write_text(text, encoding="utf-8")
    loaded = load_scenario(path)  # raises InputError, naming the line, if the doc is wrong
    sc = loaded.scenario
    world = build_world(sc)
    assert world.n_pools == sum(len(site.pools) for site in sc.sites)
    jobs = build_jobs(loaded, sc.simulation.seed)
    assert len(jobs) > 0


def test_quickstart_block_is_the_example_file() -> None:
    example = yaml.safe_load((REPO / "examples" / "quickstart.yaml").read_text(encoding="utf-8"))
    blocks = [yaml.safe_load(b) for b in FULL_SCENARIOS]
    assert example in blocks, "the doc's quickstart block differs from examples/quickstart.yaml"


def test_every_yaml_block_parses() -> None:
    for block in _fenced("yaml"):
        yaml.safe_load(block)


def test_accelerator_snippets_validate() -> None:
    snippets = [b for b in _fenced("yaml") if _first_content_line(b).startswith("accelerators:")]
    assert snippets, "expected an `accelerators:` example"
    for block in snippets:
        for name, entry in yaml.safe_load(block)["accelerators"].items():
            Accelerator.model_validate(entry)


def test_csv_examples_parse(tmp_path: Path) -> None:
    blocks = _fenced("csv")
    assert blocks, "expected a job CSV example"
    for k, block in enumerate(blocks):
        path = tmp_path / f"jobs{k}.csv"
        path.write_text(block, encoding="utf-8")
        jobs = read_jobs_csv(path, set(load_accelerators()))
        assert len(jobs) > 0


def test_csv_columns_are_documented() -> None:
    from orbitgrid.workload.csv_jobs import OPTIONAL, REQUIRED

    section = DOC[DOC.index("## The job CSV") :]
    for column in REQUIRED + OPTIONAL:
        assert re.search(rf"^\| `{column}` \|", section, re.M), f"job CSV column {column!r} has no row"


def _fmt(x: float) -> str:
    return f"{x:g}"


def test_packaged_accelerators_table_matches_the_catalogue() -> None:
    lines = DOC.splitlines()
    heads = _headings()
    k = next((k for k, (_, _, text) in enumerate(heads) if text == "The packaged accelerators"), None)
    assert k is not None, "no heading 'The packaged accelerators'"
    end = heads[k + 1][0] if k + 1 < len(heads) else len(lines)
    rows = {}
    for line in lines[heads[k][0] + 1 : end]:
        if line.startswith("| `"):
            cells = _cells(line)
            rows[cells[0].strip("`")] = cells
    for name, acc in load_accelerators().items():
        assert name in rows, f"packaged accelerator {name} is not in the doc's table"
        cells = rows[name]
        assert _fmt(acc.bf16_tflops.value) in cells, f"{name}: BF16 {acc.bf16_tflops.value} not in its row"
        busy = acc.busy_power_w
        busy_cell = cells[9]
        if busy is None:
            assert busy_cell.startswith("none"), f"{name}: no default busy power, the doc says {busy_cell!r}"
        else:
            assert busy_cell.split()[0] == _fmt(busy), f"{name}: default busy {busy} W, the doc says {busy_cell!r}"
        # no packaged entry publishes an idle figure; the doc says so, and must change if one does
        assert acc.idle_power_w is None or acc.idle_power_w.value is None, (
            f"{name} now has an idle figure: update 'How power is counted' and the table"
        )


def test_every_policy_is_documented() -> None:
    for name in registry.names():
        assert f"**`{name}`**" in DOC, f"policy {name!r} has no paragraph in the doc"


def test_internal_links_point_at_headings() -> None:
    anchors = {_slug(text) for _, _, text in _headings()}
    for target in re.findall(r"\]\(#([^)]+)\)", DOC):
        assert target in anchors, f"link to #{target} has no heading"
