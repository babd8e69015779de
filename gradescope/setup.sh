#!/usr/bin/env bash
# Gradescope runs this once, as root, in /autograder/source, to build the image.
#
# Environment (for tests and other hosts; Gradescope sets none of these):
#   PYTHON           an interpreter that already has, or may get, requirements.txt;
#                    default: a fresh venv in $GRADESCOPE_ROOT/venv
#   GRADLAB_SKIP_APT=1  never call apt-get (no root, no network, or already set up)
#   GRADESCOPE_ROOT  default /autograder
set -euo pipefail

ROOT="${GRADESCOPE_ROOT:-/autograder}"
SOURCE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

# The kit needs Python 3.11 or newer (tomllib; NumPy and TensorFlow pins).
find_python() {
    for candidate in python3.13 python3.12 python3.11 python3; do
        if command -v "$candidate" >/dev/null &&
           "$candidate" -c 'import sys, venv, ensurepip; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
            command -v "$candidate"
            return 0
        fi
    done
    return 1
}

if [ -z "${PYTHON:-}" ]; then
    if ! BASE="$(find_python)"; then
        if [ "${GRADLAB_SKIP_APT:-0}" = "1" ]; then
            echo "setup.sh: no Python >= 3.11 with venv found, and GRADLAB_SKIP_APT=1" >&2
            exit 1
        fi
        # Ubuntu 22.04 images ship 3.10: 3.11 is in its universe repository.
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        apt-get install -y -qq python3.11 python3.11-venv || apt-get install -y -qq python3 python3-venv
        BASE="$(find_python)"
    fi
    "$BASE" -m venv "$ROOT/venv"
    PYTHON="$ROOT/venv/bin/python"
fi

"$PYTHON" -m pip install --quiet --disable-pip-version-check -r "$SOURCE/requirements.txt"
# The kit is the students' wheel (grading.toml and the released notebook inside), installed into
# a folder of its own that run_autograder puts first on PYTHONPATH: the same files whether
# PYTHON is this fresh venv or an interpreter that already has the requirements.
rm -rf "$ROOT/kit"
"$PYTHON" -m pip install --quiet --disable-pip-version-check --no-deps --target "$ROOT/kit" \
    "$SOURCE"/gradlab-*-py3-none-any.whl
"$PYTHON" -c 'import sys; print(sys.executable)' > "$SOURCE/.python"
cd "$ROOT" && PYTHONPATH="$ROOT/kit" "$PYTHON" -m autograder gradescope run --help >/dev/null \
    && echo "setup.sh: ready, grading with $(cat "$SOURCE/.python")"
