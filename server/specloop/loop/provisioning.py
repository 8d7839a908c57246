"""Settings -> what a run needs: the model to call, the budget, the sandbox limits.

The defaults are the `Settings` model's, written once in `config.py`; the CLI turns its
flags into Settings, the language server reads them from the editor, and both come here.

`ModelProvider` owns the embedded model: when no model is configured it starts
SmolLM2 (extra `local`) once, on first use, and keeps it until closed — for one CLI
run, or for the language server's whole lifetime.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING

from specloop.config import Settings
from specloop.defaults import DEFAULT_MAX_ATTEMPTS
from specloop.loop.llm import ModelConfig
from specloop.loop.models import Stage
from specloop.validate.sandbox import SandboxLimits

if TYPE_CHECKING:
    from specloop.loop.local_model import LocalModelServer

EMBEDDED_MODEL_NOTE = "No model is configured: starting the embedded model (SmolLM2-135M)"
_EMBEDDED_MAX_TOKENS = 1024
"""SmolLM2 rambles: a short cap ends a runaway answer quickly and clearly."""


@dataclass(frozen=True)
class Budget:
    """What one run may spend before it stops: attempts, tokens, wall-clock seconds."""

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    max_tokens: int = 60_000
    deadline_s: float = 600.0


class ProvisioningError(Exception):
    """The model cannot be provided as configured; the message says what to do."""


EMBEDDED_DEADLINE_S = 60.0
"""The embedded model is for trying specloop: a run with it ends within a minute."""
EMBEDDED_MODEL_ADVICE = (
    "This run used the embedded model (SmolLM2-135M): a tiny offline model for trying "
    "specloop, which rarely writes code that validates. For real work, configure a model: "
    "`model` (and `apiBase`, `apiKeyEnv`) in the specloop settings, or --model/--api-base."
)


def budget(settings: Settings) -> Budget:
    if configured_model(settings) is None:
        return Budget(max_attempts=settings.max_attempts, deadline_s=EMBEDDED_DEADLINE_S)
    return Budget(max_attempts=settings.max_attempts)


CONFIGURED_MODEL_SAMPLES = 3
EMBEDDED_MODEL_SAMPLES = 1
"""The embedded model is slow and weak: more of its samples add time, not trust."""


def samples(settings: Settings) -> int:
    """How many validated candidates a run compares by behaviour."""
    if settings.samples is not None:
        return settings.samples
    return CONFIGURED_MODEL_SAMPLES if settings.model else EMBEDDED_MODEL_SAMPLES


def sandbox_limits(settings: Settings) -> SandboxLimits:
    """A check's limits: its wall clock and, as many seconds, its CPU time."""
    return SandboxLimits(wall_s=settings.check_timeout, cpu_s=max(1, int(settings.check_timeout)))


def secret_names(settings: Settings) -> tuple[str, ...]:
    """Environment variables whose values must never reach a record or a log."""
    return (settings.api_key_env,) if settings.api_key_env else ()


def configured_model(settings: Settings) -> ModelConfig | None:
    """The model the settings name, or None when the embedded one should be used."""
    if not settings.model:
        return None
    stage_models = settings.stage_models.model_dump(exclude_none=True)
    return ModelConfig(
        model=settings.model,
        api_base=settings.api_base,
        api_key_env=settings.api_key_env,
        temperature=settings.temperature,
        timeout_s=settings.timeout,
        stage_models={Stage(stage): model for stage, model in stage_models.items()},
    )


class ModelProvider:
    """Model configurations from settings; the embedded model, started once when needed."""

    def __init__(self) -> None:
        self._local: LocalModelServer | None = None
        self._lock = asyncio.Lock()

    @property
    def embedded_running(self) -> bool:
        return self._local is not None and self._local.running

    async def config(
        self, settings: Settings, on_note: Callable[[str], None] = lambda message: None
    ) -> ModelConfig:
        """The model to call for ``settings``; raises ProvisioningError when there is none."""
        configured = configured_model(settings)
        if configured is not None:
            return configured
        server = await self._embedded(on_note)
        return ModelConfig(
            model=server.litellm_model,
            api_base=server.base_url,
            temperature=settings.temperature,
            timeout_s=settings.timeout,
            schema_format="json_object",
            max_tokens=_EMBEDDED_MAX_TOKENS,
        )

    def embedded_stopped(self) -> str | None:
        """Why calls to the embedded model fail, when it was started and has died since.

        A dead embedded model otherwise surfaces as a connection error that blames
        apiBase, which the user never set.
        """
        local = self._local
        if local is None or local.running:
            return None
        return (
            f"The embedded model stopped while specloop was using it (exit code "
            f"{local.exit_code}; its log: {local.log_path}). Run the loop again to restart "
            "it. If it stops on every answer, llama.cpp was built for CPU features this "
            "machine does not allow (the kernel log shows a general protection fault): "
            "reinstall llama-cpp-python with CMAKE_ARGS that leave out AMX, as "
            "scripts/lib.sh does."
        )

    async def _embedded(self, on_note: Callable[[str], None]) -> LocalModelServer:
        from specloop.loop.local_model import LocalModelError, LocalModelMissing, LocalModelServer

        async with self._lock:
            if self._local is not None and self._local.running:
                return self._local
            on_note(EMBEDDED_MODEL_NOTE)
            server = self._local or LocalModelServer()
            try:
                await server.start_async()
            except (LocalModelMissing, LocalModelError) as error:
                raise ProvisioningError(str(error)) from error
            self._local = server
            return server

    async def close(self) -> None:
        """Stop the embedded model, if it was started."""
        local, self._local = self._local, None
        if local is not None:
            await asyncio.to_thread(local.stop)

    async def __aenter__(self) -> ModelProvider:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()
