"""The built-in functions of this node, and which one an OpenFaaS deployment names."""

from collections.abc import Mapping
from dataclasses import dataclass

import anyio

from dfaas_gateway.functions.base import BuiltinFunction
from dfaas_gateway.functions.cpuburn import CpuBurn
from dfaas_gateway.functions.figlet import Figlet
from dfaas_gateway.functions.image_classification import ImageClassification
from dfaas_gateway.functions.nodeinfo import NodeInfo
from dfaas_gateway.functions.ocr import Ocr
from dfaas_gateway.functions.shasum import Shasum
from dfaas_gateway.functions.sleep import Sleep

# The OpenFaaS store deploys shasum as the generic alpine image running
# sha512sum, so the process name is accepted as well as our own names.
_ALIASES = {"sha512sum": "shasum"}

BUILTIN_NAMES = ("cpuburn", "figlet", "image-classification", "nodeinfo", "ocr", "shasum", "sleep")


@dataclass(frozen=True)
class BuiltinCatalog:
    functions: Mapping[str, BuiltinFunction]

    def names(self) -> list[str]:
        return sorted(self.functions)

    def resolve(self, image: str, env_process: str | None) -> BuiltinFunction | None:
        """The built-in an image reference names ("ghcr.io/openfaas/figlet:latest" -> figlet),
        else the one its envProcess names ("sha512sum" -> shasum), else None."""
        for candidate in (_repository_name(image), _process_name(env_process)):
            if candidate is None:
                continue
            builtin = self.functions.get(_ALIASES.get(candidate, candidate))
            if builtin is not None:
                return builtin
        return None


def _repository_name(image: str) -> str:
    """Last path component of an image reference, without tag or digest."""
    last = image.rsplit("/", 1)[-1]
    return last.split("@", 1)[0].split(":", 1)[0]


def _process_name(env_process: str | None) -> str | None:
    if not env_process or not env_process.split():
        return None
    return env_process.split()[0].rsplit("/", 1)[-1]


def builtin_catalog(
    *,
    node_name: str,
    figlet_binary: str,
    tesseract_binary: str,
    cpu_workers: anyio.CapacityLimiter,
) -> BuiltinCatalog:
    functions: list[BuiltinFunction] = [
        Figlet(binary=figlet_binary),
        Shasum(),
        NodeInfo(node_name=node_name),
        CpuBurn(workers=cpu_workers),
        Sleep(),
        Ocr(binary=tesseract_binary),
        ImageClassification(workers=cpu_workers),
    ]
    return BuiltinCatalog({function.name: function for function in functions})
