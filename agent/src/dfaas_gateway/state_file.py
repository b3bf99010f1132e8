"""The deployed-function set on disk, so that a restarted runtime serves the same functions."""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dfaas_common.files import write_atomically
from dfaas_gateway.deployment import DeploymentError, FunctionDeployment, parse_deployment

STATE_FORMAT_VERSION = 1


class StateFileError(Exception):
    """The state file exists but cannot be read back."""


@dataclass(frozen=True)
class StateFile:
    path: Path

    def load(self) -> list[FunctionDeployment]:
        """The saved deployments; none when the file does not exist yet."""
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return []
        except (OSError, ValueError) as error:
            raise StateFileError(f"state file {self.path} cannot be read: {error}") from None
        if not isinstance(document, dict) or document.get("version") != STATE_FORMAT_VERSION:
            raise StateFileError(
                f"state file {self.path} is not a dfaas-gateway state"
                f" (version {STATE_FORMAT_VERSION})"
            )
        functions = document.get("functions")
        if not isinstance(functions, list):
            raise StateFileError(f"state file {self.path} has no 'functions' list")
        try:
            return [parse_deployment(entry) for entry in functions]
        except DeploymentError as error:
            raise StateFileError(f"state file {self.path}: {error}") from None

    def save(self, deployments: Iterable[FunctionDeployment]) -> None:
        """Replace the file atomically: a crash leaves the old or the new set, never half."""
        document = {
            "version": STATE_FORMAT_VERSION,
            "functions": [deployment.to_json() for deployment in deployments],
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(document, indent=2, sort_keys=True) + "\n"
        write_atomically(self.path, text, mode=0o600)
