#!/usr/bin/env bash
# The action's "Install iacplan" step: iacplan in a virtualenv of its own, under RUNNER_TEMP,
# so the job's Python and its packages (checkov's hcl2, say) are not touched; only the
# `iacplan` entry point goes on PATH, in a directory that holds nothing else.
# In: PYTHON (the interpreter to build the virtualenv with; default python3), EXTRAS,
# GITHUB_ACTION_PATH, RUNNER_TEMP, GITHUB_PATH, GITHUB_OUTPUT.
set -euo pipefail

venv="$RUNNER_TEMP/iacplan-venv"
"${PYTHON:-python3}" -m venv "$venv"
bin="$venv/bin"
if [ -d "$venv/Scripts" ]; then bin="$venv/Scripts"; fi  # Windows
spec="$GITHUB_ACTION_PATH"
if [ -n "${EXTRAS:-}" ]; then spec="${spec}[${EXTRAS}]"; fi
"$bin/python" -m pip install --disable-pip-version-check --quiet "$spec"

entry="$RUNNER_TEMP/iacplan-bin"
mkdir -p "$entry"
ln -sf "$bin/iacplan" "$entry/iacplan"
echo "$entry" >> "$GITHUB_PATH"
{
  echo "python=$bin/python"
  echo "iacplan=$bin/iacplan"
} >> "$GITHUB_OUTPUT"
