"""The wheel, installed as README.md says: `uv tool install` and `pipx install` into fresh
folders, then the installed `specloop` command run from outside this repository.

The wheel is the one the VS Code extension carries: taken from SPECLOOP_TEST_VSIX when it
names a packaged .vsix (CI), otherwise built the same way (`uv build --wheel`, as
client-vscode/scripts/bundle-server.js does). A fresh install is where a file left out of
the wheel shows, so the commands run with none of this checkout on their path. Both
installers are capabilities CI must have (uv runs the tests; pipx is a dev dependency):
a missing one fails these tests, never skips them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from email.parser import Parser
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

import pytest

import specloop
from tests.support.cli import run_check, run_implement
from tests.support.jsonrpc import RawClient
from tests.support.scripted_llm import ScriptedLLM
from tests.support.stage_script import AMBIGUOUS_MODULE, MODULE, TODO_LINE, write_project

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "server" / "specloop"
DATA = {"specloop/docs/diagnostics.md": REPO / "docs" / "diagnostics.md"}
"""Files from outside server/specloop that the wheel carries in the package."""
INSTALLERS = ["uv tool", "pipx"]


@dataclass(frozen=True)
class Installed:
    specloop: Path
    """The `specloop` command the installer put in its bin folder."""
    python: Path
    """The interpreter of the environment the installer made for it."""
    env: dict[str, str] = field(repr=False)
    """A user's environment with that bin folder on PATH and nothing of this checkout."""

    @property
    def home(self) -> Path:
        """The environment's folder."""
        return self.python.parent.parent


def _uv() -> str:
    found = os.environ.get("UV") or shutil.which("uv")
    if not found:
        pytest.fail("uv is not on PATH: run the tests with `bash scripts/test`.", pytrace=False)
    return found


def _run(
    argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` to the end; it must succeed."""
    result = subprocess.run(argv, capture_output=True, text=True, timeout=900, env=env, cwd=cwd)
    assert result.returncode == 0, (
        f"{argv} exited {result.returncode}:\n{result.stdout}\n{result.stderr}"
    )
    return result


def _user_env(**extra: str) -> dict[str, str]:
    """This process's environment without this checkout's virtual environment."""
    venv = REPO / ".venv"
    path = [
        p for p in os.environ["PATH"].split(os.pathsep)
        if not Path(p).resolve().is_relative_to(venv.resolve())
    ]  # fmt: skip
    env = {
        k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME")
    }
    return {**env, "PATH": os.pathsep.join(path), **extra}


def _installed_file(uri: str, installed: Installed) -> bool:
    """Whether ``uri`` is a file:// URI of a file in ``installed``'s environment."""
    parsed = urlparse(uri)
    path = Path(url2pathname(parsed.path))
    return parsed.scheme == "file" and path.is_file() and path.is_relative_to(installed.home)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    if vsix := os.environ.get("SPECLOOP_TEST_VSIX"):
        with zipfile.ZipFile(vsix) as archive:
            carried = [n for n in archive.namelist() if n.startswith("extension/server/specloop-")]
            assert len(carried) == 1, f"{vsix} should carry one specloop wheel: {carried}"
            (out / Path(carried[0]).name).write_bytes(archive.read(carried[0]))
    else:
        _run([_uv(), "build", "--wheel", "--quiet", "--out-dir", str(out), str(REPO)])
    [built] = out.glob("specloop-*.whl")
    return built


@pytest.fixture(scope="module", params=INSTALLERS)
def installed(
    request: pytest.FixtureRequest, wheel: Path, tmp_path_factory: pytest.TempPathFactory
) -> Installed:
    home = tmp_path_factory.mktemp(str(request.param).replace(" ", "-"))
    bin_dir = home / "bin"
    if request.param == "uv tool":
        tools = home / "tools"
        env = _user_env(UV_TOOL_DIR=str(tools), UV_TOOL_BIN_DIR=str(bin_dir))
        _run([_uv(), "tool", "install", "--compile-bytecode", str(wheel)], env=env)
        venv = tools / "specloop"
    else:
        # pip, not pipx's uv backend: what a user without uv gets.
        pipx = home / "pipx"
        env = _user_env(
            PIPX_HOME=str(pipx), PIPX_BIN_DIR=str(bin_dir), PIPX_MAN_DIR=str(home / "man"),
            PIPX_COMPLETION_DIR=str(home / "completions"),
        )  # fmt: skip
        _run([sys.executable, "-m", "pipx", "install", "--backend", "pip", str(wheel)], env=env)
        venv = pipx / "venvs" / "specloop"
    user = _user_env(PATH=f"{bin_dir}{os.pathsep}{_user_env()['PATH']}")
    return Installed(bin_dir / "specloop", venv / "bin" / "python", user)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """pricing.py, with an ambiguous TODO (`handle errors`), and a test of it."""
    return write_project(tmp_path / "project", AMBIGUOUS_MODULE)


def test_the_wheel_holds_every_file_of_the_package(wheel: Path):
    in_tree = {
        f"specloop/{p.relative_to(PACKAGE).as_posix()}"
        for p in PACKAGE.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    with zipfile.ZipFile(wheel) as archive:
        in_wheel = {n for n in archive.namelist() if n.startswith("specloop/")}
        for name, source in DATA.items():
            assert archive.read(name) == source.read_bytes(), name
    assert (in_tree | DATA.keys()) - in_wheel == set(), "left out of the wheel"
    assert in_wheel - in_tree - DATA.keys() == set(), "in the wheel but not in server/specloop"


def test_the_wheel_carries_what_a_package_index_shows(wheel: Path):
    with zipfile.ZipFile(wheel) as archive:
        [name] = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        metadata = Parser().parsestr(archive.read(name).decode("utf-8"))
    assert metadata["Version"] == specloop.__version__
    assert metadata["Summary"]
    assert metadata["Description-Content-Type"] == "text/markdown"
    assert metadata.get_payload() == (REPO / "README.md").read_text(encoding="utf-8")
    assert metadata["License-Expression"] == "MIT"
    assert metadata["License-File"] == "LICENSE"
    assert metadata["Requires-Python"] == ">=3.11"
    assert metadata["Keywords"]
    assert len(metadata.get_all("Classifier", [])) >= 5
    urls = dict(url.split(", ", 1) for url in metadata.get_all("Project-URL", []))
    assert {"Homepage", "Source", "Issues"} <= urls.keys()
    assert "litellm==1.103.7" in metadata.get_all("Requires-Dist", [])


def test_the_installed_command_runs_from_its_own_environment(installed: Installed):
    assert installed.specloop.is_file(), f"the installer made no {installed.specloop}"
    version = _run([str(installed.specloop), "--version"], env=installed.env)
    assert version.stdout.strip() == f"specloop {specloop.__version__}"
    where = _run(
        [str(installed.python), "-c", "import specloop; print(specloop.__file__)"],
        env=installed.env, cwd=installed.python.parent,
    )  # fmt: skip
    assert Path(where.stdout.strip()).is_relative_to(installed.home), where.stdout


def test_the_installed_package_is_compiled_to_bytecode(installed: Installed):
    # Without it every start compiles the sources again where PYTHONDONTWRITEBYTECODE is
    # set (and the first start everywhere): `initialize` took twice as long.
    where = _run(
        [str(installed.python), "-c", _COMPILED_FILES, "cli.py", "lsp/server.py"],
        env=installed.env, cwd=installed.python.parent,
    )  # fmt: skip
    for compiled in where.stdout.split():
        assert Path(compiled).is_file(), f"installed without its bytecode: {compiled}"


_COMPILED_FILES = """
import importlib.util, pathlib, sys, specloop
package = pathlib.Path(specloop.__file__).parent
for module in sys.argv[1:]:
    print(importlib.util.cache_from_source(str(package / module)))
"""


def test_the_installed_check_reports_an_ambiguous_todo(installed: Installed, project: Path):
    result = run_check(
        "pricing.py", cwd=project, specloop=[str(installed.specloop)], env=installed.env
    )
    expected = f"pricing.py:{TODO_LINE}:5: ambiguous-todo Ambiguous TODO"
    lines = result.stdout.splitlines()
    assert len(lines) == 1 and lines[0].startswith(expected), result.stdout + result.stderr
    assert result.returncode == 1, result.stderr


def test_the_installed_implement_validates_with_its_own_python(
    installed: Installed, scripted: ScriptedLLM, tmp_path: Path
):
    """The loop end to end against the scripted model: the model client's process, the
    sandbox and its checker files, all from the installed environment (no project
    environment, so specloop's own interpreter runs the checks)."""
    project = write_project(tmp_path / "project", MODULE)
    payload, result = run_implement(
        project, tmp_path / "runs", scripted, "--apply",
        specloop=[str(installed.specloop)], base_env=installed.env,
    )  # fmt: skip
    assert payload["status"] == "validated", result.stderr
    assert result.returncode == 0, result.stderr
    assert all(check["passed"] for check in payload["checks"]), payload["checks"]
    assert "+    if total < 0:" in payload["diff"]


async def test_the_installed_server_answers_over_stdio(
    installed: Installed, project: Path, tmp_path: Path
):
    """initialize, the TODO's diagnostic, and the code actions the loop's feature offers."""
    log = tmp_path / "stderr.log"
    try:
        async with RawClient(
            [str(installed.specloop), "serve"], log, env=installed.env, cwd=project
        ) as server:
            answer = await server.initialize(project)
            assert answer["result"]["serverInfo"] == {
                "name": "specloop",
                "version": specloop.__version__,
            }
            assert answer["result"]["capabilities"]["codeActionProvider"]
            uri = (project / "pricing.py").as_uri()
            document = {"uri": uri, "languageId": "python", "version": 1, "text": AMBIGUOUS_MODULE}
            await server.notify("textDocument/didOpen", {"textDocument": document})
            published = await server.wait_for_notification(
                lambda n: (
                    n["method"] == "textDocument/publishDiagnostics" and n["params"]["diagnostics"]
                ),
                within_s=30,
            )
            [diagnostic] = published["params"]["diagnostics"]
            assert diagnostic["code"] == "ambiguous-todo"
            assert diagnostic["range"]["start"]["line"] == TODO_LINE - 1
            explained = diagnostic["codeDescription"]["href"]
            actions, _ = await server.request(
                "textDocument/codeAction",
                {"textDocument": {"uri": uri}, "range": diagnostic["range"],
                 "context": {"diagnostics": [diagnostic]}},
                within_s=60,
            )  # fmt: skip
            titles = [action["title"] for action in actions.get("result") or []]
            assert "Clarify this TODO" in titles, actions
            assert any(title.startswith("Implement") for title in titles), titles
            await server.close(within_s=30)
            assert server.returncode == 0
    except (AssertionError, TimeoutError) as error:
        raise AssertionError(f"specloop serve wrote on stderr:\n{log.read_text()}") from error
    # The explanation the diagnostic links to is in the installed package.
    assert _installed_file(explained, installed), explained
    assert explained.endswith("#ambiguous-todo-diagnostics")
