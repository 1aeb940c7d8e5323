#!/usr/bin/env bash
# Posts $1 as the PR's tessera comment, or edits the one already there (found by its marker), so a
# PR has ONE such comment however often it is pushed. Needs GH_TOKEN, PR and MARKER in the
# environment; the token is read by `gh` from the environment and never printed.
set -euo pipefail
body_file="$1"
grep -qF "$MARKER" "$body_file" || { printf '%s\n\n' "$MARKER" | cat - "$body_file" > "$body_file.tmp" && mv "$body_file.tmp" "$body_file"; }
# GitHub refuses comments over 65536 characters: keep the head and say so.
if [ "$(wc -c < "$body_file")" -gt 65000 ]; then
  head -c 64000 "$body_file" > "$body_file.tmp"
  printf '\n\n_(truncated: the full text is in the workflow artifacts)_\n' >> "$body_file.tmp"
  mv "$body_file.tmp" "$body_file"
fi
id=$(gh api "repos/$GITHUB_REPOSITORY/issues/$PR/comments" --paginate \
  --jq ".[] | select(.body | contains(\"$MARKER\")) | .id" | head -n 1)
if [ -n "$id" ]; then
  gh api --method PATCH "repos/$GITHUB_REPOSITORY/issues/comments/$id" -F "body=@$body_file" > /dev/null
  echo "updated comment $id"
else
  gh api --method POST "repos/$GITHUB_REPOSITORY/issues/$PR/comments" -F "body=@$body_file" > /dev/null
  echo "posted a new comment"
fi
