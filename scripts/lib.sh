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
