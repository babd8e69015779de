"""Scores and ranking: which pairs of submissions share code, discounted for what is common.

For one stub, a submission's fingerprints are its winnowed k-gram hashes minus
the release's own code for that stub (the signature, docstring and
`raise NotImplementedError()` every student starts from: boilerplate, never
counted). A fingerprint both codes have counts 1, or `common_weight` when it
is common: found in more than `common_share` of the submissions that define
the stub (Dolos's common-code removal), or in the kit's reference solution
(correct code converges: everyone's vectorised clip looks alike). The score is
the weighted count of shared fingerprints over the fingerprints of the
smaller code (at least MIN_FINGERPRINTS): 1 when the smaller code is all in
the other and none of it is common. "all" is the same over the four stubs
together.
"""
import dataclasses
from collections import Counter

import numpy as np
from scipy import sparse

from autograder.parts import PARTS
from autograder.tools.similarity.fingerprint import prints

ALL = "all"
# Short code is weak evidence: a score is never over fewer fingerprints than this, so two
# stubs that only `return Z` or `while True: pass` do not score 1 (a real solution has 40 to 60).
MIN_FINGERPRINTS = 10
# Fewer submissions than this never make a fingerprint common, whatever the share:
# in a class of six, three copies of one code are what the report is for.
MIN_COMMON = 5


@dataclasses.dataclass
class StubTable:
    """One stub over the class: who defines it, their fingerprint counts and shared weights."""
    stub: str
    members: np.ndarray     # indices (into the class's ids) of the submissions that define the stub
    sizes: np.ndarray       # fingerprints per member
    both: np.ndarray        # members x members: fingerprints both have
    distinct: np.ndarray    # members x members: those of them that count 1 (not discounted)
    discounted: set         # hashes counted at common_weight (common or in the reference)
    boilerplate: set        # hashes of the release's own code, never counted


@dataclasses.dataclass
class Comparison:
    """Every compared pair, as columns sorted highest score first (then lab order, then ids):
    index arrays a < b into `ids` (in string order), stub index into STUB_NAMES, and the counts."""
    ids: list
    codes: list             # per submission {stub: Code}
    tables: dict            # stub -> StubTable
    columns: dict           # "a", "b", "stub", "score", "shared", "discounted", "smaller" -> array
    settings: object
    reference: bool         # whether the reference solution's fingerprints were discounted

    def __len__(self):
        return len(self.columns["score"])

    def pair(self, row):
        """Row `row` as {"a", "b", "stub", "score", "shared", "discounted", "smaller"}."""
        c = self.columns
        return {"a": self.ids[c["a"][row]], "b": self.ids[c["b"][row]], "stub": STUB_NAMES[c["stub"][row]],
                "score": float(f"{c['score'][row]:.4f}"), "shared": int(c["shared"][row]),
                "discounted": int(c["discounted"][row]), "smaller": int(c["smaller"][row])}

    def rows(self, stub=None, at_least=None):
        """Row numbers, highest score first, of one stub's pairs (or all), scoring at least `at_least`."""
        keep = np.ones(len(self), dtype=bool)
        if stub is not None:
            keep &= self.columns["stub"] == STUB_NAMES.index(stub)
        if at_least is not None:
            keep &= self.columns["score"] >= at_least
        return np.flatnonzero(keep)

    @property
    def pairs(self):
        """Every pair as a dict: for a look at a small class (a large one is written from the columns)."""
        return [self.pair(row) for row in range(len(self))]

    def fragments(self, a, b, stub):
        """Where code a matches code b on `stub`: [(line, first column, end column)], in a's code."""
        i, j = self.ids.index(a), self.ids.index(b)
        return matched_spans(self.codes[i][stub].source, self.codes[j][stub].source, self.tables[stub],
                             self.settings)


LAB_ORDER = [part.stub for part in PARTS]  # the manifest's order: the order the report shows the stubs in
STUB_NAMES = LAB_ORDER + [ALL]


def compare(ids, codes, boilerplate, reference, settings):
    """Compare every pair. codes: per id {stub: Code}; boilerplate, reference: {stub: Code}
    (reference None: a kit without solutions)."""
    stubs = [stub for stub in LAB_ORDER if any(stub in found for found in codes)]
    tables = {stub: _table(stub, codes, boilerplate.get(stub), (reference or {}).get(stub), settings)
              for stub in stubs}
    order = np.argsort(np.array(ids, dtype=object), kind="stable")
    id_rank = np.empty(len(ids), dtype=np.int64)
    id_rank[order] = np.arange(len(ids))
    parts = [_pairs(table, STUB_NAMES.index(stub), settings.common_weight, id_rank)
             for stub, table in tables.items()]
    parts.append(_pairs(_overall(len(ids), tables), STUB_NAMES.index(ALL), settings.common_weight, id_rank))
    columns = {key: np.concatenate([p[key] for p in parts]) for key in parts[0]}
    ranked = np.lexsort((id_rank[columns["b"]], id_rank[columns["a"]], columns["stub"], -columns["score"]))
    columns = {key: values[ranked] for key, values in columns.items()}
    return Comparison(list(ids), codes, tables, columns, settings, reference is not None)


def _table(stub, codes, boilerplate_code, reference_code, settings):
    k, window = settings.k, settings.window
    boilerplate = set(prints(boilerplate_code.source, k, window).hashes.tolist()) if boilerplate_code else set()
    members = [i for i, found in enumerate(codes) if stub in found]
    fingerprints, seen = [], Counter()
    for i in members:
        found = prints(codes[i][stub].source, k, window)
        fingerprints.append(found.fingerprints - boilerplate)
        seen.update(set(found.hashes.tolist()) - boilerplate)
    limit = max(settings.common_share * len(members), MIN_COMMON - 1)
    discounted = {h for h, count in seen.items() if count > limit}
    if reference_code is not None:
        discounted |= set(prints(reference_code.source, k, window).hashes.tolist()) - boilerplate
    columns = {h: c for c, h in enumerate(sorted(set().union(*fingerprints)))}
    rows = [r for r, found in enumerate(fingerprints) for _ in found]
    cols = [columns[h] for found in fingerprints for h in found]
    matrix = sparse.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(members), len(columns)))
    common = np.array([h in discounted for h in sorted(columns, key=columns.get)], dtype=bool)
    own = matrix[:, ~common] if len(columns) else matrix
    return StubTable(stub, np.array(members, dtype=np.int64), np.array([len(f) for f in fingerprints]),
                     (matrix @ matrix.T).toarray(), (own @ own.T).toarray(), discounted, boilerplate)


def _overall(n, tables):
    """The four stubs as one code: shared weights and sizes summed over the stubs."""
    sizes, both, distinct = np.zeros(n), np.zeros((n, n)), np.zeros((n, n))
    defines = np.zeros(n, dtype=bool)
    for table in tables.values():
        index = np.ix_(table.members, table.members)
        sizes[table.members] += table.sizes
        both[index] += table.both
        distinct[index] += table.distinct
        defines[table.members] = True
    members = np.flatnonzero(defines)
    index = np.ix_(members, members)
    return StubTable(ALL, members, sizes[members], both[index], distinct[index], set(), set())


def _pairs(table, stub, common_weight, id_rank):
    """Columns for every pair of the table's members: shared fragments count 1 each, discounted
    ones (common or in the reference) common_weight each, over the fragments of the smaller code
    (at least MIN_FINGERPRINTS); a is the member whose id comes first."""
    x, y = np.triu_indices(len(table.members), 1)
    a, b = table.members[x], table.members[y]
    swap = id_rank[a] > id_rank[b]
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    smaller = np.minimum(table.sizes[x], table.sizes[y]).astype(np.int64)
    shared = np.rint(table.distinct[x, y]).astype(np.int64)
    discounted = np.rint(table.both[x, y]).astype(np.int64) - shared
    score = np.minimum(1.0, (shared + common_weight * discounted) / np.maximum(smaller, MIN_FINGERPRINTS))
    return {"a": a, "b": b, "stub": np.full(len(a), stub, dtype=np.int64), "score": np.round(score, 4),
            "shared": shared, "discounted": discounted, "smaller": smaller}


def matched_spans(source_a, source_b, table, settings):
    """[(line, first column, end column)] of a's lines whose every token is in a k-gram b also has
    and that counts in full. Whole lines: a k-gram that merely reaches into the next line (the
    `if x` of `if debug:`, normalised, begins like the `if layer < L:` it replaced) marks nothing."""
    a = prints(source_a, settings.k, settings.window)
    b_hashes = set(prints(source_b, settings.k, settings.window).hashes.tolist())
    covered = np.zeros(len(a.spans), dtype=bool)
    for j, h in enumerate(a.hashes.tolist()):
        if h in b_hashes and h not in table.discounted and h not in table.boilerplate:
            covered[j:j + settings.k] = True
    lines = {}
    for (line, start, end), hit in zip(a.spans, covered.tolist()):
        first, last, every = lines.get(line, (start, end, True))
        lines[line] = (min(first, start), max(last, end), every and hit)
    return [(line, start, end) for line, (start, end, every) in sorted(lines.items()) if every]
