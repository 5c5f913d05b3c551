#!/usr/bin/env bash
# Size and time of each install the README names, each in a fresh venv from a fresh clone.
#   bash tools/install_sizes.sh [PYTHON]      (default: python3)
# pip's download cache is kept, so the times are those of a machine that has fetched the wheels once.
set -euo pipefail
python=${1:-python3}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
git clone -q "$repo" "$work/clone"
cd "$work/clone"
echo "| install | time (s) | size |"
echo "|---|---|---|"
for extras in jax,notebook torch,notebook tensorflow,notebook all,notebook all,dev; do
  rm -rf .venv
  started=$SECONDS
  "$python" -m venv .venv
  .venv/bin/pip install -q -c constraints/cpu.txt -e ".[$extras]" >/dev/null 2>&1
  echo "| \`.[$extras]\` | $((SECONDS - started)) | $(du -sh .venv | cut -f1) |"
done
