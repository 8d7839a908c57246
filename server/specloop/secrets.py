"""What counts as a secret, and the one redaction every output goes through.

Secrets are: values of environment variables whose names look secret (``*KEY*``,
``*TOKEN*``, ``*SECRET*``, ``*PASSWORD*``, ``*CREDENTIAL*``, cloud prefixes) or that
the settings name (``apiKeyEnv``); anything shaped like an API key; and the values
held by the project's secret files (``.env``, ``*.pem``, ``credentials.json``,
``secrets/``...), which are never copied into the sandbox either
(`is_secret_file`). A `Redactor` holds one run's secrets and masks them in prompts,
validation output fed back to the model, run records, reports and logs.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import json
import os
import re
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from specloop.kept_walks import KeptWalks

REDACTED = "[REDACTED]"
_SECRET_NAME = re.compile(
    r"(KEY|TOKEN|SECRET|PASSWORD|PASSWD|PASSPHRASE|CREDENTIAL|AUTH|SESSION|COOKIE|"
    r"^AWS_|^AZURE_|^GOOGLE_|^GCP_|^OPENAI_|^ANTHROPIC_|^HF_|^GITHUB_|^GH_)",
    re.IGNORECASE,
)
_MIN_SECRET_LENGTH = 6
_KEY_SHAPES = (
    re.compile(r"\bsk-[A-Za-z0-9_\-]{6,}"),
    re.compile(r"\bAIza[0-9A-Za-z_\-]{20,}"),
    re.compile(r"(?i)\bBearer\s+[A-Za-z0-9._~+/=\-]+"),
    re.compile(r"\b(?:gh[pousr]_|xox[abprs]-|pk-|rk-)[A-Za-z0-9_\-]{8,}"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    re.compile(
        r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|\Z)"
    ),
)

_SECRET_FILE = re.compile(
    r"^(?:\.env(?:\..*)?|.*\.(?:pem|key|p12|pfx|jks|keystore|kdbx|gpg|asc|crt|cer)|"
    r"id_(?:rsa|dsa|ecdsa|ed25519)(?:\.pub)?|\.netrc|\.pgpass|\.npmrc|\.pypirc|"
    r"\.git-credentials|.*credential.*|.*secret.*|.*\.tfstate(?:\.backup)?|"
    r"service[-_]account.*\.json)$",
    re.IGNORECASE,
)
_SECRET_FOLDERS = frozenset({"secrets", ".ssh", ".aws", ".gnupg", ".docker", ".kube", ".azure"})
_SOURCE_SUFFIXES = (".py", ".pyi")
_TOOL_FOLDERS = frozenset({".vscode", ".idea", ".github", ".gitlab", ".devcontainer", ".circleci"})
"""Committed settings of editors and CI: kept out of the sandbox like every dot-folder, but
what they hold (an interpreter path, a workflow name) is configuration, not a secret."""
_NOT_THE_PROJECT = frozenset({".git", "node_modules", "__pycache__", "site-packages"})
_MAX_SECRET_FILE_BYTES = 256 * 1024
_VALUE = re.compile(r"""^\s*(?:export\s+)?[\w.\-]+\s*[:=]\s*["']?([^"'\s#]+)""")


def is_secret_file(relative: str) -> bool:
    """Whether a project file must stay out of the sandbox (and its values out of outputs).

    Dotfiles and secret-looking names, and anything below a secrets folder. Python
    sources are code, not secrets, unless they sit below such a folder.
    """
    # Split by hand: PurePosixPath costs more than the rest of this, once per project file.
    parts = [part for part in relative.split("/") if part and part != "."]
    if any(part in _SECRET_FOLDERS or part.startswith(".") for part in parts[:-1]):
        return True
    name = parts[-1] if parts else ""
    if name.endswith(_SOURCE_SUFFIXES):
        return name.startswith(".")
    return name.startswith(".") or bool(_SECRET_FILE.match(name))


def environment_secrets(extra_names: Iterable[str] = ()) -> set[str]:
    """Values of environment variables that look secret, and of the named ones."""
    names = {name for name in os.environ if _SECRET_NAME.search(name)} | set(extra_names)
    values = (os.environ.get(name, "") for name in names)
    return {value for value in values if len(value) >= _MIN_SECRET_LENGTH}


_FOUND: KeptWalks[tuple[str, int], frozenset[str]] = KeptWalks()
"""The process's walks for secret files (a server's, across its runs)."""


def project_secrets(root: Path, max_files: int = 100_000) -> set[str]:
    """The values held by the project's secret files (at most ``max_files`` looked at)."""
    key = (str(root), max_files)
    kept = _FOUND.get(key)
    if kept is not None:
        return set(kept)
    started = time.time_ns()
    read: list[str] = []
    found: set[str] = set()
    for path in _secret_files(root, max_files, read):
        read.append(str(path))
        try:
            if path.stat().st_size > _MAX_SECRET_FILE_BYTES:
                continue
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        found |= _values(text)
    _FOUND.keep(key, read, frozenset(found), started)
    return found


def _secret_files(root: Path, max_files: int, read: list[str]) -> Iterator[Path]:
    """The secret files below ``root``; ``read`` is told of each folder listed and of each
    environment's ``pyvenv.cfg`` (a folder that stops being one is walked again)."""
    seen = 0
    for directory, subdirs, files in os.walk(root):
        read.append(directory)
        here = Path(directory)
        # Environments and dependencies are not the project's own files.
        kept = []
        for name in subdirs:
            marker = here / name / "pyvenv.cfg"
            if name in _NOT_THE_PROJECT:
                continue
            if marker.exists():
                read.append(str(marker))
                continue
            kept.append(name)
        subdirs[:] = kept
        folder = here.relative_to(root).as_posix()
        for name in files:
            seen += 1
            if seen > max_files:
                return
            relative = name if folder == "." else f"{folder}/{name}"
            if is_secret_file(relative) and not _tool_setting(relative):
                yield here / name


def _tool_setting(relative: str) -> bool:
    parts = PurePosixPath(relative).parts
    return parts[0] in _TOOL_FOLDERS and not _SECRET_FILE.match(parts[-1])


def _values(text: str) -> set[str]:
    """Secret-looking values in a file: ``KEY=value`` values, JSON strings, whole lines."""
    values: set[str] = set()
    with contextlib.suppress(ValueError):
        values |= set(_json_strings(json.loads(text)))
    for line in text.splitlines():
        match = _VALUE.match(line)
        values.add(match.group(1) if match else line.strip())
    return {value for value in values if len(value) >= 8 and not value.isalpha()}


def _json_strings(data: object) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for value in data.values():
            yield from _json_strings(value)
    elif isinstance(data, list):
        for value in data:
            yield from _json_strings(value)


@dataclass(frozen=True)
class Redactor:
    """One run's secrets; `redact` masks them, and anything shaped like a key."""

    secrets: frozenset[str] = frozenset()

    @classmethod
    def for_run(cls, secret_names: Iterable[str] = (), root: Path | None = None) -> Redactor:
        found = environment_secrets(secret_names)
        if root is not None:
            found |= project_secrets(root)
        return cls(frozenset(found))

    def with_secrets(self, more: Iterable[str]) -> Redactor:
        return Redactor(self.secrets | {value for value in more if value})

    def redact(self, text: str) -> str:
        return redact(text, self.secrets)


def redact(text: str, secrets: Iterable[str]) -> str:
    """``text`` with every secret — also reversed, in hex or in base64 — and anything
    shaped like an API key masked. Code under test that prints a secret encoded must not
    get it into the next prompt or the record."""
    spellings = {spelling for secret in secrets if secret for spelling in _spellings(secret)}
    for spelling in sorted(spellings, key=len, reverse=True):
        text = text.replace(spelling, REDACTED)
    for shape in _KEY_SHAPES:
        text = shape.sub(REDACTED, text)
    return text


@functools.lru_cache(maxsize=4096)
def _spellings(secret: str) -> tuple[str, ...]:
    """The secret as written, reversed, in hex, and the parts of its base64 (standard and
    URL-safe) that do not depend on what stands before or after it."""
    data = secret.encode()
    found = {secret, secret[::-1], data.hex(), data.hex().upper()}
    for offset in range(3):
        padded = b"\0" * offset + data
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(padded).decode()
            end = len(encoded) - (4 if len(padded) % 3 else 0)
            found.add(encoded[4 if offset else 0 : end])
    return tuple(spelling for spelling in found if len(spelling) >= _MIN_SECRET_LENGTH)
