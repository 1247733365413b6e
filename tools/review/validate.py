"""``make validate``: synthesize every stack and run ``terraform validate`` on it, offline.

A stack that needs a provider the offline mirror lacks is skipped with a reason.
That is the ``<env>-images`` stack: it uses kreuzwerker/docker, which is not
mirrored, so ``terraform init`` cannot install it without registry access. Its
synthesized JSON is still covered by the ``cdktf.Testing`` assertions.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from tools.synthesize import SynthError, synth_settings, synthesize
from tools.terraform import TerraformSetupError, find_mirror, validate_many


def unmirrored_providers(stack_json: dict[str, Any], mirror: Path) -> list[str]:
    """Provider sources in ``stack_json`` that ``mirror`` cannot install."""
    required: dict[str, Any] = stack_json.get("terraform", {}).get("required_providers", {})
    missing = []
    for spec in required.values():
        source = spec["source"] if "/" in spec["source"] else f"hashicorp/{spec['source']}"
        if not (mirror / "registry.terraform.io" / source / spec.get("version", "")).is_dir():
            missing.append(f"{source} {spec.get('version', '')}".strip())
    return missing


def main() -> int:
    try:
        mirror = find_mirror()
        failed = 0
        with tempfile.TemporaryDirectory(prefix="validate-") as tmp:
            outdir = synthesize(Path(tmp), synth_settings())  # every stack, images included
            manifest = json.loads((outdir / "manifest.json").read_text())
            to_validate = []
            for stack in manifest["stacks"].values():
                stack_dir = outdir / stack["workingDirectory"]
                stack_json = json.loads((stack_dir / "cdk.tf.json").read_text())
                # Without a mirror, Terraform installs every provider from the registry.
                missing = unmirrored_providers(stack_json, mirror) if mirror else []
                if missing:
                    print(f"skip {stack_dir.name}: needs {', '.join(missing)}, not in {mirror}")
                else:
                    to_validate.append(stack_dir)
            for stack_dir, report in validate_many(to_validate).items():
                ok = report.get("valid") is True
                failed += not ok
                print(f"{'ok  ' if ok else 'FAIL'} {stack_dir.name}")
                diagnostics: list[dict[str, str]] = report.get("diagnostics", [])  # type: ignore[assignment]  # terraform validate -json: a list of objects
                for diag in diagnostics:
                    print(f"     {diag['severity']}: {diag['summary']}: {diag.get('detail', '')}")
        return 1 if failed else 0
    except (TerraformSetupError, SynthError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
