#!/usr/bin/env bash
# ansible-test sanity on the built collection, offline. ansible-test only runs from a path
# ending in ansible_collections/<namespace>/<name>, so the artifact in build/ is installed into
# a scratch tree and tested there: what is checked is exactly what Galaxy would receive.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
bin=${FLEETBENCH_VENV:-$repo/.venv}/bin

cache=~/.ansible/test/cache
mkdir -p "$cache"
# ansible-test names the pip it bootstraps in get_venv_packages(); install the stand-in under that name.
pip_version=$("$bin/python" -c "
import re, inspect, ansible_test._internal.python_requirements as pr
print(re.search(r\"pip='([0-9.]+)'\", inspect.getsource(pr.get_venv_packages)).group(1))")
cp scripts/ansible_test_pip_bootstrap.py "$cache/get_pip_${pip_version//./_}.py"

artifacts=(build/fleetbench-llm-*.tar.gz)
artifact=${artifacts[0]}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
ANSIBLE_COLLECTIONS_PATH="$scratch" "$bin/ansible-galaxy" collection install --force -p "$scratch" "$artifact" >/dev/null
cd "$scratch/ansible_collections/fleetbench/llm"
git init -q . && git add -A >/dev/null   # sanity tests list files through git

# The Ansible content is what sanity is for; the harness (runs on hosts, in its own venv),
# benchmarks and tests follow plain Python conventions and are checked by pytest instead.
targets=(plugins/ roles/ playbooks/ meta/)
[ $# -gt 0 ] && targets=("$@")
PIP_QUIET=1 PIP_DISABLE_PIP_VERSION_CHECK=1 "$bin/ansible-test" sanity --local --python 3.11 --color no \
  --skip-test shebang "${targets[@]}"
