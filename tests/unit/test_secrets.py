"""What counts as a secret, which project files never reach the sandbox, and redaction."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from specloop.secrets import REDACTED, Redactor, is_secret_file, project_secrets
from specloop.validate.project_copy import project_files
from tests.support.file_times import age


@pytest.mark.parametrize(
    "path",
    [".env", ".env.local", "tests/.env", "config/id_rsa", "certs/server.pem", "deploy/prod.key",
     "tests/secrets/data.json", "credentials.json", "aws_credentials", "client_secret.txt",
     ".npmrc", "tests/.hidden/fixture.txt", "secrets/settings.py", "terraform.tfstate",
     # one per kind the rule names, none of them a dotfile (those are all out anyway)
     "keys/app.p12", "app.pfx", "store.jks", "app.keystore", "vault.kdbx", "backup.gpg",
     "signing.asc", "server.crt", "server.cer", "config/id_dsa", "id_ecdsa", "id_ed25519.pub",
     "prod.tfstate.backup", "service-account-prod.json", "service_account.json",
     "deploy/my_credentials.yaml", "secrets/anything.txt", "ops/.aws/config"],
)  # fmt: skip
def test_secret_files_are_recognised(path: str):
    assert is_secret_file(path)


@pytest.mark.parametrize(
    "path",
    ["pricing.py", "tests/test_secrets.py", "secret_santa.py", "tests/data/input.json",
     "pyproject.toml", "tests/conftest.py", "docs/keyboard.md"],
)  # fmt: skip
def test_code_and_test_data_are_not_secrets(path: str):
    assert not is_secret_file(path)


@pytest.mark.parametrize(
    ("path", "secret"),
    [("./.env", True), ("a/./.env", True), ("a//secrets/x.py", True), ("/abs/.hidden/x.py", True),
     ("./pricing.py", False), ("a//b/pricing.py", False), ("/abs/pkg/pricing.py", False)],
)  # fmt: skip
def test_paths_are_judged_by_their_parts_however_they_are_spelled(path: str, secret: bool):
    assert is_secret_file(path) is secret


def test_the_values_of_secret_files_are_collected_for_redaction(tmp_path: Path):
    (tmp_path / ".env").write_text("export API_TOKEN='abc123def456'\nDEBUG=true\n")
    (tmp_path / "secrets").mkdir()
    (tmp_path / "secrets" / "creds.json").write_text(json.dumps({"a": {"b": "Zz9-secret-99"}}))
    (tmp_path / "app.py").write_text("KEY = 'not collected from code'\n")
    found = project_secrets(tmp_path)
    assert {"abc123def456", "Zz9-secret-99"} <= found
    assert "true" not in found and "not collected from code" not in " ".join(found)


def test_secrets_are_found_anew_once_a_secret_file_is_edited_or_added(tmp_path: Path):
    (tmp_path / "config").mkdir()
    (tmp_path / ".env").write_text("TOKEN=first-secret-111\n")
    age(tmp_path)  # old enough for the walk to be kept between calls
    assert "first-secret-111" in project_secrets(tmp_path)
    with (tmp_path / ".env").open("a") as env:  # edited in place: no folder changes
        env.write("OTHER=second-secret-222\n")
    assert "second-secret-222" in project_secrets(tmp_path)
    (tmp_path / "config" / "credentials.json").write_text('{"k": "third-secret-333"}')
    assert "third-secret-333" in project_secrets(tmp_path)


def test_the_sandbox_copy_leaves_secret_files_out(tmp_path: Path):
    (tmp_path / "tests" / "secrets").mkdir(parents=True)
    for name in ("pricing.py", "tests/test_pricing.py", "tests/.env", "tests/fixture.json",
                 "tests/secrets/token.txt", "tests/server.pem", ".env"):  # fmt: skip
        (tmp_path / name).write_text("x")
    copied = project_files(tmp_path, "pricing.py", ["tests/test_pricing.py"])
    assert sorted(copied) == ["pricing.py", "tests/fixture.json", "tests/test_pricing.py"]


def test_a_redactor_masks_environment_and_project_secrets_and_key_shapes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.setenv("SOME_SERVICE_TOKEN", "tok-environment-1234")
    monkeypatch.setenv("NAMED_BY_SETTINGS", "named-value-5678")
    (tmp_path / ".env").write_text("PASSWORD=file-secret-9999\n")
    redactor = Redactor.for_run(["NAMED_BY_SETTINGS"], tmp_path)
    text = (
        "tok-environment-1234 named-value-5678 file-secret-9999 sk-abcdefghijk AKIAABCDEFGHIJKLMNOP"
    )
    masked = redactor.redact(text)
    assert masked == " ".join([REDACTED] * 5)


def test_editor_settings_are_kept_out_of_the_sandbox_but_are_not_secrets(tmp_path: Path):
    (tmp_path / ".vscode").mkdir()
    (tmp_path / ".vscode" / "settings.json").write_text(
        '{"specloop.python": "/home/me/envs/project/bin/python"}'
    )
    (tmp_path / ".vscode" / "credentials.json").write_text('{"token": "vscode-token-123456"}')
    assert is_secret_file(".vscode/settings.json")
    found = project_secrets(tmp_path)
    assert "/home/me/envs/project/bin/python" not in found
    assert "vscode-token-123456" in found


def test_a_secret_is_masked_reversed_in_hex_and_in_base64_wherever_it_starts() -> None:
    import base64

    secret = "tok-environment-1234-abcdef"
    redactor = Redactor(frozenset({secret}))
    for prefix in ("", "x", "xy"):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode((prefix + secret).encode()).decode()
            assert secret[4:-4] not in redactor.redact(encoded)
            masked = redactor.redact(f"printed: {encoded}")
            assert REDACTED in masked, (prefix, encoded)
    assert redactor.redact(secret[::-1]) == REDACTED
    assert redactor.redact(secret.encode().hex()) == REDACTED
    assert redactor.redact("nothing to see") == "nothing to see"


def test_a_symlink_is_judged_by_what_it_points_to(tmp_path: Path) -> None:
    (tmp_path / ".env.local").write_text("PASSWORD=file-secret-9999\n")
    (tmp_path / "config_local.py").symlink_to(tmp_path / ".env.local")
    (tmp_path / "pricing.py").write_text("X = 1\n")
    assert project_files(tmp_path, "pricing.py", []) == ["pricing.py"]
