"""DFaaS edge agent: federation overlay, load-sharing strategies, HAProxy control."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("dfaas-agent")
except PackageNotFoundError:  # running from a source tree that was not installed
    __version__ = "0.0.0+unknown"
