"""Fetch the pinned third-party sdists that the TODO-spec corpus refers to.

The labelled corpus (``batch1_labelled.jsonl``) stores only *references* into real
source distributions -- project, version, path, line and a fingerprint of the
spec text -- never the text itself. This module turns those references back into
files: it downloads each sdist listed in ``sources.json`` from the package index
that pip uses, checks its sha256, and extracts it (top-level folder stripped) into
``<cache_dir>/<project>-<version>/``. Extraction is idempotent: a finished tree
carries a marker file and is not touched again.

It also owns :func:`spec_fingerprint`, the normalisation the corpus uses to tie a
label to the exact text it was given for (see the comment above that function).

Stdlib only (pip is asked for its index URL when it is installed, nothing else).
Run ``python -m benchmarks.corpus.fetch`` to fetch everything.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCES_FILE = HERE / "sources.json"
DEFAULT_CACHE_DIR = HERE.parent / ".cache" / "sdists"
MARKER = ".specloop-extracted"
SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"
TIMEOUT_S = 120


# Fingerprint normalisation. A spec is a comment block or a docstring. For each of
# its lines we strip surrounding whitespace, then any leading '#' characters, then
# any quote characters (' and ") at both ends, then whitespace again; empty lines
# are dropped and the rest are joined with a single space. The fingerprint is the
# sha1 hex digest of that string encoded as UTF-8. So "# TODO: a\n#   b" and
# '"""TODO: a\n    b"""' both become "TODO: a b". The marker word is kept.
def normalise_spec(text: str) -> str:
    """Return the whitespace/comment/quote-insensitive form of a spec text."""
    parts = []
    for raw in text.splitlines():
        line = raw.strip().lstrip("#").strip().strip("'\"").strip()
        if line:
            parts.append(line)
    return " ".join(parts)


def spec_fingerprint(text: str) -> str:
    """Return the sha1 hex digest of :func:`normalise_spec` of ``text``."""
    return hashlib.sha1(normalise_spec(text).encode("utf-8")).hexdigest()


def load_sources(path: Path = SOURCES_FILE) -> list[dict[str, str]]:
    """Read the pinned sdist list (project, version, sdist_filename, sha256)."""
    return json.loads(path.read_text(encoding="utf-8"))


def index_url() -> str:
    """Return the simple-index base URL pip would use (env, pip config, pip default)."""
    for var in ("SPECLOOP_INDEX_URL", "PIP_INDEX_URL"):
        if os.environ.get(var):
            return os.environ[var].rstrip("/")
    try:
        out = subprocess.run(
            [sys.executable, "-m", "pip", "config", "get", "global.index-url"],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if out.returncode == 0 and out.stdout.strip():
            return out.stdout.strip().rstrip("/")
        from pip._internal.models.index import PyPI  # pip's own default index

        return PyPI.simple_url.rstrip("/")
    except (ImportError, OSError, subprocess.SubprocessError) as exc:
        raise RuntimeError(
            "Cannot tell which package index to use: install pip, or set "
            "SPECLOOP_INDEX_URL to a simple-index URL."
        ) from exc


def sdist_url(project: str, filename: str, base: str) -> str:
    """Find the download URL of ``filename`` on the project's simple-index page."""
    page = f"{base}/{project.lower()}/"
    accept = f"{SIMPLE_JSON}, text/html;q=0.1"
    req = urllib.request.Request(page, headers={"Accept": accept})
    with urllib.request.urlopen(req, timeout=TIMEOUT_S) as resp:
        is_json = "json" in resp.headers.get("Content-Type", "")
        body = resp.read().decode("utf-8")
    if is_json:
        links = {f["filename"]: f["url"] for f in json.loads(body)["files"]}
    else:  # PEP 503 HTML page: the link text is the file name
        links = {}
        for href, text in re.findall(r'<a [^>]*href="([^"]+)"[^>]*>([^<]+)</a>', body):
            links[html.unescape(text).strip()] = html.unescape(href)
    if filename in links:
        return urllib.parse.urljoin(page, links[filename])
    raise RuntimeError(f"{filename} is not listed on the index page of {project}.")


def download(url: str, dest: Path, sha256: str) -> None:
    """Download ``url`` to ``dest`` and check its sha256 (the file is removed on mismatch)."""
    digest = hashlib.sha256()
    tmp = dest.with_suffix(dest.suffix + ".part")
    with urllib.request.urlopen(url, timeout=TIMEOUT_S) as resp, tmp.open("wb") as out:
        while chunk := resp.read(1 << 20):
            digest.update(chunk)
            out.write(chunk)
    if digest.hexdigest() != sha256:
        tmp.unlink()
        raise RuntimeError(
            f"sha256 mismatch for {dest.name}: expected {sha256}, got {digest.hexdigest()}. "
            "Check the pin in sources.json."
        )
    tmp.replace(dest)


def _file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def extract(archive: Path, target: Path) -> None:
    """Extract ``archive`` into ``target`` with its single top-level folder stripped."""
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        tmp_path = Path(tmp)
        if archive.name.endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(tmp_path)
        else:
            with tarfile.open(archive) as tf:
                if hasattr(tarfile, "data_filter"):  # Python >= 3.11.4
                    tf.extractall(tmp_path, filter="data")
                else:  # pragma: no cover - older 3.11 patch releases
                    tf.extractall(tmp_path)  # the archive is pinned and hash-checked
        entries = list(tmp_path.iterdir())
        root = entries[0] if len(entries) == 1 and entries[0].is_dir() else tmp_path
        if target.exists():
            shutil.rmtree(target)
        shutil.move(str(root), str(target))
    (target / MARKER).write_text("ok\n", encoding="utf-8")


def ensure_sources(
    cache_dir: Path | str = DEFAULT_CACHE_DIR, sources: Path = SOURCES_FILE
) -> dict[str, Path]:
    """Make sure every pinned sdist of ``sources`` is extracted; return {project: sdist root}."""
    cache = Path(cache_dir)
    archives = cache / "_archives"
    archives.mkdir(parents=True, exist_ok=True)
    roots: dict[str, Path] = {}
    base: str | None = None
    for src in load_sources(sources):
        target = cache / f"{src['project']}-{src['version']}"
        if not (target / MARKER).is_file():
            archive = archives / src["sdist_filename"]
            if not (archive.is_file() and _file_sha256(archive) == src["sha256"]):
                base = base or index_url()
                url = sdist_url(src["project"], src["sdist_filename"], base)
                download(url, archive, src["sha256"])
            extract(archive, target)
        roots[src["project"]] = target
    return roots


def main() -> int:
    """Fetch and extract every pinned sdist, printing where each one is."""
    cache = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT_CACHE_DIR
    start = time.monotonic()
    roots = ensure_sources(cache)
    for project, root in roots.items():
        print(f"{project:12} {root}")
    print(f"{len(roots)} sdists ready in {time.monotonic() - start:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
