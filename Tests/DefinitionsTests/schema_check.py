#!/usr/bin/env python3
"""Checks YAML job files against jobdir's JSON Schema.

usage: schema_check.py SCHEMA.json FILE...
Prints a JSON object: file -> list of schema errors (empty when valid).
YAML is read as YAML 1.1 (PyYAML) but timestamps stay strings, as job files mean them.
"""
import json
import sys

import jsonschema
import yaml


class JobLoader(yaml.SafeLoader):
    def construct_mapping(self, node, deep=False):
        # Keys are strings by their text, as jobdir reads them: `on:` stays "on".
        for key_node, _ in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.tag == "tag:yaml.org,2002:bool":
                key_node.tag = "tag:yaml.org,2002:str"
        return super().construct_mapping(node, deep=deep)


# Keep RFC 3339 times as text, like jobdir's parser and YAML 1.2 language servers.
JobLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def main() -> None:
    with open(sys.argv[1]) as handle:
        schema = json.load(handle)
    validator = jsonschema.Draft202012Validator(schema)
    results = {}
    for path in sys.argv[2:]:
        with open(path, "rb") as handle:
            document = yaml.load(handle, Loader=JobLoader)
        if document is None:
            document = {}
        results[path] = [error.message for error in validator.iter_errors(document)]
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main()
