"""Drives a real VS Code (code-server + headless Chromium via playwright) for end-to-end tests.

``CodeServerInstall`` is the code-server that ``scripts/test`` installs; ``VSCode`` is one
running instance for one test: a fresh profile (user data, extensions, XDG folders and
code-server's config file all in the test's tmp folder), the packaged specloop extension
installed into it, code-server on a free port opening the test's workspace folder, and a
headless Chromium page showing it. The UI helpers wait for what a user would see and fail,
with a screenshot, when it is not on screen in time. Every step's screenshot is kept under
``test-artifacts/vscode/<test>/NN-<step>.png``.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from playwright.sync_api import BrowserContext, Locator, Page, Playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from tests.support.processes import processes_under

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "vscode"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The profile every test starts from: nothing on screen but the workbench and specloop.
QUIET_SETTINGS: dict[str, Any] = {
    "workbench.startupEditor": "none",
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "chat.disableAIFeatures": True,
    "security.workspace.trust.enabled": False,
    "workbench.tips.enabled": False,
    "telemetry.telemetryLevel": "off",
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "update.mode": "none",
    "editor.minimap.enabled": False,
    "files.autoSave": "off",
    "git.enabled": False,
    "editor.accessibilitySupport": "off",
}
SPECLOOP_ENV_PREFIX = "SPECLOOP_"
STARTUP_TIMEOUT_S = 60.0
UI_TIMEOUT_S = 20.0
STEP_NAME = re.compile(r"[^A-Za-z0-9_.-]+")


class UIFailure(AssertionError):
    """What the test expected on screen was not there in time (a screenshot was kept)."""


@dataclass(frozen=True)
class CodeServerInstall:
    """The code-server that scripts/lib.sh's ensure_vscode_e2e installs, with its own Node."""

    home: Path

    @classmethod
    def locate(cls) -> CodeServerInstall:
        default = Path.home() / ".cache" / "specloop" / "vscode-e2e"
        return cls(Path(os.environ.get("SPECLOOP_VSCODE_HOME") or default))

    @property
    def code_server(self) -> Path:
        return self.home / "node_modules" / ".bin" / "code-server"

    @property
    def node_bin(self) -> Path:
        return self.home / "node_modules" / "node" / "bin"

    def missing(self) -> list[str]:
        """What is not installed, as sentences; empty when everything is there."""
        problems = []
        if not os.access(self.code_server, os.X_OK):
            problems.append(f"code-server is not installed at {self.code_server}")
        if not os.access(self.node_bin / "node", os.X_OK):
            problems.append(f"code-server's Node 24 is not installed at {self.node_bin}")
        if not os.access(CHROMIUM, os.X_OK):
            problems.append(f"Chromium is not installed at {CHROMIUM}")
        return problems

    def env(self, base: Mapping[str, str]) -> dict[str, str]:
        """``base`` with code-server's Node first on PATH (code-server needs Node 24)."""
        return {**base, "PATH": f"{self.node_bin}{os.pathsep}{base.get('PATH', '')}"}


def build_vsix(out_dir: Path) -> Path:
    """Package the extension as users get it (``npm run package``); a copy in ``out_dir``."""
    client = REPO / "client-vscode"
    # Packaging builds the server's wheel with uv, which lives in ~/.local/bin (guide: Stack).
    local_bin = Path.home() / ".local" / "bin"
    env = {**os.environ, "PATH": f"{local_bin}{os.pathsep}{os.environ.get('PATH', '')}"}
    if not (client / "node_modules").is_dir():
        _run(["npm", "ci", "--no-audit", "--no-fund"], cwd=client, what="npm ci", env=env)
    _run(["npm", "run", "package"], cwd=client, what="npm run package", env=env)
    built = client / "specloop.vsix"
    assert built.is_file(), f"`npm run package` made no {built}"
    out_dir.mkdir(parents=True, exist_ok=True)
    return Path(shutil.copy2(built, out_dir / "specloop.vsix"))


def _run(argv: list[str], cwd: Path, what: str, env: Mapping[str, str] | None = None) -> None:
    done = subprocess.run(
        argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if done.returncode != 0:
        raise AssertionError(
            f"{what} failed with exit code {done.returncode}:\n{done.stdout[-3000:]}\n"
            f"{done.stderr[-3000:]}"
        )


def machine_scoped(vsix: Path) -> set[str]:
    """The settings the extension in ``vsix`` declares with scope `machine`."""
    with zipfile.ZipFile(vsix) as archive:
        package = json.loads(archive.read("extension/package.json"))
    properties: dict[str, dict[str, Any]] = package["contributes"]["configuration"]["properties"]
    return {key for key, spec in properties.items() if spec.get("scope") == "machine"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command(log_file: Path | None = None) -> list[str]:
    """The specloop server of the venv that runs pytest, as `specloop.serverCommand`."""
    command = [str(Path(sys.executable).with_name("specloop")), "serve"]
    if log_file is not None:
        command += ["--log-file", str(log_file)]
    return command


class Steps:
    """Numbered screenshots of one test: ``NN-<step>.png`` in the test's artifact folder."""

    def __init__(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.folder = folder
        self.count = 0

    def path(self, step: str, suffix: str = ".png") -> Path:
        self.count += 1
        return self.folder / f"{self.count:02d}-{STEP_NAME.sub('-', step).strip('-')}{suffix}"


@dataclass
class Profile:
    """Where one VS Code instance keeps its state: all inside the test's tmp folder."""

    root: Path
    user_data: Path = field(init=False)
    extensions: Path = field(init=False)
    xdg: dict[str, Path] = field(init=False)
    config: Path = field(init=False)
    browser_data: Path = field(init=False)

    def __post_init__(self) -> None:
        self.user_data = self.root / "user-data"
        self.extensions = self.root / "extensions"
        self.browser_data = self.root / "chromium"
        self.config = self.root / "code-server.yaml"
        self.xdg = {
            name: self.root / "xdg" / name.removeprefix("XDG_").removesuffix("_HOME").lower()
            for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME")
        }
        for folder in (self.user_data / "User", self.extensions, *self.xdg.values()):
            folder.mkdir(parents=True, exist_ok=True)

    @property
    def settings_file(self) -> Path:
        return self.user_data / "User" / "settings.json"

    @property
    def machine_settings_file(self) -> Path:
        """code-server's remote settings (Settings → Remote): where `machine` settings go."""
        return self.user_data / "Machine" / "settings.json"

    @property
    def logs(self) -> Path:
        return self.user_data / "logs"


class VSCode:
    """One running code-server + Chromium page for one test, with UI helpers.

    Use ``VSCode.launch(...)`` (or the ``vscode`` fixture's factory) and always ``close()``.
    """

    def __init__(
        self,
        install: CodeServerInstall,
        profile: Profile,
        workspace: Path,
        steps: Steps,
        env: dict[str, str],
    ) -> None:
        self.install = install
        self.profile = profile
        self.workspace = workspace
        self.steps = steps
        self.env = env
        self.port = 0
        self.process: subprocess.Popen[bytes] | None = None
        self.server_log = profile.root / "code-server.log"
        self.browser: BrowserContext | None = None
        self._page: Page | None = None

    # ------------------------------------------------------------------ start and stop

    @classmethod
    def launch(
        cls,
        playwright: Playwright,
        install: CodeServerInstall,
        vsix: Path,
        root: Path,
        workspace: Path,
        steps: Steps,
        settings: Mapping[str, Any] | None = None,
        env: Mapping[str, str | None] | None = None,
    ) -> VSCode:
        """Install ``vsix`` into a fresh profile under ``root``, start code-server, open a page.

        ``env`` adds to (or, with None, removes from) code-server's environment, which the
        extension host and the specloop server inherit. SPECLOOP_* variables of the
        environment running pytest are never passed on.
        """
        profile = Profile(root)
        base = {k: v for k, v in os.environ.items() if not k.startswith(SPECLOOP_ENV_PREFIX)}
        base.update({name: str(path) for name, path in profile.xdg.items()})
        for name, value in (env or {}).items():
            if value is None:
                base.pop(name, None)
            else:
                base[name] = value
        full_env = install.env(base)
        user_settings = {**QUIET_SETTINGS, **(settings or {})}
        # User settings only, as a user writes them (Settings → User in code-server).
        profile.settings_file.parent.mkdir(parents=True, exist_ok=True)
        profile.settings_file.write_text(json.dumps(user_settings, indent=2), encoding="utf-8")
        # A code-server window is a remote window: VS Code takes `machine` settings only
        # from the remote's settings (Settings → Remote), as a code-server user sets them.
        machine = machine_scoped(vsix)
        machine_settings = {k: v for k, v in user_settings.items() if k in machine}
        profile.machine_settings_file.parent.mkdir(parents=True, exist_ok=True)
        profile.machine_settings_file.write_text(
            json.dumps(machine_settings, indent=2), encoding="utf-8"
        )
        vscode = cls(install, profile, workspace, steps, full_env)
        try:
            vscode._install_extension(vsix)
            vscode._start_code_server()
            vscode._open_browser(playwright)
        except BaseException:
            vscode.close()
            raise
        return vscode

    def _install_extension(self, vsix: Path) -> None:
        _run(
            [
                str(self.install.code_server),
                "--config",
                str(self.profile.config),
                "--user-data-dir",
                str(self.profile.user_data),
                "--extensions-dir",
                str(self.profile.extensions),
                "--install-extension",
                str(vsix),
            ],
            cwd=self.profile.root,
            env=self.env,
            what=f"code-server --install-extension {vsix.name}",
        )
        installed = [p.name for p in self.profile.extensions.iterdir() if p.is_dir()]
        assert any(name.startswith("specloop.specloop") for name in installed), installed

    def _start_code_server(self) -> None:
        self.port = free_port()
        self.profile.config.write_text(
            f"bind-addr: 127.0.0.1:{self.port}\nauth: none\ncert: false\n", encoding="utf-8"
        )
        argv = [
            str(self.install.code_server),
            "--config",
            str(self.profile.config),
            "--auth",
            "none",
            "--bind-addr",
            f"127.0.0.1:{self.port}",
            "--disable-telemetry",
            "--disable-update-check",
            "--disable-workspace-trust",
            "--disable-getting-started-override",
            "--user-data-dir",
            str(self.profile.user_data),
            "--extensions-dir",
            str(self.profile.extensions),
            str(self.workspace),
        ]
        with self.server_log.open("wb") as log:
            self.process = subprocess.Popen(
                argv,
                cwd=self.workspace,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(
                    f"code-server exited with {self.process.returncode}:\n{self.code_server_log()}"
                )
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=1),
            ):
                return
            time.sleep(0.2)
        raise AssertionError(f"code-server did not listen in time:\n{self.code_server_log()}")

    def _open_browser(self, playwright: Playwright) -> None:
        context = playwright.chromium.launch_persistent_context(
            str(self.profile.browser_data),
            executable_path=str(CHROMIUM),
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1400, "height": 900},
            env=self.env,
        )
        self.browser = context
        page = context.pages[0] if context.pages else context.new_page()
        page.set_default_timeout(UI_TIMEOUT_S * 1000)
        self._page = page
        page.goto(f"http://127.0.0.1:{self.port}/?folder={self.workspace}")
        self.expect_visible(page.locator(".monaco-workbench"), "the workbench", STARTUP_TIMEOUT_S)
        self.expect_visible(
            page.locator(".explorer-folders-view, .explorer-viewlet"), "the explorer"
        )
        self.snap("workbench")

    def close(self) -> None:
        """Close the browser and end code-server with everything it started (its group)."""
        if self.browser is not None:
            with contextlib.suppress(Exception):
                self.browser.close()
            self.browser = None
        if self.process is not None:
            descendants = processes_under(self.process.pid, with_model_client=True)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
            # Anything that left the group (a server in its own session) goes too.
            for pid in descendants:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.kill(pid, signal.SIGKILL)
            self.process = None

    # ------------------------------------------------------------------ evidence

    @property
    def page(self) -> Page:
        assert self._page is not None, "VS Code is not open"
        return self._page

    def snap(self, step: str) -> Path:
        """Keep a screenshot of this step under the test's artifact folder."""
        path = self.steps.path(step)
        with contextlib.suppress(Exception):
            self.page.screenshot(path=str(path))
        return path

    def fail(self, message: str) -> UIFailure:
        shot = self.snap("FAILED-" + message[:50])
        return UIFailure(f"{message} (screenshot: {shot})")

    def code_server_log(self) -> str:
        try:
            return self.server_log.read_text(errors="replace")[-5000:]
        except OSError:
            return ""

    def output_channel(self, name: str = "specloop") -> str:
        """The text of the extension's output channel, as the extension host logged it."""
        texts = [
            path.read_text(errors="replace")
            for path in sorted(self.profile.logs.rglob(f"*-{name}.log"))
        ]
        return "\n".join(texts)

    def keep_logs(self) -> None:
        """Copy code-server's log and the extension's output channel next to the screenshots."""
        with contextlib.suppress(OSError):
            shutil.copy2(self.server_log, self.steps.folder / "code-server.log")
        for path in self.profile.logs.rglob("*.log"):
            if "specloop" in path.name or "exthost" in path.name or "remoteagent" in path.name:
                target = self.steps.folder / "logs" / path.relative_to(self.profile.logs)
                target.parent.mkdir(parents=True, exist_ok=True)
                with contextlib.suppress(OSError):
                    shutil.copy2(path, target)

    # ------------------------------------------------------------------ waiting

    def expect_visible(
        self, locator: Locator, what: str, timeout_s: float = UI_TIMEOUT_S
    ) -> Locator:
        """``locator``'s first match once it is on screen; fail with a screenshot if not."""
        try:
            locator.first.wait_for(state="visible", timeout=timeout_s * 1000)
        except PlaywrightTimeout:
            raise self.fail(f"{what} was not on screen within {timeout_s:g} s") from None
        return locator.first

    def wait_until(
        self,
        condition: Callable[[], Any],
        what: str,
        timeout_s: float = UI_TIMEOUT_S,
        interval_s: float = 0.2,
    ) -> Any:
        """Poll ``condition`` until it returns something truthy; fail with a screenshot if not."""
        deadline = time.monotonic() + timeout_s
        while True:
            value = condition()
            if value:
                return value
            if time.monotonic() > deadline:
                raise self.fail(f"{what} did not happen within {timeout_s:g} s")
            time.sleep(interval_s)

    def open_with_retries(
        self, open_: Callable[[], None], shown: Locator, what: str, attempts: int = 3
    ) -> Locator:
        """Call ``open_`` (a key chord) until ``shown`` is on screen, up to ``attempts`` times.

        A chord pressed while the workbench moves focus (a closing input box, a view that
        opens) is sometimes lost; pressing it again is what a user does too.
        """
        for _ in range(attempts - 1):
            open_()
            try:
                shown.first.wait_for(state="visible", timeout=5000)
                return shown.first
            except PlaywrightTimeout:
                self.page.keyboard.press("Escape")
        open_()
        return self.expect_visible(shown, what)

    def press(self, keys: str) -> None:
        """Press a chord like ``Control+Shift+M`` with the keys held in order.

        Chromium in headless mode sometimes drops the modifier of a fast ``press``; holding
        each key makes the chord reliable.
        """
        parts = keys.split("+")
        keyboard = self.page.keyboard
        for key in parts[:-1]:
            keyboard.down(key)
        keyboard.press(parts[-1])
        for key in reversed(parts[:-1]):
            keyboard.up(key)

    # ------------------------------------------------------------------ quick input

    @property
    def quick_input(self) -> Locator:
        return self.page.locator(".quick-input-widget")

    def _quick_input_box(self) -> Locator:
        return self.expect_visible(self.quick_input.locator("input.input"), "the quick input box")

    def _quick_input_row(self, text: str) -> Locator:
        return self.quick_input.locator(".monaco-list-row").filter(has_text=text)

    # ------------------------------------------------------------------ editor actions

    def open_file(self, relative: str, attempts: int = 3) -> None:
        """Open the workspace file ``relative`` (its tab's click when it has one, else Quick
        Open, Ctrl+P) and wait for its editor tab."""
        name = Path(relative).name
        exact_name = re.compile(rf"^\s*{re.escape(name)}\s*$")
        # The active tab's text starts with the name: "pricing.py" must not match
        # "test_pricing.py".
        active_tab = self.page.locator(".tabs-container .tab.active").filter(
            has_text=re.compile(rf"^\W*{re.escape(name)}")
        )
        # A file open in a tab (the only tab of that name) is one click away, and that
        # click cannot land on another file as a Quick Open row can.
        tabs = self.page.locator(".tabs-container .tab").filter(
            has_text=re.compile(rf"^\W*{re.escape(name)}")
        )
        if tabs.count() == 1:
            tabs.first.click()
            with contextlib.suppress(PlaywrightTimeout):
                active_tab.first.wait_for(state="visible", timeout=5_000)
        for attempt in range(1, attempts + 1):
            if active_tab.count():
                break
            self.press("Control+p")
            box = self._quick_input_box()
            box.fill(relative)
            # Quick Open first lists stale rows: click only once the file's own row is there.
            rows = self.quick_input.locator(".monaco-list-row").filter(
                has=self.page.locator(".label-name", has_text=exact_name)
            )
            if (parent := str(Path(relative).parent)) != ".":
                rows = rows.filter(has_text=parent)
            self.expect_visible(rows, f"the Quick Open row for {relative}")
            # The list re-ranks as results come in: let it settle before clicking.
            self.page.wait_for_timeout(300)
            rows.first.click()
            try:
                active_tab.first.wait_for(state="visible", timeout=5_000)
                break
            except PlaywrightTimeout:
                # The list re-ranked under the click and another file opened: open it again.
                self.snap(f"open-{name}-missed-{attempt}")
        self.expect_visible(active_tab, f"the editor tab of {relative}")
        self.expect_visible(self.editor_locator(), f"the editor of {relative}")
        self.snap(f"open-{name}")

    def editor_locator(self) -> Locator:
        return self.page.locator(".editor-group-container.active .monaco-editor .view-lines")

    def go_to_line(self, line: int, column: int | None = None) -> None:
        """Ctrl+G to 1-based ``line`` (and ``column``) of the active editor."""
        self.press("Control+g")
        box = self._quick_input_box()
        box.fill(f":{line}" if column is None else f":{line}:{column}")
        self.expect_visible(self.quick_input.locator(".monaco-list-row"), "the Go to Line row")
        box.press("Enter")
        self.wait_until(lambda: self.cursor_line() == line, f"the cursor to reach line {line}", 10)
        self.snap(f"line-{line}")

    def cursor_line(self) -> int | None:
        status = self.page.locator("#status\\.editor\\.selection, .statusbar-item[id*='selection']")
        if status.count() == 0:
            return None
        match = re.search(r"Ln (\d+)", status.first.inner_text())
        return int(match.group(1)) if match else None

    def editor_text(self) -> str:
        """The text of the active editor as rendered (small files: every line is on screen)."""
        lines = self.page.evaluate(
            """() => {
                const root = document.querySelector(
                    '.editor-group-container.active .monaco-editor .view-lines');
                if (!root) return null;
                return [...root.querySelectorAll('.view-line')]
                    .map(line => [parseFloat(line.style.top) || 0, line.textContent])
                    .sort((a, b) => a[0] - b[0])
                    .map(pair => pair[1]);
            }"""
        )
        if lines is None:
            raise self.fail("no editor is active")
        return "\n".join(line.replace("\u00a0", " ") for line in lines)

    def save(self) -> None:
        """Ctrl+S in the active editor, then wait for its tab to lose the dirty mark."""
        self.focus_editor_keeping_cursor()
        self.press("Control+s")
        self.wait_until(
            lambda: self.page.locator(".tabs-container .tab.active.dirty").count() == 0,
            "the active editor to be saved",
        )
        self.snap("saved")

    # ------------------------------------------------------------------ problems

    def problems(self, expect: str | None = None, timeout_s: float = UI_TIMEOUT_S) -> list[str]:
        """The Problems panel's rows (Ctrl+Shift+M); with ``expect``, wait for a row with it."""
        self.focus_editor_keeping_cursor()
        self.press("Control+Shift+M")
        panel = self.page.locator(".markers-panel")
        self.expect_visible(panel, "the Problems panel")
        rows = panel.locator(".monaco-list-row")

        def texts() -> list[str]:
            return [text.replace("\n", " ") for text in rows.all_inner_texts()]

        if expect is not None:
            self.wait_until(
                lambda: any(expect in text for text in texts()),
                f"a Problems row with {expect!r}",
                timeout_s,
            )
        self.snap("problems")
        return texts()

    # ------------------------------------------------------------------ quick fix

    def quick_fix(self, expect: str | None = None, timeout_s: float = UI_TIMEOUT_S) -> list[str]:
        """Open Quick Fix (Ctrl+.) at the cursor; the titles of its actions.

        With ``expect``, wait for an action whose title contains it. The menu stays open.
        """
        menu = self.page.locator(".action-widget")

        def open_menu() -> None:
            self.focus_editor_keeping_cursor()
            self.press("Control+.")

        self.open_with_retries(open_menu, menu, "the Quick Fix menu")
        items = self.page.locator(".action-widget .monaco-list-row.action .title")

        def titles() -> list[str]:
            return [text.strip() for text in items.all_inner_texts()]

        if expect is not None:
            self.wait_until(
                lambda: any(expect in title for title in titles()),
                f"a Quick Fix item with {expect!r} (menu showed {titles()})",
                timeout_s,
            )
        else:
            self.wait_until(titles, "any Quick Fix item", timeout_s)
        self.snap("quick-fix")
        return titles()

    def choose_quick_fix(self, title: str) -> None:
        """Open Quick Fix and choose the action whose title contains ``title``."""
        self.quick_fix(expect=title)
        item = self.page.locator(".action-widget .monaco-list-row.action", has_text=title)
        item.first.click()
        self.wait_until(
            lambda: not self.page.locator(".action-widget").first.is_visible(),
            "the Quick Fix menu to close",
            5,
        )
        self.snap(f"chose-{title[:30]}")

    def focus_editor_keeping_cursor(self) -> None:
        """Give the active editor the keyboard focus without moving its cursor."""
        self.page.locator(
            ".editor-group-container.active .monaco-editor .native-edit-context,"
            " .editor-group-container.active .monaco-editor textarea.inputarea"
        ).first.focus()
        self.wait_until(
            lambda: self.page.evaluate(
                "!!document.activeElement?.closest('.editor-group-container .monaco-editor')"
            ),
            "the editor to have the keyboard focus",
            5,
        )

    # ------------------------------------------------------------------ commands, dialogs

    def run_command(self, title: str, attempts: int = 4) -> None:
        """Run a palette command by its title (F1, type, choose the row with that title).

        Right after start-up the palette may not list an extension's commands yet: it is
        opened again (up to ``attempts`` times, 5 s each) before the test fails.
        """
        row = self._quick_input_row(title)

        def open_palette() -> None:
            self.press("F1")
            self._quick_input_box().fill(">" + title)

        self.open_with_retries(open_palette, row, f"the palette command {title!r}", attempts)
        self.snap(f"command-{title[:30]}")
        row.first.click()

    def notification(self, text: str, timeout_s: float = UI_TIMEOUT_S) -> Locator:
        """The notification toast whose message contains ``text``, once on screen."""
        toast = self.page.locator(".notification-toast", has_text=text)
        self.expect_visible(toast, f"a notification saying {text!r}", timeout_s)
        return toast.first

    def answer_notification(self, text: str, button: str, timeout_s: float = UI_TIMEOUT_S) -> str:
        """Press ``button`` on the notification that says ``text``; the notification's text."""
        toast = self.notification(text, timeout_s)
        message = toast.locator(".notification-list-item-message").inner_text()
        buttons = toast.locator(".notification-list-item-buttons-container .monaco-button")
        target = buttons.filter(has_text=button)
        if target.count() == 0:
            raise self.fail(
                f"the notification {text!r} has no button {button!r}: {buttons.all_inner_texts()}"
            )
        self.snap(f"notification-{button[:30]}")
        target.first.click()
        self.wait_until(
            lambda: self.page.locator(".notification-toast", has_text=text).count() == 0,
            f"the notification {text!r} to close",
            10,
        )
        return message

    def answer_dialog(self, text: str, button: str, timeout_s: float = UI_TIMEOUT_S) -> str:
        """Press ``button`` in the modal dialog that says ``text``; the dialog's text."""
        dialog = self.page.locator(".monaco-dialog-box", has_text=text)
        self.expect_visible(dialog, f"a dialog saying {text!r}", timeout_s)
        message = dialog.first.inner_text()
        buttons = dialog.first.locator(".dialog-buttons .monaco-button")
        target = buttons.filter(has_text=re.compile(rf"^\s*{re.escape(button)}\s*$"))
        if target.count() == 0:
            raise self.fail(
                f"the dialog {text!r} has no button {button!r}: {buttons.all_inner_texts()}"
            )
        self.snap(f"dialog-{button[:30]}")
        target.first.click()
        self.wait_until(
            lambda: self.page.locator(".monaco-dialog-box", has_text=text).count() == 0,
            f"the dialog {text!r} to close",
            10,
        )
        return message

    def type_into_input_box(
        self, text: str, prompt: str | None = None, password: bool = False
    ) -> None:
        """Type ``text`` into the input box (showInputBox) that says ``prompt``; press Enter.

        With ``password``, the box must hide what is typed (an ``<input type=password>``).
        """
        if prompt is not None:
            self.expect_visible(
                self.quick_input.filter(has_text=prompt), f"an input box saying {prompt!r}"
            )
        box = self._quick_input_box()
        if password:
            self.wait_until(
                lambda: box.get_attribute("type") == "password",
                "an input box that hides what is typed (type=password)",
            )
        box.fill(text)
        self.snap("input-box")
        box.press("Enter")
        self.wait_until(lambda: not self.quick_input.is_visible(), "the input box to close", 10)

    # ------------------------------------------------------------------ refactor preview

    def apply_refactor_preview(self, timeout_s: float = UI_TIMEOUT_S) -> str:
        """Review the pending edit in the Refactor Preview: tick it, press Apply; its text.

        Edits whose change annotation needs confirmation arrive unticked; Apply with nothing
        ticked applies nothing, so every unticked file is ticked first, as a user would.
        """
        pane = self.page.locator(".bulk-edit-panel, .refactor-preview")
        self.expect_visible(pane, "the Refactor Preview", timeout_s)
        rows = pane.locator(".monaco-list-row")
        self.wait_until(lambda: rows.count() > 0, "the edit in the Refactor Preview", 10)
        text = pane.first.inner_text()
        self.snap("refactor-preview")
        boxes = pane.locator(
            ".monaco-list-row .monaco-checkbox, .monaco-list-row input[type=checkbox]"
        )
        for index in range(boxes.count()):
            box = boxes.nth(index)
            if box.get_attribute("aria-checked") == "false" or (
                box.get_attribute("type") == "checkbox" and not box.is_checked()
            ):
                box.click()
        unticked = pane.locator(".monaco-list-row .monaco-checkbox[aria-checked=false]")
        self.wait_until(lambda: unticked.count() == 0, "every change ticked", 5)
        self.snap("refactor-preview-ticked")
        apply = pane.locator(".monaco-button", has_text=re.compile(r"^\s*Apply\s*$"))
        self.expect_visible(apply, "the Refactor Preview's Apply button").click()
        self.wait_until(
            lambda: not pane.first.is_visible() or rows.count() == 0,
            "the Refactor Preview to close after Apply",
            10,
        )
        self.snap("applied")
        return text

    # ------------------------------------------------------------------ editors

    def visible_editor_containing(self, text: str, timeout_s: float = UI_TIMEOUT_S) -> str:
        """The text of a visible editor (any group) that shows ``text``, once there is one."""

        def find() -> str | None:
            editors = self.page.locator(".editor-instance .monaco-editor .view-lines")
            for index in range(editors.count()):
                content = editors.nth(index).inner_text().replace("\u00a0", " ")
                if text in content:
                    return content
            return None

        found = self.wait_until(find, f"an editor showing {text!r}", timeout_s)
        self.snap("editor-shows")
        return str(found)


def wait_for_file(
    path: Path, predicate: Callable[[str], bool], what: str, timeout_s: float = UI_TIMEOUT_S
) -> str:
    """The text of ``path`` once ``predicate`` holds for it; fail with the last text if never."""
    deadline = time.monotonic() + timeout_s
    text = ""
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError):
            text = path.read_text(encoding="utf-8")
            if predicate(text):
                return text
        time.sleep(0.2)
    raise AssertionError(f"{path} never had {what} within {timeout_s:g} s; it holds:\n{text}")


def files_containing(root: Path, needle: str) -> list[Path]:
    """Every regular file under ``root`` whose bytes contain ``needle``."""
    found: list[Path] = []
    encoded = needle.encode()
    if root.is_file():
        return [root] if encoded in root.read_bytes() else []
    for path in root.rglob("*"):
        with contextlib.suppress(OSError):
            if path.is_file() and not path.is_symlink() and encoded in path.read_bytes():
                found.append(path)
    return found


class Review:
    """specloop's review of a validated change (`specloop.review`: diff) in one VS Code.

    The diff editor (the buffer beside the proposal), the evidence comment at its top, the
    Accept / Reject buttons of its title, and Accept hunk / Reject hunk on each hunk.
    """

    TAB = "specloop's change (review)"

    def __init__(self, vscode: VSCode) -> None:
        self.vscode = vscode
        self.page = vscode.page

    def wait_open(self, timeout_s: float = UI_TIMEOUT_S) -> str:
        """The evidence comment's text, once the review's diff editor shows it."""
        vscode = self.vscode
        tab = self.page.locator(".tabs-container .tab", has_text=self.TAB)
        vscode.expect_visible(tab, "the review's tab", timeout_s)
        vscode.expect_visible(self.page.locator(".monaco-diff-editor"), "the review's diff editor")
        evidence = self.threads().filter(has_text="validated")
        vscode.expect_visible(evidence, "the evidence at the top of the proposal")
        vscode.snap("review")
        # VS Code opens its Comments panel beside the first comments: hidden, so the diff
        # has the window's height and shows every line of the task's small change.
        vscode.run_command("View: Hide Panel")
        vscode.wait_until(
            lambda: not self.page.locator(".part.panel").first.is_visible(), "the panel to hide", 10
        )
        vscode.snap("review-without-panel")
        return str(evidence.first.inner_text()).replace("\u00a0", " ")

    def threads(self) -> Locator:
        return self.page.locator(".monaco-diff-editor .review-widget")

    def proposal_text(self) -> str:
        """The proposal side (right) of the diff, as rendered."""
        side = self.page.locator(".monaco-diff-editor .editor.modified .view-lines").first
        return str(side.inner_text()).replace("\u00a0", " ")

    def accept(self, timeout_s: float = UI_TIMEOUT_S) -> str:
        """Wait for the review, press Accept Change, wait for the file's editor; the evidence."""
        evidence = self.wait_open(timeout_s)
        self.decide("Accept Change")
        self.wait_closed()
        self.vscode.expect_visible(
            self.page.locator(".tabs-container .tab.active"), "the edited file's tab"
        )
        return evidence

    def decide(self, button: str) -> None:
        """Press ``button`` (Accept Change, Reject Change) in the editor title."""
        action = self.page.locator(f".editor-actions .action-label[aria-label^='{button}']")
        self.vscode.expect_visible(action, f"the editor title's {button!r}").click()

    def decide_hunk(self, hunk: str, button: str) -> None:
        """Press ``button`` (Accept hunk, Reject hunk) on the thread labelled ``hunk``."""
        thread = self.threads().filter(has_text=hunk)
        action = thread.locator(f".action-label[aria-label^='{button}']")
        self.vscode.expect_visible(action, f"{button!r} on {hunk!r}").click()
        self.vscode.snap(f"{button}-{hunk}")

    def close(self) -> None:
        """Close the review's tab (its close button), as a user leaving it undecided."""
        tab = self.page.locator(".tabs-container .tab", has_text=self.TAB)
        self.vscode.expect_visible(
            tab.locator(".tab-actions .action-label"), "the tab's close button"
        )
        tab.locator(".tab-actions .action-label").first.click()

    def wait_closed(self, timeout_s: float = UI_TIMEOUT_S) -> None:
        tab = self.page.locator(".tabs-container .tab", has_text=self.TAB)
        self.vscode.wait_until(lambda: tab.count() == 0, "the review to close", timeout_s)
        self.vscode.snap("review-closed")
