#!/usr/bin/env bash
# Run the validator Galaxy runs on upload against the built artifact, offline.
set -euo pipefail
cd "$(dirname "$0")/.."
artifacts=(build/fleetbench-llm-*.tar.gz)
cfg=$(mktemp)
trap 'rm -f "$cfg"' EXIT
# No container engine here: run ansible-test sanity ourselves (make sanity), not inside the importer.
cat >"$cfg" <<'CFG'
[galaxy-importer]
RUN_ANSIBLE_TEST = False
RUN_ANSIBLE_LINT = True
CHECK_REQUIRED_TAGS = False
CFG
out=$(GALAXY_IMPORTER_CONFIG=$cfg python -m galaxy_importer.main "${artifacts[0]}" 2>&1) || { echo "$out"; exit 1; }
echo "$out" | tail -n 20
if grep -qE "^(ERROR|CRITICAL)" <<<"$out"; then
  echo "galaxy-importer: errors above" >&2; exit 1
fi
echo "galaxy-importer: ${artifacts[0]} accepted"
