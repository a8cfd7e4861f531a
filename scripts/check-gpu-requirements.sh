#!/usr/bin/env bash
# Resolve the GPU hosts' harness requirement set (requirements/harness-gpu.txt) against PyPI,
# metadata only: pip's dry run downloads no multi-GB wheel, and fails when the pins conflict.
# --isolated: this machine's pip configuration may point at local CPU wheels (torch+cpu), which
# must not stand in for the CUDA build a GPU host gets from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${FLEETBENCH_VENV:-$PWD/.venv}/bin
out=tests/output
mkdir -p "$out"
cert=()
for bundle in "${PIP_CERT:-}" /etc/ssl/certs/ca-certificates.crt; do
  if [ -n "$bundle" ] && [ -f "$bundle" ]; then cert=(--cert "$bundle"); break; fi
done
"$bin/python" -m pip --isolated --disable-pip-version-check install "${cert[@]}" --dry-run --ignore-installed \
  --quiet --report "$out/gpu-requirements-report.json" -r requirements/harness-gpu.txt
"$bin/python" scripts/gpu_requirements_summary.py "$out/gpu-requirements-report.json" requirements/harness-gpu.txt
