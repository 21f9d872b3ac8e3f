"""docs/mappings.md is generated from the mapping tables the loss report uses; it must not drift."""

from __future__ import annotations

from memconv.mapping import render_markdown
from memconv.registry import mapping_tables as all_tables
from memconv.registry import mappings_markdown

from helpers import REPO


def test_mappings_doc_matches_the_tables():
    committed = (REPO / "docs" / "mappings.md").read_text()
    assert committed == mappings_markdown(), (
        "docs/mappings.md is stale: run `memconv mappings > docs/mappings.md` and commit it")


def test_every_writer_has_a_mapping_table():
    from memconv import registry

    for name, fmt in registry.formats().items():
        if fmt.can_write:
            assert fmt.mapping is not None, f"{name} writes but has no mapping table"
            assert f"## canonical → {fmt.mapping.target}" in render_markdown(all_tables())


def test_loss_report_and_docs_agree_on_a_lost_field():
    import memconv
    from memconv.model import Header, HistoryEvent

    report = memconv.write_records([Header(), HistoryEvent(id="h", memory_id="m", event="ADD")], "agentmemory",
                                   "/dev/null")
    (loss,) = report.losses.values()
    doc = render_markdown(all_tables())
    assert loss.kind == "event" and loss.reason in doc


def test_mappings_command_prints_the_doc():
    from helpers import run_cli

    assert run_cli("mappings").stdout.decode() == (REPO / "docs" / "mappings.md").read_text()


def test_warnings_doc_matches_the_catalogue():
    """docs/warnings.md is the catalogue of warning codes as ``memconv warnings`` prints it."""
    from helpers import run_cli

    from memconv.logmessages import render_markdown

    committed = (REPO / "docs" / "warnings.md").read_text()
    assert committed == render_markdown(), "docs/warnings.md is stale: run `memconv warnings > docs/warnings.md`"
    assert run_cli("warnings").stdout.decode() == committed
