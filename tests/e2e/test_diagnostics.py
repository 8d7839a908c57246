"""End to end: ambiguous-TODO diagnostics, pushed or pulled as each editor profile expects."""

from __future__ import annotations

import asyncio

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from tests.e2e.conftest import start_session
from tests.support.editor import published

URI = "file:///tmp/specloop-e2e/billing.py"
AMBIGUOUS = """\
def charge(amount):
    # TODO: handle errors
    return amount
"""
CLEAR = AMBIGUOUS.replace("handle errors", "raise ValueError when amount is negative")


def pulls(client: LanguageClient) -> bool:
    capabilities = client.capabilities
    return bool(
        capabilities and capabilities.text_document and capabilities.text_document.diagnostic
    )


def open_document(client: LanguageClient, text: str, version: int = 1) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=URI, language_id="python", version=version, text=text
            )
        )
    )


def replace_line(client: LanguageClient, version: int, line: int, text: str) -> None:
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=URI, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=line, character=0),
                        end=types.Position(line=line + 1, character=0),
                    ),
                    text=text,
                )
            ],
        )
    )


async def diagnostics_for_version(client: LanguageClient, version: int) -> list[types.Diagnostic]:
    """The diagnostics the editor would show for ``version`` (pushed or pulled)."""
    if pulls(client):
        report = await client.text_document_diagnostic_async(
            types.DocumentDiagnosticParams(text_document=types.TextDocumentIdentifier(uri=URI))
        )
        assert isinstance(report, types.RelatedFullDocumentDiagnosticReport)
        return list(report.items)
    for _ in range(100):
        params = await published(client).next(within_s=10)
        if params.uri == URI and params.version == version:
            return list(params.diagnostics)
    raise AssertionError(f"no diagnostics published for version {version}")


async def test_an_ambiguous_todo_is_flagged_and_the_flag_goes_when_it_is_clarified(
    client: LanguageClient,
):
    open_document(client, AMBIGUOUS)
    [diagnostic] = await diagnostics_for_version(client, 1)
    assert diagnostic.source == "specloop"
    assert diagnostic.code == "ambiguous-todo"
    assert diagnostic.severity == types.DiagnosticSeverity.Information
    assert diagnostic.range.start == types.Position(line=1, character=4)
    assert "handle errors" in diagnostic.message
    assert "Which errors" in diagnostic.message and "?" in diagnostic.message
    assert diagnostic.code_description is not None
    assert diagnostic.code_description.href.endswith("#ambiguous-todo-diagnostics")
    facets = {facet["kind"] for facet in diagnostic.data["facets"]}
    assert {"what", "values"} <= facets

    replace_line(client, 2, 1, "    # TODO: raise ValueError when amount is negative\n")
    assert await diagnostics_for_version(client, 2) == []


async def test_only_the_latest_version_is_published_after_a_burst_of_edits(
    client: LanguageClient,
):
    if pulls(client):
        return  # Pull clients ask for the current version themselves.
    open_document(client, CLEAR)
    await diagnostics_for_version(client, 1)
    for version in range(2, 12):
        text = "    # TODO: handle errors\n" if version % 2 else "    # TODO: return 0\n"
        replace_line(client, version, 1, text)
    seen: list[int | None] = []
    while not seen or seen[-1] != 11:
        params = await published(client).next(within_s=10)
        seen.append(params.version)
        if params.version == 11:
            assert len(params.diagnostics) == 1
    assert seen == sorted(seen), f"published out of order: {seen}"
    with pytest.raises(asyncio.TimeoutError):
        late = await published(client).next(within_s=0.5)
        raise AssertionError(f"published after the latest version: {late}")


REPEATED_MARKER = """\
# TODO: this should be made more robust with
# TODO: respect to the names it is given, and handle errors.
LIMIT = 10
"""


async def test_a_marker_repeated_on_each_line_of_one_sentence_is_one_diagnostic(
    client: LanguageClient,
):
    """Pushed, the first publication is the fast one made before the full parse: it reads
    the sentence whole too."""
    open_document(client, REPEATED_MARKER)
    [diagnostic] = await diagnostics_for_version(client, 1)
    assert (diagnostic.range.start.line, diagnostic.range.end.line) == (0, 1)
    assert '"this should be made more robust with respect to' in diagnostic.message


async def test_severity_and_enablement_follow_settings(bare_client: LanguageClient):
    await start_session(bare_client, "visual-studio-code", {"diagnostics": {"severity": "warning"}})
    open_document(bare_client, AMBIGUOUS)
    [diagnostic] = await diagnostics_for_version(bare_client, 1)
    assert diagnostic.severity == types.DiagnosticSeverity.Warning

    bare_client.set_configuration({"diagnostics": {"enabled": False}}, section="specloop")
    bare_client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(
            settings={"specloop": {"diagnostics": {"enabled": False}}}
        )
    )
    assert await diagnostics_for_version(bare_client, 1) == []


async def test_excluded_paths_get_no_diagnostics(bare_client: LanguageClient):
    await start_session(bare_client, "visual-studio-code", {"diagnostics": {"exclude": ["*.py"]}})
    open_document(bare_client, AMBIGUOUS)
    assert await diagnostics_for_version(bare_client, 1) == []


async def test_closing_a_document_clears_its_diagnostics(bare_client: LanguageClient):
    await start_session(bare_client, "neovim@v0.7.0")
    open_document(bare_client, AMBIGUOUS)
    assert len(await diagnostics_for_version(bare_client, 1)) == 1
    bare_client.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=URI))
    )
    params = await published(bare_client).next(within_s=10)
    assert list(params.diagnostics) == []


async def test_broken_code_still_gets_diagnostics_and_the_server_keeps_answering(
    client: LanguageClient,
):
    open_document(client, "def charge(amount:\n    # TODO: fix this somehow?\n    return (\n")
    [diagnostic] = await diagnostics_for_version(client, 1)
    assert "fix this" in diagnostic.message


async def test_a_document_over_a_megabyte_still_gets_its_diagnostics(client: LanguageClient):
    filler = "".join(f"value_{n} = {n}\n" for n in range(80_000))  # about 1.3 MB
    open_document(client, AMBIGUOUS + filler)
    [diagnostic] = await diagnostics_for_version(client, 1)
    assert diagnostic.range.start == types.Position(line=1, character=4)


STUB = '''\
def convert(value):
    """Convert the value appropriately."""
    ...
'''


async def test_results_for_a_version_the_user_has_moved_past_are_never_published(
    bare_client: LanguageClient,
):
    """The analysis of a large document runs beside the event loop and is not cancelled
    by the next change; what it finds for the old version must be dropped."""
    await start_session(bare_client, "visual-studio-code")
    # 25,000 stubs with vague docstrings (1.6 MB): their analysis takes a while.
    filler = "".join(f'def stub_{n}():\n    """Do it somehow."""\n    ...\n' for n in range(25_000))
    published: list[tuple[int | None, int]] = []

    features = bare_client.protocol.fm.features
    default = features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS]

    def record(params: types.PublishDiagnosticsParams) -> None:
        published.append((params.version, len(params.diagnostics)))
        default(params)

    features[types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS] = record
    open_document(bare_client, STUB + filler)
    # Sent at once: the server reads it while it analyses version 1.
    replace_line(bare_client, 2, 0, "def convert(value):  # renamed nothing\n")
    for _ in range(300):
        await asyncio.sleep(0.1)
        if published and published[-1][0] == 2:
            break
    # Docstrings are found by the full analysis only: version 1 may be published from
    # the quick one (nothing), never from the full analysis the change overtook.
    assert published[-1] == (2, 25_001), published
    assert [count for version, count in published if version == 1] == [0], published
