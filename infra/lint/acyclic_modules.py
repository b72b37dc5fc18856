"""An import-linter contract: no module of a package imports itself back through others (no import cycle).

import-linter's own `acyclic_siblings` compares whole packages; this one compares modules, so a circle
hidden by a function-level import (grimp sees those) breaks it wherever it sits, and packages may still
lean on each other one module at a time.
"""

from __future__ import annotations

from typing import Any

import grimp
from importlinter import Contract, ContractCheck, fields, output


class AcyclicModulesContract(Contract):
    type_name = "acyclic_modules"

    root = fields.StringField()

    def check(self, graph: grimp.ImportGraph, verbose: bool) -> ContractCheck:
        cycles = [sorted(c) for c in _strongly_connected(graph, str(self.root)) if len(c) > 1]
        details = [_one_cycle(graph, cycle) for cycle in sorted(cycles)]
        return ContractCheck(kept=not cycles, warnings=[], metadata={"cycles": details})

    def render_broken_contract(self, check: ContractCheck) -> None:
        for chain in check.metadata["cycles"]:
            output.print_error("Import cycle: " + " -> ".join(chain))
            output.new_line()


def _strongly_connected(graph: grimp.ImportGraph, root: str) -> list[set[str]]:
    """Tarjan's algorithm, iterative (a deep package must not hit the recursion limit)."""
    modules = sorted(m for m in graph.modules if m == root or m.startswith(root + "."))
    inside = set(modules)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []
    for start in modules:
        if start in index:
            continue
        work: list[tuple[str, Any]] = [(start, None)]
        while work:
            node, successors = work.pop()
            if successors is None:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
                successors = iter(sorted(graph.find_modules_directly_imported_by(node) & inside))
            advanced = False
            for nxt in successors:
                if nxt not in index:
                    work.append((node, successors))
                    work.append((nxt, None))
                    advanced = True
                    break
                if nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
            if advanced:
                continue
            if low[node] == index[node]:
                component = set()
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.add(member)
                    if member == node:
                        break
                found.append(component)
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return found


def _one_cycle(graph: grimp.ImportGraph, component: list[str]) -> list[str]:
    """One circle through the component's first module, to show where to cut."""
    first = component[0]
    members = set(component)
    for imported in sorted(graph.find_modules_directly_imported_by(first) & members):
        back = graph.find_shortest_chain(importer=imported, imported=first)
        if back:
            return [first, *back]
    return component
