"""Where the local emulator listens, where its state lives, and the environment it implies."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

#: A port that no common development server uses (LocalStack is 4566, moto's default 5000).
DEFAULT_PORT = 4599
ACCOUNT_ID = "123456789012"
DEFAULT_REGION = "us-east-1"
DEFAULT_PROFILE = "dev"


@dataclass(frozen=True)
class LocalSettings:
    """One local emulator: its port, region, profile, and the folder that holds its state."""

    port: int = DEFAULT_PORT
    region: str = DEFAULT_REGION
    profile: str = DEFAULT_PROFILE
    state_dir: Path = REPO_ROOT / ".local"

    @classmethod
    def from_environment(
        cls, *, port: int | None = None, profile: str | None = None
    ) -> LocalSettings:
        """Flags win over ``LOCAL_PORT`` / ``ENV`` / ``LOCAL_REGION``, which win over defaults."""
        raw_port = port if port is not None else os.environ.get("LOCAL_PORT", DEFAULT_PORT)
        try:
            resolved_port = int(raw_port)
        except ValueError:
            raise ValueError(f"LOCAL_PORT={raw_port!r} is not a port number") from None
        if not 1 <= resolved_port <= 65535:
            raise ValueError(f"LOCAL_PORT={resolved_port} is outside 1-65535")
        return cls(
            port=resolved_port,
            region=os.environ.get("LOCAL_REGION", DEFAULT_REGION),
            profile=profile or os.environ.get("ENV") or DEFAULT_PROFILE,
        )

    @property
    def endpoint(self) -> str:
        # moto parses template URLs wrongly when the endpoint is written 127.0.0.1.
        return f"http://localhost:{self.port}"

    @property
    def pid_file(self) -> Path:
        return self.state_dir / f"moto-{self.port}.pid"

    @property
    def log_file(self) -> Path:
        return self.state_dir / f"moto-{self.port}.log"

    @property
    def assembly_dir(self) -> Path:
        return self.state_dir / f"cdk.out.{self.profile}"

    @property
    def outputs_file(self) -> Path:
        return self.state_dir / f"outputs.{self.profile}.json"

    def aws_environment(self) -> dict[str, str]:
        """Variables that point any AWS SDK or CLI at the emulator with dummy credentials."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_SESSION_TOKEN": "testing",
            "AWS_REGION": self.region,
            "AWS_DEFAULT_REGION": self.region,
        }

    def process_environment(self) -> dict[str, str]:
        """This process's environment with every AWS setting replaced by the emulator's.

        Profiles, config and credential files are cut off so that nothing reaches a real
        account by accident.
        """
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "CDK_"))}
        env.update(self.aws_environment())
        env["AWS_CONFIG_FILE"] = str(self.state_dir / "aws-config-none")
        env["AWS_SHARED_CREDENTIALS_FILE"] = str(self.state_dir / "aws-credentials-none")
        env["AWS_EC2_METADATA_DISABLED"] = "true"
        return env
