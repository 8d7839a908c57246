"""Fixtures for the real-VS-Code tests: code-server, the packaged .vsix, one VS Code per test.

code-server, its Node and Chromium are a capability CI must have: when they are missing the
tests fail (never skip) and say to run `bash scripts/test`, which installs them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from tests.support.stage_script import AMBIGUOUS_MODULE, write_project
from tests.vscode.harness import ARTIFACTS, CodeServerInstall, Steps, VSCode, build_vsix

OpenVSCode = Callable[..., VSCode]


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Let fixtures see whether the test failed (``item.failed_call``)."""
    report = yield
    if report.when == "call" and report.failed:
        item.failed_call = True  # type: ignore[attr-defined]
    return report


@pytest.fixture(scope="session")
def code_server() -> CodeServerInstall:
    install = CodeServerInstall.locate()
    if missing := install.missing():
        pytest.fail(
            "The real-VS-Code tests need code-server and Chromium: "
            + "; ".join(missing)
            + ". Run `bash scripts/test` once: it installs them (see scripts/lib.sh, "
            "ensure_vscode_e2e).",
            pytrace=False,
        )
    return install


@pytest.fixture(scope="session")
def vsix(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The extension packaged once per session, exactly as `npm run package` makes it.

    SPECLOOP_TEST_VSIX names an already built .vsix to test instead (e.g. the one CI built).
    """
    if prebuilt := os.environ.get("SPECLOOP_TEST_VSIX"):
        assert Path(prebuilt).is_file(), f"SPECLOOP_TEST_VSIX={prebuilt} is not a file"
        return Path(prebuilt)
    return build_vsix(tmp_path_factory.mktemp("vsix"))


@pytest.fixture
def steps(request: pytest.FixtureRequest) -> Steps:
    """This test's screenshot folder: test-artifacts/vscode/<test name>/ (emptied first)."""
    return Steps(ARTIFACTS / request.node.name)


@pytest.fixture
def sandbox_tmp() -> Iterator[Path]:
    """The TMPDIR of code-server and so of the server: its sandboxes land here.

    Under /tmp, not pytest's 0700 tmp_path: the sandbox's unprivileged user must reach it.
    """
    path = Path(tempfile.mkdtemp(prefix="specloop-vscode-tmp-"))
    path.chmod(0o755)
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """The task's project: pricing.py (discount, an ambiguous TODO) and a test of it."""
    return write_project(tmp_path / "project", AMBIGUOUS_MODULE)


@pytest.fixture
def open_vscode(
    request: pytest.FixtureRequest,
    code_server: CodeServerInstall,
    vsix: Path,
    tmp_path: Path,
    steps: Steps,
    sandbox_tmp: Path,
) -> Iterator[OpenVSCode]:
    """Opens VS Code on a folder: ``open_vscode(folder, settings={...}, env={...})``.

    Every instance is closed at the end (its processes ended), with a screenshot when the
    test failed and code-server's and the extension's logs kept next to the screenshots.
    """
    opened: list[VSCode] = []
    with sync_playwright() as playwright:

        def open_(
            folder: Path,
            settings: dict[str, Any] | None = None,
            env: dict[str, str | None] | None = None,
        ) -> VSCode:
            root = tmp_path / f"vscode-{len(opened)}"
            vscode = VSCode.launch(
                playwright,
                code_server,
                vsix,
                root,
                folder,
                steps,
                settings=settings,
                env={"TMPDIR": str(sandbox_tmp), **(env or {})},
            )
            opened.append(vscode)
            return vscode

        try:
            yield open_
        finally:
            failed = getattr(request.node, "failed_call", False)
            for vscode in opened:
                if failed:
                    vscode.snap("failure")
                vscode.keep_logs()
                vscode.close()
            if failed:
                for vscode in opened:
                    print(f"--- code-server log ({vscode.server_log}):\n{vscode.code_server_log()}")
                    print(f"--- specloop output channel:\n{vscode.output_channel()[-5000:]}")
