"""Validate SARIF logs against the SARIF 2.1.0 JSON schema, formats included.

usage: sarif_valid.py SCHEMA LOG...   (exit 1 listing every violation)
"""
import json
import sys

import jsonschema

schema = json.load(open(sys.argv[1]))
validator = jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())
errors = []
for path in sys.argv[2:]:
    with open(path) as f:
        log = json.load(f)
    for e in validator.iter_errors(log):
        errors.append(f"{path}: {e.json_path}: {e.message}")
print("\n".join(errors))
sys.exit(1 if errors else 0)
