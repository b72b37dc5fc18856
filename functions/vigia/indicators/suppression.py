"""Small-cell suppression: no count below the city's threshold is published, nor can it be subtracted out.

Primary suppression: a count below the threshold is published as "<5" (for a threshold of 5).
Complementary suppression: the cells of a table add up (a zone's `all` row is the sum of its type rows,
a quadrant the sum of its blocks, the city the sum of its quadrants). Whenever one of those sums has
exactly one unpublished cell (the total or one part), that cell is the total minus the others: the
smallest published part of the sum is withheld as well (published as "x", meaning "withheld so that a
small cell cannot be recovered; at least the threshold"), and the check runs again until no sum has a
single unknown. Parts the reader can count elsewhere (alerts located in no block) are treated as known.

Single sums are not enough: a combination of sums can fix a cell that no one sum does. `protect_linear`
decides over the atoms the cells add up (alerts of one place and type) with a rank test, which is what an
attacker with every published number can do; `protect` stays for the quantities outside that argument.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic, TypeVar

if TYPE_CHECKING:
    import numpy as np

K = TypeVar("K")
A = TypeVar("A")

WITHHELD = "x"


def small_marker(threshold: int) -> str:
    return f"<{threshold}"


@dataclass(frozen=True)
class Sum(Generic[K]):
    """total = Σ parts (+ something the reader already knows)."""

    total: K
    parts: tuple[K, ...]


def protect(
    values: Mapping[K, int],
    sums: Sequence[Sum[K]],
    threshold: int,
    *,
    unknown: Iterable[K] = (),
    order: Callable[[K], object] = repr,
) -> set[K]:
    """The cells to withhold: those below `threshold`, those in `unknown`, and the complementary ones.

    Only cells present in `values` take part: a cell absent from `values` is not published in this
    quantity and plays no role in its sums.
    """
    hidden = {k for k, v in values.items() if v < threshold}
    hidden |= {k for k in unknown if k in values}
    changed = True
    while changed:
        changed = False
        for s in sums:
            if s.total not in values:
                continue
            parts = [p for p in s.parts if p in values]
            unknowns = (s.total in hidden) + sum(1 for p in parts if p in hidden)
            if unknowns != 1:
                continue
            # Hide the smallest published part; a sum whose only part is hidden hides its total instead.
            candidates = [p for p in parts if p not in hidden] or [c for c in (s.total,) if c not in hidden]
            if not candidates:
                continue  # a hidden total without parts: nothing to subtract from
            hidden.add(min(candidates, key=lambda k: (values[k], order(k))))
            changed = True
    return hidden


def recoverable(values: Mapping[K, int], sums: Sequence[Sum[K]], hidden: set[K]) -> set[K]:
    """Hidden cells an attacker can compute exactly from one sum (for tests and audits)."""
    found: set[K] = set()
    for s in sums:
        if s.total not in values:
            continue
        cells = [s.total, *(p for p in s.parts if p in values)]
        unknowns = [c for c in cells if c in hidden]
        if len(unknowns) == 1:
            found.add(unknowns[0])
    return found


class _Cells(Generic[K, A]):
    """The cells' 0/1 vectors over their unknown atoms, built once: rows of one matrix."""

    def __init__(self, cover: Mapping[K, frozenset[A]]) -> None:
        import numpy as np  # on first use: the API imports this module, and numpy costs its cold start

        atoms = sorted({a for k in cover for a in cover[k]}, key=repr)
        index = {a: i for i, a in enumerate(atoms)}
        self.row = {k: i for i, k in enumerate(cover)}
        self.matrix = np.zeros((len(cover), len(atoms)))
        for k, i in self.row.items():
            self.matrix[i, [index[a] for a in cover[k]]] = 1.0

    def gram(self, published: Sequence[K]) -> np.ndarray:
        a = self.matrix[[self.row[k] for k in published]]
        return a.T @ a

    def fixed_by(self, gram: np.ndarray, hidden: Sequence[K]) -> list[K]:
        """The hidden cells in the row space of A (given as AᵀA): those orthogonal to its null space.

        rank(A) == rank([A; e]) exactly when e has no component in null(A) = null(AᵀA); AᵀA is atoms ×
        atoms (a day: about a hundred), so this is cheap whatever the number of cells.
        """
        if not hidden:
            return []
        import numpy as np

        values, vectors = np.linalg.eigh(gram)
        null = vectors[:, values < 1e-9 * max(1.0, float(values[-1]) if len(values) else 1.0)]
        e = self.matrix[[self.row[k] for k in hidden]]
        residual = np.linalg.norm(e @ null, axis=1) if null.shape[1] else np.zeros(len(hidden))
        return [k for k, r in zip(hidden, residual, strict=True) if r < 1e-7]

    def fixed(self, published: Sequence[K], hidden: Sequence[K]) -> list[K]:
        """The hidden cells in the row space of the published ones: rank(A) == rank([A; e])."""
        return self.fixed_by(self.gram(published), hidden)

    def helping(self, published: Sequence[K], target: K) -> list[K]:
        """The published cells a least-squares combination fixing `target` uses."""
        import numpy as np

        a = self.matrix[[self.row[k] for k in published]]
        weights = np.linalg.lstsq(a.T, self.matrix[self.row[target]], rcond=None)[0]
        return [k for k, w in zip(published, weights, strict=True) if abs(w) > 1e-9]


def determined(cover: Mapping[K, frozenset[A]], published: Iterable[K], hidden: Iterable[K]) -> list[K]:
    """The hidden cells whose value the published ones fix: those whose atom vector lies in their row space.

    `cover[k]` is the set of unknown atoms cell k adds up (atoms the reader already knows are left out).
    A hidden cell is fixed exactly when rank(A) == rank([A; e]), A the published cells' 0/1 vectors over
    the atoms; checked as a zero residual of e projected on an orthonormal basis of A's rows.
    """
    return _Cells(cover).fixed([k for k in published if cover[k]], list(hidden))


CANDIDATES = 8  # published cells tried one by one before falling back to the smallest that takes part


def protect_linear(
    cover: Mapping[K, frozenset[A]],
    values: Mapping[K, int],
    threshold: int,
    *,
    unknown: Iterable[K] = (),
    order: Callable[[K], object] = repr,
) -> set[K]:
    """The cells to withhold so that no withheld cell is fixed by ANY combination of the published ones.

    Primary: a cell below `threshold`, or in `unknown`. A cell whose atoms the reader already knows
    (empty cover: e.g. no alert of its type there, the feed says so) is never withheld: its value is
    public anyway. Complementary: while some withheld cell is fixed by the published cells (linear algebra
    over the atoms, not only single sums), the smallest published cell whose withholding frees it is
    withheld too (or, when none of the smallest few does alone, the smallest taking part in a combination
    that fixes it). Each round withholds one more cell, so it ends.
    """
    import numpy as np

    cells = _Cells(cover)
    hidden = {k for k, v in values.items() if v < threshold and cover[k]}
    hidden |= {k for k in unknown if k in values and cover[k]}

    def key(k: K) -> tuple[int, object]:
        return (values[k], order(k))

    while True:
        published = [k for k in values if k not in hidden and cover[k]]
        fixed = sorted(cells.fixed(published, sorted(hidden, key=key)), key=lambda k: (0, order(k)))
        if not fixed:
            return hidden
        target = fixed[0]
        helping = sorted(cells.helping(published, target) or published, key=key)
        gram = cells.gram(published)
        rows = ((k, cells.matrix[cells.row[k]]) for k in helping[:CANDIDATES])
        # Withholding k takes its row out of AᵀA: a rank-one update, no new product of the whole matrix.
        freeing = (k for k, row in rows if not cells.fixed_by(gram - np.outer(row, row), [target]))
        hidden.add(next(freeing, helping[0]))
