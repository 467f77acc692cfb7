#!/usr/bin/env bash
# The action's "Check" step. It never fails itself: its outputs carry iacplan's exit code, which
# the "Result" step ends the job with, after the comment and the SARIF upload.
# In: IACPLAN, PYTHON (from the install step), PATHS, ARGS, BASE_REF, FAIL_ON, HEAD_REPO,
# UPLOAD_SARIF, SARIF_CATEGORY, and the runner's GITHUB_* and RUNNER_TEMP.
set -o pipefail

out="$RUNNER_TEMP/iacplan"
mkdir -p "$out"
action="$(dirname "${BASH_SOURCE[0]}")"
code=0

# A pull request from a fork, or Dependabot's, runs with a read-only token: no comment can be
# posted and no SARIF uploaded. The check itself runs the same.
read_only=false
if [ "${GITHUB_EVENT_NAME:-}" = pull_request ] && [ -n "${HEAD_REPO:-}" ] &&
  [ "$HEAD_REPO" != "${GITHUB_REPOSITORY:-}" ]; then
  read_only=true
fi
if [ "${GITHUB_ACTOR:-}" = "dependabot[bot]" ]; then read_only=true; fi

printf '%s' "${PATHS:-}" | "$PYTHON" "$action/arguments.py" paths "$out/paths" || code=2
printf '%s' "${ARGS:-}" | "$PYTHON" "$action/arguments.py" args "$out/args" || code=2

if [ "$code" = 0 ] && [ -z "${BASE_REF:-}" ] && [ -n "${GITHUB_BASE_REF:-}" ]; then
  BASE_REF="origin/$GITHUB_BASE_REF"
  if ! git rev-parse --verify --quiet "$BASE_REF^{commit}" > /dev/null; then
    # A shallow checkout (the default fetch-depth: 1) lacks the base branch: one commit of it
    # is enough. This needs the checkout's credentials on a private repository.
    if ! git fetch --no-tags --depth=1 origin \
      "+refs/heads/$GITHUB_BASE_REF:refs/remotes/origin/$GITHUB_BASE_REF"; then
      echo "::error title=iacplan::cannot fetch $BASE_REF (with persist-credentials: false on a" \
        "private repository, check out with fetch-depth: 0 so the base is there)"
      code=2
    fi
  fi
fi

if [ "$code" = 0 ]; then
  paths=()
  while IFS= read -r -d '' item; do paths+=("$item"); done < "$out/paths"
  args=()
  while IFS= read -r -d '' item; do args+=("$item"); done < "$out/args"
  base=()
  if [ -n "${BASE_REF:-}" ]; then base=(--base-ref "$BASE_REF"); fi
  # upload-sarif keeps a category the file has and ignores its own input: it goes in the file.
  category=()
  if [ -n "${SARIF_CATEGORY:-}" ]; then category=(--sarif-category "$SARIF_CATEGORY"); fi
  # iacplan refuses an option given twice: a --fail-on in args wins over the fail-on input.
  fail_on=(--fail-on "$FAIL_ON")
  for item in ${args[@]+"${args[@]}"}; do
    case "$item" in --fail-on | --fail-on=*) fail_on=() ;; esac
  done
  # Annotations to stdout (the runner turns them into annotations), the rest to files.
  "$IACPLAN" check ${base[@]+"${base[@]}"} ${fail_on[@]+"${fail_on[@]}"} --format github \
    --output "json=$out/report.json" --output "markdown=$out/report.md" \
    --output "sarif=$out/iacplan.sarif" ${category[@]+"${category[@]}"} \
    ${args[@]+"${args[@]}"} -- ${paths[@]+"${paths[@]}"}
  code=$?
fi

if [ "$read_only" = true ] && [ "${UPLOAD_SARIF:-}" = true ] && [ "$code" != 2 ]; then
  echo "::warning title=iacplan::SARIF not uploaded: a pull request from a fork (or Dependabot)" \
    "gets a read-only token, which code scanning refuses; the annotations show the findings"
fi
{
  echo "exit-code=$code"
  echo "report=$out/report.json"
  echo "sarif=$out/iacplan.sarif"
  echo "read-only-token=$read_only"
} >> "$GITHUB_OUTPUT"
if [ -f "$out/report.md" ]; then cat "$out/report.md" >> "$GITHUB_STEP_SUMMARY"; fi
exit 0
