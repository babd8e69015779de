"""Fingerprints of the stubs as graded: normalised tokens, k-grams, winnowing.

A stub's code is its definition node among the extracted statements (the
last one, as when the worker runs them). Tokens come from Python's own
tokenizer (the stdlib `tokenize`, the lexer CPython uses): names become `V`,
strings `S`; comments, whitespace and line breaks are dropped; keywords,
operators, numbers, builtins and attribute names (`np.sum`, `self.cache`,
fixed by NumPy and the lab) are kept. Every k consecutive tokens make a
k-gram with a stable 64-bit hash (never Python's salted hash(), so the same
class gives the same fingerprints in every run), and robust winnowing keeps
the smallest hash of every `window` consecutive k-grams (Schleimer, Wilkerson
and Aiken 2003, as MOSS does): any run of window + k - 1 tokens two codes
share is caught by at least one common fingerprint.
"""
import ast
import builtins
import functools
import hashlib
import io
import keyword
import textwrap
import tokenize
from dataclasses import dataclass

import numpy as np

from autograder.parts import PARTS

# stub -> (holder, attribute) as the worker finds it: a method on a class, or a function
STUBS = {part.stub: part.location for part in PARTS}

KEPT_NAMES = frozenset(keyword.kwlist) | frozenset(dir(builtins))
DROPPED = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
           tokenize.ENCODING, tokenize.ENDMARKER}
BASE = np.uint64(0x100000001B3)  # FNV's prime: k-gram hash = sum of token ids x BASE^position, mod 2^64


@dataclass(frozen=True)
class Code:
    """One stub as graded: its source (dedented) and where it is in the notebook."""
    stub: str
    source: str
    cell: int
    line: int   # the cell's line number of the source's first line


@dataclass(frozen=True)
class Prints:
    """The fingerprints of one code.

    spans[i] = (line, first column, last column) of token i, lines 0-based in the code;
    hashes[j] = hash of the k-gram of tokens j .. j+k-1; selected = winnowed k-gram indices."""
    spans: tuple
    hashes: np.ndarray
    selected: np.ndarray

    @property
    def fingerprints(self):
        return set(self.hashes[self.selected].tolist())


def stub_codes(statements):
    """{stub: Code} for each stub the statements define (the last definition wins)."""
    found = {}
    for statement in statements:
        for stub, start, text in _stub_definitions(statement["source"]):
            found[stub] = Code(stub, text, statement["cell"], start)
    return found


# A class shares most statements with the release: each distinct statement is parsed once.
@functools.lru_cache(maxsize=4096)
def _stub_definitions(source):
    """((stub, first line, dedented source), ...) of the stubs `source` defines."""
    if not any(f"def {attribute or holder}" in source for holder, attribute in STUBS.values()):
        return ()  # most statements define something else: no need to parse them
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return ()
    lines = source.splitlines(keepends=True)
    found = []
    for stub, (holder, attribute) in STUBS.items():
        node = _definition(tree, holder, attribute)
        if node is not None:
            start = min([node.lineno] + [d.lineno for d in node.decorator_list])
            found.append((stub, start, textwrap.dedent("".join(lines[start - 1:node.end_lineno]))))
    return tuple(found)


def _definition(tree, holder, attribute):
    for node in tree.body:
        if attribute is None and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == holder:
            return node
        if attribute is not None and isinstance(node, ast.ClassDef) and node.name == holder:
            methods = [n for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                       and n.name == attribute]
            if methods:
                return methods[-1]
    return None


def tokens(source):
    """(normalised token texts, (line, start column, end column) of each), lines 0-based."""
    texts, spans = [], []
    previous = None
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in DROPPED:
                continue
            texts.append(_normalise(tok, previous))
            end_col = tok.end[1] if tok.end[0] == tok.start[0] else len(source.splitlines()[tok.start[0] - 1])
            spans.append((tok.start[0] - 1, tok.start[1], end_col))
            previous = tok
    except (tokenize.TokenError, SyntaxError):  # cannot happen for parsed code; keep what was read
        pass
    return texts, tuple(spans)


def _normalise(tok, previous):
    if tok.type == tokenize.NAME:
        after_dot = previous is not None and previous.type == tokenize.OP and previous.string == "."
        return tok.string if after_dot or tok.string in KEPT_NAMES else "V"
    if tok.type == tokenize.STRING:
        return "S"
    if tok.type == tokenize.NUMBER:
        try:  # 1e-8, 1e-08 and 0.00000001 are one number
            return repr(ast.literal_eval(tok.string))
        except (ValueError, SyntaxError):
            return tok.string
    return tok.string


@functools.lru_cache(maxsize=None)
def _token_id(text):
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")


def kgram_hashes(texts, k):
    """Stable uint64 hash of each run of k tokens (none when there are fewer than k)."""
    count = len(texts) - k + 1
    if count <= 0:
        return np.zeros(0, dtype=np.uint64)
    ids = np.array([_token_id(t) for t in texts], dtype=np.uint64)
    hashes = np.zeros(count, dtype=np.uint64)
    for offset in range(k):  # sum of ids[j + offset] * BASE^(k-1-offset), wrapping mod 2^64 as a hash should
        hashes = hashes * BASE + ids[offset:offset + count]
    return hashes


def winnow(hashes, window):
    """Indices of the k-grams robust winnowing keeps: the rightmost minimum of every window."""
    if len(hashes) == 0:
        return np.zeros(0, dtype=np.int64)
    if len(hashes) <= window:
        return np.array([len(hashes) - 1 - int(np.argmin(hashes[::-1]))])
    windows = np.lib.stride_tricks.sliding_window_view(hashes, window)
    rightmost = window - 1 - np.argmin(windows[:, ::-1], axis=1)
    return np.unique(np.arange(len(windows)) + rightmost)


@functools.lru_cache(maxsize=4096)
def prints(source, k, window):
    """The fingerprints of `source`; cached, since a class repeats untouched and reference stubs."""
    texts, spans = tokens(source)
    hashes = kgram_hashes(texts, k)
    return Prints(spans, hashes, winnow(hashes, window))
