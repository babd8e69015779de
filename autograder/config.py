"""grading.toml: loaded once, validated against the registered checks.

The file holds points and settings, never logic. Unknown keys, a missing part
or check, and points that do not add up are errors with a message that says
which line to fix.
"""
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def package_data(name):
    """A file `make wheel` packs into autograder/data/ (grading.toml, the released notebook)."""
    return Path(str(resources.files(__package__) / "data" / name))


# A checkout reads grading.toml at its root; the installed wheel (no checkout) its packed copy.
DEFAULT_PATH = REPO / "grading.toml" if (REPO / "grading.toml").is_file() else package_data("grading.toml")


class ConfigError(Exception):
    """grading.toml is missing, malformed, or does not match the registered checks."""


@dataclass(frozen=True)
class Limits:
    call_timeout: float = 5.0
    load_timeout: float = 20.0
    submission_timeout: float = 120.0
    memory_mb: int = 1536
    cpu_seconds: int = 120
    file_size_mb: int = 8
    max_processes: int = 32
    output_chars: int = 4000


@dataclass(frozen=True)
class Similarity:
    k: int = 12                 # tokens per fragment compared (k-gram)
    window: int = 6             # winnowing keeps one fingerprint in every `window` fragments
    common_share: float = 0.5   # a fragment in more than this share of the class is common
    common_weight: float = 0.1  # what a common fragment, or one of the reference solution, counts
    pairs_shown: int = 10       # pairs listed in report.html, per stub and overall
    threshold: float = 0.4      # pairs scoring at least this are listed and grouped


@dataclass(frozen=True)
class Part:
    id: str
    title: str
    points: float
    checks: dict  # check name -> points, in grading.toml's order


@dataclass(frozen=True)
class Mutants:
    """[mutants]: the release gate of `make mutants` (autograder/tools/mutants/)."""
    min_kill_rate: dict = field(default_factory=dict)  # part id -> share of non-equivalent mutants killed
    equivalence_inputs: int = 40  # random inputs tried on a survivor, after the edge cases


@dataclass(frozen=True)
class Grading:
    assignment: str
    notebook: str
    seed: int
    limits: Limits
    max_examples: int
    parts: dict = field(default_factory=dict)  # part id -> Part
    similarity: Similarity = field(default_factory=Similarity)
    mutants: Mutants = field(default_factory=Mutants)

    @property
    def max_score(self):
        return sum(part.points for part in self.parts.values())

    def points(self, part, check):
        return self.parts[part].checks[check]


def load(path=DEFAULT_PATH, registry=None):
    """Read and validate grading.toml; `registry` is the list of registered checks."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text())
    except FileNotFoundError:
        raise ConfigError(f"{path} not found") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{path} is not valid TOML: {error}") from None
    _only_keys(raw, {"assignment", "notebook", "seed", "limits", "hypothesis", "parts", "similarity",
                     "mutants"},
               "the top level")
    limits = raw.get("limits", {})
    _only_keys(limits, set(Limits.__dataclass_fields__), "[limits]")
    hypothesis = raw.get("hypothesis", {})
    _only_keys(hypothesis, {"max_examples"}, "[hypothesis]")
    parts = {pid: _part(pid, body) for pid, body in _required(raw, "parts", dict, "the top level").items()}
    grading = Grading(
        assignment=_required(raw, "assignment", str, "the top level"),
        notebook=_required(raw, "notebook", str, "the top level"),
        seed=_required(raw, "seed", int, "the top level"),
        limits=Limits(**limits),
        max_examples=int(hypothesis.get("max_examples", 12)),
        parts=parts,
        similarity=_similarity(raw.get("similarity", {})),
        mutants=_mutants(raw.get("mutants", {}), parts),
    )
    if registry is not None:
        _match_registry(grading, registry)
    return grading


def _part(pid, body):
    where = f"[parts.{pid}]"
    if not isinstance(body, dict):
        raise ConfigError(f"{where} must be a table")
    _only_keys(body, {"title", "points", "checks"}, where)
    points = _required(body, "points", (int, float), where)
    checks = _required(body, "checks", dict, where)
    for name, value in checks.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
            raise ConfigError(f"[parts.{pid}.checks] {name} must be a non-negative number of points")
    total = sum(checks.values())
    if abs(total - points) > 1e-9:
        raise ConfigError(f"{where} has points = {points:g}, but its checks add up to {total:g}")
    return Part(pid, _required(body, "title", str, where), points, dict(checks))


# [similarity]: (type, smallest, largest) of each setting.
SIMILARITY_RANGES = {"k": (int, 2, 200), "window": (int, 1, 200), "common_share": ((int, float), 0.0, 1.0),
                     "common_weight": ((int, float), 0.0, 1.0), "pairs_shown": (int, 0, 1000),
                     "threshold": ((int, float), 0.0, 1.0)}


def _similarity(table):
    if not isinstance(table, dict):
        raise ConfigError("[similarity] must be a table")
    _only_keys(table, set(SIMILARITY_RANGES), "[similarity]")
    for key, value in table.items():
        kind, low, high = SIMILARITY_RANGES[key]
        if not isinstance(value, kind) or isinstance(value, bool) or not low <= value <= high:
            raise ConfigError(f"[similarity] {key} must be a{'n integer' if kind is int else ' number'} "
                              f"from {low:g} to {high:g}, not {value!r}")
    return Similarity(**table)


def _mutants(body, parts):
    if not isinstance(body, dict):
        raise ConfigError("[mutants] must be a table")
    _only_keys(body, {"min_kill_rate", "equivalence_inputs"}, "[mutants]")
    rates = body.get("min_kill_rate", {})
    if not isinstance(rates, dict):
        raise ConfigError("[mutants.min_kill_rate] must be a table of part = share killed")
    _only_keys(rates, set(parts), "[mutants.min_kill_rate]")
    for pid, rate in rates.items():
        if not isinstance(rate, (int, float)) or isinstance(rate, bool) or not 0 <= rate <= 1:
            raise ConfigError(f"[mutants.min_kill_rate] {pid} must be a share between 0 and 1, got {rate!r}")
    count = body.get("equivalence_inputs", Mutants.equivalence_inputs)
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ConfigError("[mutants] equivalence_inputs must be a whole number of inputs, at least 1")
    return Mutants({pid: float(rate) for pid, rate in rates.items()}, count)


def _match_registry(grading, registry):
    registered = {}
    for check in registry:
        registered.setdefault(check.part, []).append(check.name)
    for pid in registered:
        if pid not in grading.parts:
            raise ConfigError(f"grading.toml has no [parts.{pid}], but checks are registered for it")
    for pid, part in grading.parts.items():
        names = set(registered.get(pid, []))
        for name in part.checks:
            if name not in names:
                raise ConfigError(f"[parts.{pid}.checks] {name}: no such check "
                                  f"(registered: {', '.join(sorted(names)) or 'none'})")
        for name in names - set(part.checks):
            raise ConfigError(f"[parts.{pid}.checks] is missing the registered check {name}")


def _only_keys(table, allowed, where):
    for key in table:
        if key not in allowed:
            raise ConfigError(f"unknown key {key!r} in {where} of grading.toml "
                              f"(allowed: {', '.join(sorted(allowed))})")


def _required(table, key, kind, where):
    if key not in table:
        raise ConfigError(f"{where} of grading.toml needs {key!r}")
    value = table[key]
    if not isinstance(value, kind) or isinstance(value, bool):
        raise ConfigError(f"{key!r} in {where} of grading.toml has the wrong type")
    return value
