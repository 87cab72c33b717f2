"""Dependency policy for Dialtone, a cheap stand-in for cargo-deny.

Reads `cargo metadata` JSON (argument 1) and fails when a dependency
- comes from anywhere but crates.io or this repository (git sources cannot be fetched in CI), or
- has no licence, or only a strong-copyleft one (the project is Apache-2.0 and ships one binary).
"""

import json
import re
import sys

CRATES_IO = "registry+https://github.com/rust-lang/crates.io-index"
# Strong copyleft only: file-level licences such as MPL-2.0 are compatible with shipping a binary.
COPYLEFT = re.compile(r"\b(A?GPL|LGPL|EUPL|SSPL|OSL)")


def licence_ok(expr):
    # An SPDX expression passes if one `OR` alternative is free of copyleft terms.
    alternatives = re.split(r"\s+OR\s+|/", expr.replace("(", " ").replace(")", " "))
    return any(alt.strip() and not COPYLEFT.search(alt) for alt in alternatives)


def main(path):
    with open(path, encoding="utf-8") as f:
        metadata = json.load(f)
    problems = []
    for package in metadata["packages"]:
        name = f'{package["name"]} {package["version"]}'
        source = package.get("source")
        if source is not None and source != CRATES_IO:
            problems.append(f"{name}: source {source} is not crates.io")
        if source is None:
            continue  # a workspace crate: covered by the workspace licence
        licence = package.get("license")
        if not licence and not package.get("license_file"):
            problems.append(f"{name}: no licence")
        elif licence and not licence_ok(licence):
            problems.append(f"{name}: licence {licence} is copyleft only")
    for problem in problems:
        print(f"check-deps: {problem}", file=sys.stderr)
    count = sum(1 for p in metadata["packages"] if p.get("source"))
    if problems:
        sys.exit(1)
    print(f"check-deps: {count} registry crates, all from crates.io with permissive licences")


if __name__ == "__main__":
    main(sys.argv[1])
