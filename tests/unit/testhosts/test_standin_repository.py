"""The stand-in NVIDIA packages have the names, versions and relations of the real ones."""
from __future__ import annotations

import json

from tests.standin import build_repo, nvidia_smi

CATALOGUE = json.loads((build_repo.PACKAGES / "catalogue.json").read_text())


def controls() -> dict[str, str]:
    """Rendered control file per package name and version."""
    rendered = {}
    for template, values in build_repo.package_builds(CATALOGUE):
        control = build_repo.render(f"{template}.control", values)
        fields = dict(line.split(": ", 1) for line in control.splitlines() if ": " in line and not line[0].isspace())
        rendered[f"{fields['Package']}={fields['Version']}"] = control
    return rendered


def test_every_release_has_both_flavours_and_its_parts():
    names = controls()
    for upstream in ("535.183.01", "535.247.01", "570.124.06", "570.133.07", "575.57.08", "575.64.03"):
        branch, version = upstream.split(".")[0], f"{upstream}-0ubuntu1"
        for package in (f"nvidia-driver-{branch}", f"nvidia-driver-{branch}-open", f"nvidia-utils-{branch}",
                        f"nvidia-kernel-common-{branch}", f"nvidia-dkms-{branch}", f"nvidia-dkms-{branch}-open"):
            assert f"{package}={version}" in names
        assert f"nvidia-fabricmanager-{branch}={upstream}-1" in names
    for toolkit in ("cuda-toolkit-12-2=12.2.2-1", "cuda-toolkit-12-8=12.8.1-1", "cuda-toolkit-12-9=12.9.1-1"):
        assert toolkit in names
    assert len(names) == 6 * 7 + 3


def test_driver_metapackage_depends_on_exactly_its_own_version():
    control = controls()["nvidia-driver-575-open=575.64.03-0ubuntu1"]
    depends = next(line for line in control.splitlines() if line.startswith("Depends:"))
    assert depends == ("Depends: nvidia-utils-575 (= 575.64.03-0ubuntu1), "
                       "nvidia-kernel-common-575 (= 575.64.03-0ubuntu1), nvidia-dkms-575-open (= 575.64.03-0ubuntu1)")


def test_each_kind_conflicts_across_branches_through_one_virtual_name():
    for key, control in controls().items():
        if key.startswith("cuda-toolkit"):
            assert "Conflicts:" not in control  # toolkits install side by side
            continue
        provides = next(line for line in control.splitlines() if line.startswith("Provides:")).split(": ")[1]
        assert f"Conflicts: {provides}\n" in control and f"Replaces: {provides}\n" in control


def test_utils_postinst_records_the_branch_cuda_version():
    values = next(v for t, v in build_repo.package_builds(CATALOGUE)
                  if t == "nvidia-utils" and v["upstream"] == "570.133.07")
    script = build_repo.render("nvidia-utils.postinst", values)
    assert 'driver_version="570.133.07", cuda_version="12.8"' in script


def test_module_banner_reads_back_through_the_standin_nvidia_smi(tmp_path):
    for flavour in ("proprietary", "open"):
        loaded = tmp_path / f"loaded-{flavour}"
        banner = build_repo.module_banner("575.64.03", "2025-06-26", flavour)
        loaded.write_text(f"NVRM version: {banner}\nGCC version:  gcc version 12.2.0 (Debian 12.2.0-14)\n")
        assert nvidia_smi.loaded_module_version({"loaded_module_file": str(loaded)}) == "575.64.03"
    assert "Open Kernel Module" in build_repo.module_banner("575.64.03", "2025-06-26", "open")
    assert "Thu Jun 26 17:04:12 UTC 2025" in build_repo.module_banner("575.64.03", "2025-06-26", "proprietary")


def test_files_and_maintainer_scripts_named_in_a_control_are_found():
    control = "Package: x\nFiles: a /usr/bin/\n b /usr/lib/\nPostinst: p.postinst\nPostrm: p.postrm\nDescription: y\n"
    assert build_repo.referenced_files(control) == ["a", "b", "p.postinst", "p.postrm"]
