"""Check pip's dry-run report for the GPU requirement set: every pin resolved as written and
torch is the CUDA build from PyPI, not a local CPU wheel. One line per problem, exit 1."""
import json
import pathlib
import re
import sys


def pins(requirements: pathlib.Path) -> dict[str, str]:
    found = {}
    for line in requirements.read_text(encoding="utf-8").splitlines():
        match = re.match(r"^\s*([A-Za-z0-9._-]+)==([^\s;#]+)", line)
        if match:
            found[canonical(match.group(1))] = match.group(2)
    return found


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def main(report_path: str, requirements_path: str) -> int:
    report = json.loads(pathlib.Path(report_path).read_text(encoding="utf-8"))
    resolved = {canonical(item["metadata"]["name"]): item["metadata"]["version"] for item in report["install"]}
    problems = [f"{name}: pinned {version}, resolved {resolved.get(name, 'nothing')}"
                for name, version in pins(pathlib.Path(requirements_path)).items() if resolved.get(name) != version]
    torch = resolved.get("torch", "")
    if not torch or "+cpu" in torch:
        problems.append(f"torch: resolved {torch or 'nothing'}, not PyPI's CUDA build")
    for problem in problems:
        print(f"gpu-requirements: {requirements_path}: {problem}", file=sys.stderr)
    if not problems:
        print(f"gpu-requirements: {requirements_path} resolves: {len(resolved)} packages, "
              f"vllm {resolved.get('vllm')}, torch {torch}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
