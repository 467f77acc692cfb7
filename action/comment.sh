#!/usr/bin/env bash
# The action's "Comment on the pull request" step. A comment that cannot be posted is a warning,
# never the job's failure: the job's result is the check's (the "Result" step).
# In: IACPLAN, GITHUB_TOKEN, REPORT, TARGET, BEHAVIOR, and the runner's GITHUB_*.

if [ -z "${GITHUB_TOKEN:-}" ]; then
  echo "::warning title=iacplan comment::not posted: no token (the token input is empty; a" \
    "pull request from a fork gets no secrets)"
  echo "comment=not-posted" >> "$GITHUB_OUTPUT"
  exit 0
fi
"$IACPLAN" comment github --report "$REPORT" --target "$TARGET" --behavior "$BEHAVIOR"
code=$?
case "$code" in
  0) state=posted ;;
  3)
    state=not-posted
    echo "::warning title=iacplan comment::not posted: the token may not comment on this pull" \
      "request (a pull request from a fork, or Dependabot's, gets a read-only token; otherwise" \
      "give the job pull-requests: write). The check's result stands: see the annotations" \
      "and the job summary."
    ;;
  *)
    state=not-posted
    echo "::warning title=iacplan comment::not posted: iacplan comment ended with exit $code" \
      "(see this step's log). The check's result stands."
    ;;
esac
echo "comment=$state" >> "$GITHUB_OUTPUT"
exit 0
