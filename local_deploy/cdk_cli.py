"""Run the real CDK CLI (``node_modules/.bin/cdk``) against the local emulator."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from local_deploy.settings import ACCOUNT_ID, REPO_ROOT, LocalSettings

CDK_BIN = REPO_ROOT / "node_modules" / ".bin" / "cdk"
VENV_BIN = REPO_ROOT / ".venv" / "bin"


class CdkError(RuntimeError):
    """A CDK CLI command failed; its own output has already been shown."""


def _environment(settings: LocalSettings) -> dict[str, str]:
    env = settings.process_environment()
    # Node 24 and python3 from the virtualenv, so `cdk synth` runs app.py with our packages.
    env["PATH"] = f"{VENV_BIN}{os.pathsep}{env.get('PATH', '')}"
    env["CDK_DISABLE_VERSION_CHECK"] = "1"
    env["CDK_DISABLE_CLI_TELEMETRY"] = "true"
    env["JSII_SILENCE_WARNING_UNTESTED_NODE_VERSION"] = "1"
    return env


def run_cdk(settings: LocalSettings, *arguments: str) -> None:
    if not CDK_BIN.exists():
        raise CdkError(f"{CDK_BIN} is missing: run `make install` (npm ci) first")
    command = [str(CDK_BIN), *arguments, "--no-notices", "--no-version-reporting"]
    print(f"$ cdk {' '.join(arguments)}", flush=True)
    completed = subprocess.run(command, cwd=REPO_ROOT, env=_environment(settings), check=False)
    if completed.returncode != 0:
        raise CdkError(f"`cdk {arguments[0]}` exited with status {completed.returncode}")


def synth(settings: LocalSettings) -> Path:
    """Synthesize the profile's app once into its own assembly folder under .local/."""
    run_cdk(
        settings, "synth", "--quiet", "-c", f"env={settings.profile}",
        "--output", str(settings.assembly_dir),
    )  # fmt: skip
    return settings.assembly_dir


def bootstrap(settings: LocalSettings) -> None:
    """Bootstrap the emulated account, reading the assembly `synth` wrote: without `--app` the
    CLI would synthesize the app again into ./cdk.out, a second synth that also collides with
    any other CLI writing there."""
    run_cdk(
        settings, "bootstrap", f"aws://{ACCOUNT_ID}/{settings.region}",
        "--app", str(settings.assembly_dir),
    )  # fmt: skip


def deploy(settings: LocalSettings) -> None:
    """Deploy every stack of the synthesized assembly, booting locally the nodes a stack waits
    for while the CLI waits (``local_deploy.local_boot``: their boot signals).

    ``--method=direct``: moto's ExecuteChangeSet leaves stack Outputs empty (and ignores
    creation policies).
    """
    from local_deploy import local_boot  # noqa: PLC0415 - the boot's imports, only to deploy

    with local_boot.watch(settings):
        run_cdk(
            settings, "deploy", "--app", str(settings.assembly_dir), "--all",
            "--method=direct", "--require-approval", "never",
            "--outputs-file", str(settings.outputs_file), "--progress", "events",
        )  # fmt: skip


def destroy(settings: LocalSettings) -> None:
    app = settings.assembly_dir if settings.assembly_dir.exists() else None
    arguments = ["destroy", "--all", "--force"]
    if app is not None:
        arguments += ["--app", str(app)]
    else:
        arguments += ["-c", f"env={settings.profile}"]
    run_cdk(settings, *arguments)
