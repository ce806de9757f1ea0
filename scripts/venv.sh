# Shared by scripts/test and scripts/demo: create the virtualenv and install the lock file into it.
# Expects to be sourced from the repository root with $venv set.

python_for_venv() {
    local candidate
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null \
            && "$candidate" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
            echo "$candidate"
            return 0
        fi
    done
    echo "dealbot needs Python 3.11 (python3.11 or python3 on PATH)" >&2
    return 1
}

ensure_venv() {
    local stamp="$venv/.dealbot-installed" wanted
    wanted=$(cat requirements.lock pyproject.toml | sha256sum | cut -d' ' -f1)
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]]; then
        return 0
    fi
    if [[ ! -x "$venv/bin/python" ]]; then
        local python
        python=$(python_for_venv)
        echo "--- creating virtualenv $venv with $python"
        if ! "$python" -m venv "$venv"; then
            echo "could not create $venv: on Debian or Ubuntu, 'apt-get install python3-venv' first" >&2
            return 1
        fi
    fi
    echo "--- installing requirements.lock (with hashes) and dealbot into $venv"
    local pip=("$venv/bin/python" -m pip --disable-pip-version-check --no-input)
    local log="$venv/pip-install.log"
    # pip's output goes to a log, shown only when the install fails, so a green run stays short.
    if ! { "${pip[@]}" install --progress-bar off --require-hashes -r requirements.lock \
            && "${pip[@]}" install --progress-bar off --no-deps -e .; } >"$log" 2>&1; then
        tail -n 60 "$log" >&2
        echo "scripts/test: pip install failed; full output in $log" >&2
        return 1
    fi
    echo "$wanted" >"$stamp"
}

