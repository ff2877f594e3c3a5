#!/usr/bin/env python3
"""Checks schema/forwards.schema.json against the manifest corpus.

Good manifests (Tests/BerthManifestTests/Fixtures/good, .../overlays, examples/) must pass the schema.
Bad manifests (.../bad) must fail it when their .expect sidecar says `schema: fail`, and pass it when
it says `schema: pass` (a rule only `berth validate` can check, such as unique names or port clashes).
A file that is not valid YAML counts as failing the schema.
"""
import json
import pathlib
import sys

import jsonschema
import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "Tests" / "BerthManifestTests" / "Fixtures"


def schema_errors(validator, path):
    """Returns the schema's complaints about one file, or a YAML error as a complaint."""
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as error:
        return [f"not YAML: {str(error).splitlines()[0]}"]
    return [f"{'/'.join(map(str, e.absolute_path)) or '<root>'}: {e.message}" for e in validator.iter_errors(document)]


def expected_schema_outcome(path):
    expect = path.with_suffix(".expect")
    if not expect.exists():
        raise SystemExit(f"{path}: missing {expect.name}")
    for line in expect.read_text(encoding="utf-8").splitlines():
        if line.startswith("schema:"):
            outcome = line.split(":", 1)[1].strip()
            if outcome in ("pass", "fail"):
                return outcome
    raise SystemExit(f"{expect}: missing a 'schema: pass' or 'schema: fail' line")


def is_manifest(path):
    """examples/ also holds FakeKube scenarios (demo-cluster.yaml); only berth manifests are checked."""
    return "kind: Forwards" in path.read_text(encoding="utf-8")


def main():
    schema = json.loads((ROOT / "schema" / "forwards.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    failures = []
    good = sorted((FIXTURES / "good").glob("*.yaml")) + sorted((FIXTURES / "overlays").glob("*.yaml")) \
        + sorted(path for path in (ROOT / "examples").glob("*.yaml") if is_manifest(path))
    for path in good:
        errors = schema_errors(validator, path)
        if errors:
            failures.append(f"{path.relative_to(ROOT)}: good file fails the schema: {errors}")
    bad = sorted((FIXTURES / "bad").glob("*.yaml"))
    for path in bad:
        errors = schema_errors(validator, path)
        outcome = expected_schema_outcome(path)
        if outcome == "fail" and not errors:
            failures.append(f"{path.relative_to(ROOT)}: bad file passes the schema, but its .expect says schema: fail")
        if outcome == "pass" and errors:
            failures.append(f"{path.relative_to(ROOT)}: .expect says schema: pass, but the schema rejects it: {errors}")
    for failure in failures:
        print(failure, file=sys.stderr)
    print(f"check-schema: {len(good)} good and {len(bad)} bad manifests, {len(failures)} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
