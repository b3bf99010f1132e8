# Copyright: (c) 2026, dfaas.edge maintainers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every role documents exactly its tunables in meta/argument_specs.yml.

defaults/main.yml and the `main` entry point of meta/argument_specs.yml list
the same keys (required options have no default), and where argument_specs
states a default that is a plain value rather than a template, it is the one
in defaults/main.yml; where argument_specs states a template (a default that
refers to another variable, such as the node-wide ones of node_defaults), it is
the same template as in defaults/main.yml. Every default has a one-line comment
right above it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

ROLES = Path(__file__).resolve().parents[3] / "roles"
ROLE_DIRS = sorted(path for path in ROLES.iterdir() if path.is_dir()) if ROLES.is_dir() else []
IDS = [path.name for path in ROLE_DIRS]


def load(path):
    if not path.is_file():
        return {}
    return yaml.safe_load(path.read_text()) or {}


def defaults_of(role):
    return load(role / "defaults" / "main.yml")


def options_of(role):
    specs = load(role / "meta" / "argument_specs.yml").get("argument_specs") or {}
    return (specs.get("main") or {}).get("options") or {}


def is_templated(value):
    return "{{" in yaml.safe_dump(value)


@pytest.mark.parametrize("role", ROLE_DIRS, ids=IDS)
def test_role_has_argument_specs_for_main(role):
    specs = role / "meta" / "argument_specs.yml"
    assert specs.is_file(), "%s: no meta/argument_specs.yml" % role.name
    assert options_of(role), "%s: no `main` entry point with options" % role.name


@pytest.mark.parametrize("role", ROLE_DIRS, ids=IDS)
def test_every_default_is_documented_in_argument_specs(role):
    undocumented = sorted(set(defaults_of(role)) - set(options_of(role)))
    assert undocumented == [], "%s: defaults missing from argument_specs" % role.name


@pytest.mark.parametrize("role", ROLE_DIRS, ids=IDS)
def test_every_optional_argument_has_a_default(role):
    optional = {name for name, spec in options_of(role).items() if not (spec or {}).get("required")}
    without_default = sorted(optional - set(defaults_of(role)))
    assert without_default == [], "%s: optional arguments without a default" % role.name


@pytest.mark.parametrize("role", ROLE_DIRS, ids=IDS)
def test_argument_spec_defaults_match_role_defaults(role):
    options = options_of(role)
    mismatched = [
        "%s: defaults/main.yml %r, argument_specs %r" % (name, value, options[name].get("default"))
        for name, value in defaults_of(role).items()
        if "default" in (options.get(name) or {})
        and (not is_templated(value) or is_templated(options[name]["default"]))
        and options[name]["default"] != value
    ]
    assert mismatched == [], "%s: defaults differ" % role.name


@pytest.mark.parametrize("role", ROLE_DIRS, ids=IDS)
def test_every_default_has_a_comment_line_above_it(role):
    path = role / "defaults" / "main.yml"
    lines = path.read_text().splitlines() if path.is_file() else []
    uncommented = [
        line.split(":")[0]
        for above, line in zip([""] + lines, lines)
        if line[:1].isalpha() and not above.startswith("#")
    ]
    assert uncommented == [], "%s: defaults without a comment line above" % role.name
