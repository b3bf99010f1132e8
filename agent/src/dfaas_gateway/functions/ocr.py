"""ocr: the text in a POSTed image, read by the real Tesseract program.

The OpenFaaS store's ocr function wraps Tesseract as well. The image goes to
`tesseract stdin stdout` (no shell, no temporary file); Leptonica decodes it.
One OCR thread per call (OMP_THREAD_LIMIT=1), so that max_inflight bounds the
CPUs that OCR takes, and a timeout kills the process.
"""

import os
import subprocess
from dataclasses import dataclass, field

import anyio

from dfaas_gateway.functions.base import (
    FunctionInputError,
    FunctionOutput,
    FunctionUnavailableError,
    Invocation,
    MethodNotAllowedError,
)
from dfaas_gateway.functions.images import accepted_image_format

ACCEPTED_FORMATS = ("png", "jpeg", "tiff", "pnm", "bmp")
LANGUAGE = "eng"
# Upper bound of one tesseract run, whatever the function's own timeout says.
MAX_OCR_SECONDS = 60.0
INSTALL_HINT = "apt-get install tesseract-ocr tesseract-ocr-eng"


@dataclass(frozen=True)
class Ocr:
    binary: str
    name: str = "ocr"
    summary: str = "text in a POSTed PNG/JPEG/TIFF/PNM/BMP image (Tesseract, English)"
    timeout_s: float = MAX_OCR_SECONDS
    # Binaries that listed the language once (a positive answer does not go stale).
    _has_language: set[str] = field(default_factory=set, compare=False, repr=False)

    def unavailable_reason(self) -> str | None:
        if not os.access(self.binary, os.X_OK):
            return f"tesseract binary {self.binary} is missing ({INSTALL_HINT})"
        if self.binary in self._has_language:
            return None
        try:
            # Synchronous, but once per binary and short: deployments are rare.
            listed = subprocess.run(
                [self.binary, "--list-langs"], capture_output=True, timeout=10, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as error:
            return f"tesseract {self.binary} does not answer --list-langs: {error}"
        languages = (listed.stdout + listed.stderr).decode(errors="replace").split()
        if LANGUAGE not in languages:
            return f"tesseract has no '{LANGUAGE}' language data ({INSTALL_HINT})"
        self._has_language.add(self.binary)
        return None

    async def __call__(self, invocation: Invocation) -> FunctionOutput:
        name = invocation.function_name
        if invocation.method != "POST":
            raise MethodNotAllowedError(f"{name}: POST an image (got {invocation.method})")
        accepted_image_format(invocation, ACCEPTED_FORMATS)
        command = [self.binary, "stdin", "stdout", "-l", LANGUAGE, "-c", "page_separator="]
        environment = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        try:
            with anyio.fail_after(self.timeout_s):
                result = await anyio.run_process(
                    command, input=invocation.body, check=False, env=environment
                )
        except FileNotFoundError:
            raise FunctionUnavailableError(
                f"{name}: tesseract binary {self.binary} is missing ({INSTALL_HINT})"
            ) from None
        except TimeoutError:
            raise RuntimeError(f"tesseract ran past {self.timeout_s:g} s and was killed") from None
        message = result.stderr.decode(errors="replace").strip()
        if result.returncode != 0:
            if "Failed loading language" in message:
                raise FunctionUnavailableError(
                    f"{name}: tesseract has no '{LANGUAGE}' language data ({INSTALL_HINT})"
                )
            if "Error in pix" in message or "Image file" in message:
                raise FunctionInputError(f"{name}: tesseract cannot read the image: {message}")
            raise RuntimeError(f"tesseract exited with {result.returncode}: {message}")
        return FunctionOutput(result.stdout)
