"""Bring the whole app up in the emulator and say what is deployed: `up` and `report`.

The CLI's commands of the same names and the demo's first stage both run these, so they live
here rather than in the CLI, which dispatches to the demo (one direction only: no import cycle).
"""

from __future__ import annotations

import time

from local_deploy import cdk_cli, coverage, deployment, server
from local_deploy.settings import LocalSettings


def _print_outputs(settings: LocalSettings, stacks: list[deployment.AssemblyStack]) -> None:
    for stack in stacks:
        print(f"\nOutputs of {stack.stack_name}:")
        outputs = deployment.stack_outputs(settings, stack.stack_name)
        if outputs is None:
            print("  NOT DEPLOYED")
            continue
        for key, value in sorted(outputs.items()):
            print(f"  {key} = {value}")
        if not outputs:
            print("  (none)")


def report(settings: LocalSettings) -> int:
    """Outputs, coverage table and smoke checks; non-zero if anything was skipped or failed."""
    stacks = deployment.assembly_stacks(settings.assembly_dir)
    _print_outputs(settings, stacks)
    names = [deployment.BOOTSTRAP_STACK] + [s.stack_name for s in stacks]
    coverages = deployment.coverage_of(settings, names)
    print(f"\nCoverage ({', '.join(names)}), verified with ListStackResources:")
    print(coverage.format_table(coverages))
    skipped = coverage.skipped(coverages)
    for entry in skipped:
        print(f"  SKIPPED {entry}")
    print("\nSmoke checks:")
    results = deployment.smoke(settings, stacks)
    for result in results:
        mark = "ok  " if result.passed else "FAIL"
        print(f"  {mark} {result.stack_id}.{result.name}: {result.detail}")
    failed = [r for r in results if not r.passed]
    if skipped or failed:
        print(f"\n{len(skipped)} resource(s) skipped, {len(failed)} smoke check(s) failed")
        return 1
    print(f"\nAll {len(results)} smoke checks passed; 0 resources skipped.")
    return 0


def up(settings: LocalSettings) -> int:
    """Start the emulator (if needed), synth, bootstrap, deploy every stack, then `report`."""
    started = time.monotonic()
    pid = server.start(settings)
    print(f"moto server (pid {pid}) on {settings.endpoint}; log: {settings.log_file}")
    cdk_cli.synth(settings)
    cdk_cli.bootstrap(settings)
    cdk_cli.deploy(settings)
    status = report(settings)
    print(f"\nDeployed profile {settings.profile} in {time.monotonic() - started:.1f}s.")
    print(f"The emulator keeps running on {settings.endpoint}, with all its state.")
    print("`make destroy-local` removes the stacks; stop the emulator with")
    print(f"`.venv/bin/python -m local_deploy stop --port {settings.port}`.")
    return status
