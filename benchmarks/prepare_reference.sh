#!/usr/bin/env bash
# Extract the MLCommons llama3.1-8b reference harness from a git mirror of
# mlcommons/inference into .cache/mlcommons-ref/ and patch it just enough to start on
# vLLM 0.32's CPU build. Nothing extracted here is committed (.cache/ is git-ignored).
#
# The mirror is FLEETBENCH_MLCOMMONS_MIRROR when set (a git directory: a bare repository or a
# clone's .git), else a shallow bare clone under .cache/ (FLEETBENCH_CACHE_DIR), made here from
# FLEETBENCH_MLCOMMONS_URL (the public repository) the first time the network allows it.
#
# Exit 0 with the patched copy in place, or exit 0 with the single line
# "reference not available: <why>" when there is no mirror and none could be cloned (CI has no
# GitHub access): the benchmark then reports those rows as not available.
# Exit 1 when a patch no longer applies (upstream changed): the message names the patch.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${FLEETBENCH_CACHE_DIR:-$repo_root/.cache}"
default_mirror="$cache/mlcommons-inference.git"
mirror="${FLEETBENCH_MLCOMMONS_MIRROR:-$default_mirror}"
url="${FLEETBENCH_MLCOMMONS_URL:-https://github.com/mlcommons/inference.git}"
dest="${FLEETBENCH_REFERENCE_DIR:-$cache/mlcommons-ref}"
ref_path="language/llama3.1-8b"
vllm_python="${FLEETBENCH_VLLM_PYTHON:-$repo_root/.venv-vllm/bin/python}"

has_head() { git --git-dir="$1" rev-parse --verify -q HEAD >/dev/null 2>&1; }

# clone_mirror: the default mirror, cloned once; one commit, and no blob over 1 MiB (the
# reference's files are small; a later archive fetches any missing blob it needs).
clone_mirror() {
  local partial="$default_mirror.partial"
  rm -rf "$partial"
  mkdir -p "$(dirname "$default_mirror")"
  if GIT_TERMINAL_PROMPT=0 timeout 600 git clone -q --bare --depth 1 --filter=blob:limit=1m "$url" "$partial" 2>/dev/null; then
    mv "$partial" "$default_mirror"
  else
    rm -rf "$partial"
    return 1
  fi
}

if ! has_head "$mirror"; then
  if [[ -n "${FLEETBENCH_MLCOMMONS_MIRROR:-}" ]]; then
    why="no git mirror of mlcommons/inference at $mirror"
  elif ! clone_mirror; then
    why="no git mirror of mlcommons/inference at $mirror, and cloning $url failed (no network?): set FLEETBENCH_MLCOMMONS_MIRROR"
  fi
  if ! has_head "$mirror"; then
    echo "reference not available: ${why:-no git mirror of mlcommons/inference at $mirror}"
    rm -rf "$dest"
    exit 0
  fi
fi
commit="$(git --git-dir="$mirror" rev-parse HEAD)"

rm -rf "$dest"
mkdir -p "$dest"
# The mirror lacks some large blobs elsewhere in the tree; git names them on stderr even though
# this folder is complete, so judge the extraction by the files the benchmark needs.
git --git-dir="$mirror" archive "$commit" "$ref_path" 2>/dev/null | tar -x -C "$dest" --strip-components=2
for needed in main.py SUT_VLLM.py dataset.py; do
  [[ -s "$dest/$needed" ]] || { echo "reference extraction failed: $ref_path/$needed missing at $commit" >&2; exit 1; }
done
echo "$commit" >"$dest/REFERENCE_COMMIT"

# patch FILE NAME SED_EXPRESSION EXPECTED_TEXT: apply one sed edit and prove it landed.
patch_ref() {
  local file="$dest/$1" name="$2" expression="$3" expected="$4"
  sed -i -e "$expression" "$file"
  if ! grep -qF -- "$expected" "$file"; then
    echo "reference patch '$name' did not apply to $1 at $commit: upstream changed" >&2
    exit 1
  fi
}

# 1. The SUT refuses to start without CUDA; vLLM's CPU build runs it on the CPU.
patch_ref SUT_VLLM.py cpu-device \
  's/assert False, "torch gpu is not available, exiting..."/log.warning("no CUDA device: running on the CPU build of vLLM")/' \
  'running on the CPU build of vLLM'

# 2. LLM.generate lost its prompt_token_ids= keyword in vLLM 0.10.2: pass TokensPrompt objects.
patch_ref SUT_VLLM.py tokens-prompt \
  's/prompt_token_ids=input_ids_tensor, sampling_params=/[TokensPrompt(prompt_token_ids=ids) for ids in input_ids_tensor], sampling_params=/' \
  '[TokensPrompt(prompt_token_ids=ids) for ids in input_ids_tensor]'

# 3. Server opens a new event loop per query (asyncio.run); vLLM's AsyncLLM binds its output
#    handler to the first loop, so the second query dies with EngineDeadError. Keep one loop
#    per worker thread; the SUT still serves one query at a time, as upstream does.
patch_ref SUT_VLLM.py one-event-loop \
  's/asyncio\.run(self\.stream_output(qitem, results_generator))/self._event_loop.run_until_complete(self.stream_output(qitem, results_generator))/; s/^\(\s*\)self\.first_token_queue = queue\.Queue()$/&\n\1self._event_loop = asyncio.new_event_loop()/' \
  'self._event_loop = asyncio.new_event_loop()'

# 4. SUTServer.stop joins a thread it never starts (AttributeError after the run).
patch_ref SUT_VLLM.py no-phantom-thread \
  '/self\.ft_response_thread\.join()/d; s/^\(\s*\)self\.first_token_queue\.put(None)$/&  # fleetbench: no ft_response_thread upstream/' \
  'no ft_response_thread upstream'

# 5. dataset.py imports HF `datasets` without using it; it is not in the vLLM venv.
patch_ref dataset.py unused-datasets-import \
  's/^from datasets import load_dataset, load_from_disk$/# fleetbench: unused import of `datasets` removed/' \
  'unused import of `datasets` removed'

# 6. Both engines start with vLLM's defaults, which cache prefixes across queries (forbidden by
#    the MLPerf rules): take the setting from FLEETBENCH_PREFIX_CACHING (1 on, else off) as the
#    harness and LLM.generate are given it.
patch_ref SUT_VLLM.py prefix-caching-setting \
  's/tensor_parallel_size=self\.tensor_parallel_size/&, enable_prefix_caching=os.environ.get("FLEETBENCH_PREFIX_CACHING") == "1"/' \
  'enable_prefix_caching=os.environ.get("FLEETBENCH_PREFIX_CACHING") == "1"'
engines_set="$(grep -c 'enable_prefix_caching=os.environ' "$dest/SUT_VLLM.py")"
[[ "$engines_set" == 2 ]] || { echo "reference patch 'prefix-caching-setting' reached $engines_set of the 2 engines in SUT_VLLM.py at $commit: upstream changed" >&2; exit 1; }

# The reference reads its dataset with pandas, which the vLLM venv does not carry: install its
# pinned extras beside the copy (numpy and six come from the venv, hence --no-deps).
"$vllm_python" -m pip install -q --disable-pip-version-check --no-deps --target "$dest/deps" \
  -r "$repo_root/benchmarks/requirements-reference.txt"

echo "reference ready: $dest (mlcommons/inference $commit, 6 patches)"
