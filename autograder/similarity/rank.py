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

from .fingerprint import prints

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
    ids: list
    codes: list             # per submission {stub: Code}
    tables: dict            # stub -> StubTable
    pairs: list             # every compared pair, highest score first
    settings: object
    reference: bool         # whether the reference solution's fingerprints were discounted

    def fragments(self, a, b, stub):
        """Where code a matches code b on `stub`: [(line, first column, end column)], in a's code."""
        i, j = self.ids.index(a), self.ids.index(b)
        return matched_spans(self.codes[i][stub].source, self.codes[j][stub].source, self.tables[stub],
                             self.settings)


def compare(ids, codes, boilerplate, reference, settings):
    """Compare every pair. codes: per id {stub: Code}; boilerplate, reference: {stub: Code} (reference may be None)."""
    stubs = sorted({stub for found in codes for stub in found}, key=_stub_order)
    tables = {stub: _table(stub, codes, boilerplate.get(stub), (reference or {}).get(stub), settings)
              for stub in stubs}
    pairs = []
    for table in tables.values():
        pairs.extend(_pairs(ids, table, table.stub, settings.common_weight))
    pairs.extend(_pairs(ids, _overall(len(ids), tables), ALL, settings.common_weight))
    pairs.sort(key=lambda p: (-p["score"], _stub_order(p["stub"]), p["a"], p["b"]))
    return Comparison(list(ids), codes, tables, pairs, settings, reference is not None)


def _stub_order(stub):
    from ..worker.ops import STUBS

    order = list(STUBS)
    return order.index(stub) if stub in order else len(order)


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


def _pairs(ids, table, stub, common_weight):
    """{"a", "b", "stub", "score", "shared", "discounted", "smaller"} for every pair of members:
    shared counts 1 each, discounted (common or in the reference) common_weight each, over the
    fingerprints of the smaller code."""
    found = []
    members = table.members.tolist()
    for x in range(len(members)):
        for y in range(x + 1, len(members)):
            smaller = int(min(table.sizes[x], table.sizes[y]))
            shared = int(table.distinct[x, y])
            discounted = int(table.both[x, y]) - shared
            score = min(1.0, (shared + common_weight * discounted) / max(smaller, MIN_FINGERPRINTS))
            a, b = sorted((ids[members[x]], ids[members[y]]))
            found.append({"a": a, "b": b, "stub": stub, "score": round(score, 4), "shared": shared,
                          "discounted": discounted, "smaller": smaller})
    return found


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
