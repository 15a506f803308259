"""YAML for config files: a duplicate key or absurd nesting is an error, not a silent choice.

PyYAML keeps the last of two equal keys, so a second `sources:` silently replaced the first and
a second `repositories.primary` dropped a repository. Nesting is bounded because the composer
and constructor recurse: a file nested a thousand levels deep would end in a RecursionError.
"""

from __future__ import annotations

from typing import Any

import yaml

MAX_DEPTH = 64


class DuplicateKey(yaml.YAMLError):
    def __init__(self, key: object, first_line: int, second_line: int):
        super().__init__(f"duplicate key {key!r} (lines {first_line} and {second_line})")
        self.line = second_line


class TooDeep(yaml.YAMLError):
    def __init__(self, line: int):
        super().__init__(f"nested more than {MAX_DEPTH} levels deep")
        self.line = line


class _StrictLoader(yaml.SafeLoader):
    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise TooDeep(self.peek_event().start_mark.line + 1)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                continue
            key = self.construct_object(key_node, deep=True)
            line = key_node.start_mark.line + 1
            try:
                if key in seen:
                    raise DuplicateKey(key, seen[key], line)
                seen[key] = line
            except TypeError:  # an unhashable key: the constructor reports it
                continue
        return super().construct_mapping(node, deep=deep)


def load(text: str) -> Any:
    """yaml.safe_load, refusing duplicate keys and nesting deeper than MAX_DEPTH."""
    loader = _StrictLoader(text)
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()
