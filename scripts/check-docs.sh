#!/usr/bin/env bash
# ansible-doc must render every module, callback and filter of the collection: a plugin whose
# docs do not render is invisible to users of `ansible-doc` and to Galaxy.
set -euo pipefail
cd "$(dirname "$0")/.."
export ANSIBLE_CONFIG=$PWD/ansible.cfg
failed=0
checked=0
for type in module callback filter; do
  dir=plugins/$type
  [ "$type" = module ] && dir=plugins/modules
  [ -d "$dir" ] || continue
  names=$(ansible-doc -t "$type" -l fleetbench.llm --json | python3 -c 'import json,sys; print("\n".join(sorted(json.load(sys.stdin))))')
  # Every plugin file must show up in the listing.
  for f in "$dir"/*.py; do
    [ -e "$f" ] || continue
    base=$(basename "$f" .py)
    [ "$base" = __init__ ] && continue
    if [ "$type" != filter ] && ! grep -qx "fleetbench.llm.$base" <<<"$names"; then
      echo "check-docs: $f is not listed by ansible-doc -t $type" >&2; failed=1
    fi
  done
  for name in $names; do
    if out=$(ansible-doc -t "$type" "$name" 2>&1) && [ -n "$out" ] && ! grep -q "ERROR" <<<"$out"; then
      checked=$((checked + 1))
    else
      echo "check-docs: ansible-doc -t $type $name failed:" >&2; echo "$out" | tail -5 >&2; failed=1
    fi
  done
done
echo "check-docs: $checked plugin docs render"
exit $failed
