"""grading.toml: every key declared once, loaded once, validated against the registered checks.

Each key of grading.toml is a field of the record that holds it (`Grading`, `Limits`, `Part`,
`Similarity`, `Mutants`): the field's annotation is its type, and `setting`, `section` or `names`
declare its default (or that it is required), range or choices, unit and help. The loader, the
records' defaults and the reference (`reference()`, `python -m autograder config`) all read these
declarations, so adding a key, or a section, is one declaration here.

The file holds points and settings, never logic. A mistake in it is a `ConfigError` of one line
that names the file, the key as `[section] key`, its value and what is allowed.
"""
import dataclasses
import json
import math
import tomllib
import typing
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
    """grading.toml is missing, malformed, or does not match the registered checks; the message is one line."""


# -- declaring a key -------------------------------------------------------------------------

REQUIRED = dataclasses.MISSING  # the default of a key the file must give
DECLARED = "grading.toml"       # the metadata entry of a field that is a key of grading.toml


@dataclass(frozen=True)
class Declared:
    """How a record's field appears in grading.toml; made by `setting`, `section` or `names`."""
    role: str                 # "setting": key = value; "section": a [table] of its record's keys;
    #                           "names": a table of <name> = value, or of [table.<name>] records
    help: str
    low: float | None = None  # numbers: the smallest and largest allowed, either may be open
    high: float | None = None
    choices: tuple = ()
    unit: str = ""
    table: str = ""           # setting: written in this [table] of the file, not in its record's own
    name: str = ""            # names: what each name is ("part", "check"), shown as <part>
    among: str = ""           # names: only the names of this top-level table are allowed
    required: bool = False    # names: the table itself must be in the file


def setting(default=REQUIRED, *, help, low=None, high=None, choices=(), unit="", table=""):
    """A key = value of grading.toml; its type is the field's annotation (str, int, float or bool)."""
    return field(default=default, metadata={DECLARED: Declared("setting", help, low, high, tuple(choices), unit,
                                                               table=table)})


def section(record, *, help):
    """A [table] of grading.toml holding the keys `record` declares; absent, every key has its default."""
    return field(default_factory=record, metadata={DECLARED: Declared("section", help)})


def names(*, name, help, low=None, high=None, unit="", among="", required=False):
    """A table of grading.toml whose keys are names (of parts, of checks): the field is a dict[str, X].

    X a record: each name is a [table.<name>] of X's keys, and X gets the name as its first field.
    X a scalar type: each name = value, in `low`..`high`."""
    return field(default_factory=dict, metadata={DECLARED: Declared("names", help, low, high, (), unit, name=name,
                                                                    among=among, required=required)})


# -- the keys of grading.toml ------------------------------------------------------------------

@dataclass(frozen=True)
class Limits:
    """What a worker grading one submission may use, and how long it may take."""
    call_timeout: float = setting(5.0, low=0.5, high=600, unit="seconds", help="time for one call into student code")
    load_timeout: float = setting(20.0, low=1, high=3600, unit="seconds",
                                  help="time to load a submission's definitions into a worker")
    submission_timeout: float = setting(120.0, low=1, high=36000, unit="seconds",
                                        help="time for all of one submission's checks, shared out among its parts")
    memory_mb: int = setting(1536, low=256, high=1048576, unit="MB", help="address space of a worker process")
    cpu_seconds: int = setting(120, low=1, high=36000, unit="seconds", help="CPU time of a worker process")
    file_size_mb: int = setting(8, low=1, high=65536, unit="MB",
                                help="largest file a worker may write, its printed output included")
    max_processes: int = setting(32, low=1, high=65536, unit="processes",
                                 help="processes and threads of the sandbox user")
    output_chars: int = setting(4000, low=0, high=1000000, unit="characters",
                                help="printed output kept for a submission's feedback")


@dataclass(frozen=True)
class Part:
    """One graded part; its points are the sum of its checks' points."""
    id: str
    title: str = setting(help="the part's heading on feedback pages, reports and exports")
    points: float = setting(low=0, unit="points", help="the part's points: what its checks' points add up to")
    checks: dict[str, float] = names(name="check", low=0, unit="points", required=True,
                                     help="the points of each check registered for the part, in the order "
                                          "feedback lists them; whether a check is hidden is said in its @check")


@dataclass(frozen=True)
class Similarity:
    """The "Pairs to review" section of report.html and OUT/similarity.json."""
    k: int = setting(12, low=2, high=200, unit="tokens",
                     help="tokens per fragment compared (names, strings, comments and whitespace ignored)")
    window: int = setting(6, low=1, high=200, unit="fragments",
                          help="winnowing keeps one fingerprint in every `window` fragments")
    common_share: float = setting(0.5, low=0, high=1,
                                  help="a fragment in more than this share of the class is common code")
    common_weight: float = setting(0.1, low=0, high=1,
                                   help="what a common fragment, or one of the reference solution, counts "
                                        "(1 = in full)")
    pairs_shown: int = setting(10, low=0, high=1000, unit="pairs", help="pairs listed per stub and overall")
    threshold: float = setting(0.4, low=0, high=1, help="pairs scoring at least this are listed and grouped")


@dataclass(frozen=True)
class Mutants:
    """The release gate of `make mutants` (autograder/tools/mutants/)."""
    min_kill_rate: dict[str, float] = names(name="part", low=0, high=1, among="parts",
                                            help="share of the part's non-equivalent generated mutants its checks "
                                                 "must kill, or `make mutants` fails and names the survivors; "
                                                 "a part not listed is not gated")
    equivalence_inputs: int = setting(40, low=1, high=10000, unit="inputs",
                                      help="random inputs a surviving mutant is compared on, after the edge cases")


@dataclass(frozen=True)
class Grading:
    """The whole of grading.toml."""
    assignment: str = setting(help="the nbgrader assignment: its folder under `assignment/` and `submitted/<student>/`")
    notebook: str = setting(help="the file name of the released notebook")
    seed: int = setting(help="every random input derives from this, the part and the check (`--seed` overrides it)")
    limits: Limits = section(Limits, help=Limits.__doc__)
    max_examples: int = setting(12, low=1, high=10000, unit="examples", table="hypothesis",
                                help="examples per property check; a failure is shrunk to the smallest input")
    parts: dict[str, Part] = names(name="part", required=True, help=Part.__doc__)
    similarity: Similarity = section(Similarity, help=Similarity.__doc__)
    mutants: Mutants = section(Mutants, help=Mutants.__doc__)

    @property
    def max_score(self):
        return sum(part.points for part in self.parts.values())

    def points(self, part, check):
        return self.parts[part].checks[check]


# -- the schema, for people and tools ----------------------------------------------------------

@dataclass(frozen=True)
class Key:
    """One key of grading.toml as the reference lists it."""
    table: str          # where it is written: "" (the top level), "limits", "parts.<part>.checks"
    name: str           # "call_timeout"; "<check>" for each name of a `names` table
    kind: type          # str, int, float (an integer is a fine float) or bool
    default: object     # REQUIRED when the file must give it; None for the names of a `names` table
    declared: Declared

    def allowed(self):
        """What a value may be, as the end of "must be ...": "a number of seconds from 0.5 to 600"."""
        return _allowed(self.kind, self.declared)


@dataclass(frozen=True)
class Table:
    """One table of grading.toml and the keys written directly in it."""
    name: str           # "" (the top level), "limits", "parts.<part>"
    help: str
    keys: tuple         # of Key
    required: bool = False


def _join(table, key):
    return f"{table}.{key}" if table else key


def _value_type(annotation):
    """X of a names field's dict[str, X]."""
    return typing.get_args(annotation)[1]


def _tables(record, name, help, required=False):
    """The tables `record` makes at `name`: its own first, then the others in the order of its fields."""
    found = {name: Table(name, help, (), required)}
    for entry in dataclasses.fields(record):
        declared = entry.metadata.get(DECLARED)
        if declared is None:
            continue
        table = _join(name, declared.table or entry.name)
        kind = _value_type(entry.type) if declared.role == "names" else entry.type
        if declared.role == "setting":
            table = table if declared.table else name  # setting(table=...): [hypothesis] holds a Grading field
            own = found.setdefault(table, Table(table, "", ()))
            found[table] = dataclasses.replace(own, keys=own.keys + (Key(table, entry.name, kind, entry.default,
                                                                         declared),))
        elif dataclasses.is_dataclass(kind):  # a section, or a table of named records
            inner = table if declared.role == "section" else f"{table}.<{declared.name}>"
            found.update((each.name, each) for each in _tables(kind, inner, declared.help, declared.required))
        else:  # a table of <name> = value: its help is its one key's
            found[table] = Table(table, "", (Key(table, f"<{declared.name}>", kind, None, declared),),
                                 declared.required)
    return list(found.values())


# Every table and key of grading.toml, in the order of the file (derived from the declarations above).
SCHEMA = tuple(_tables(Grading, "", "The settings of one lab: what is graded, for how many points, and how."))


def reference():
    """Every key of grading.toml with its type, allowed values, default and help, as Markdown."""
    lines = ["# grading.toml reference", "",
             "Every key `grading.toml` may hold (`python -m autograder config` prints this page). "
             "A key left out has its default; an unknown key is an error.", ""]
    for table in SCHEMA:
        if not table.keys:
            continue
        lines += [f"## `[{table.name}]`" if table.name else "## Top level", ""]
        if table.help or table.required:
            lines += [" ".join(filter(None, (table.help, "Required." if table.required else ""))), ""]
        lines += ["| key | type | allowed | default | help |", "|---|---|---|---|---|"]
        for key in table.keys:
            default = "required" if key.default is REQUIRED else "none" if key.default is None else _shown(key.default)
            lines.append(f"| `{key.name}` | {_type_name(key.kind, key.declared.unit)} | "
                         f"{_range(key.declared) or 'any'} | {default} | {key.declared.help} |")
        lines.append("")
    return "\n".join(lines)


def _type_name(kind, unit=""):
    name = {bool: "true or false", int: "whole number", float: "number", str: "string"}[kind]
    return f"{name} of {unit}" if unit else name


def _number(value):
    return str(int(value)) if float(value).is_integer() else str(value)


def _range(declared):
    """The allowed values beyond the type: "from 0.5 to 600", "at least 0", 'one of "a", "b"', or ""."""
    low, high = declared.low, declared.high
    if declared.choices:
        return "one of " + ", ".join(_shown(choice) for choice in declared.choices)
    if low is not None and high is not None:
        return f"from {_number(low)} to {_number(high)}"
    if low is not None:
        return f"at least {_number(low)}"
    return f"at most {_number(high)}" if high is not None else ""


def _allowed(kind, declared):
    """What a value may be, as the end of "must be ...": "a number of seconds from 0.5 to 600"."""
    limits = _range(declared)
    if declared.choices:
        return limits
    name = _type_name(kind, declared.unit)
    article = "" if kind is bool else "an " if name[0] in "aeiou" else "a "
    return article + name + ("" if not limits else f" {limits}" if limits.startswith("from") else f", {limits}")


# -- loading -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Source:
    """The file being read, for the messages, and its whole content, for names `among` another table."""
    shown: str
    root: dict

    def error(self, where, message, value=dataclasses.MISSING):
        written = where if value is dataclasses.MISSING else f"{where} = {_shown(value)}"
        return ConfigError(f"{self.shown}: {written}: {message}")


def _shown(value):
    """A value as grading.toml writes it, short and on one line."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return text if len(text) <= 60 else text[:56] + '..."'
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "[" + ", ".join(_shown(item) for item in value) + "]"
    return str(value)


def _shown_path(path):
    """The file as the person who runs the command knows it: relative to where they are, when it is below."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):  # not below the working folder, or that folder is gone
        return str(path)


def load(path=DEFAULT_PATH, registry=None, withheld=None):
    """Read and validate grading.toml; `registry` is the list of registered checks; withheld:
    {part: names} of checks this kit leaves out (the student kit's hidden ones), which keep
    their points in grading.toml though they are not registered here."""
    path = Path(path)
    shown = _shown_path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{shown}: not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"{shown}: cannot be read ({error})") from None
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(f"{shown}: not valid TOML: {error}") from None
    source = Source(shown, raw)
    grading = _record(Grading, raw, "", source)
    for part in grading.parts.values():
        _points_add_up(part, source)
    if registry is not None:
        _match_registry(grading, registry, source, withheld or {})
    return grading


def _layout(record):
    """The keys `record`'s table may hold: each a field, or a sub-table of fields (`setting(table=...)`)."""
    layout = {}
    for entry in dataclasses.fields(record):
        declared = entry.metadata.get(DECLARED)
        if declared is not None and declared.table:
            layout.setdefault(declared.table, {})[entry.name] = entry
        elif declared is not None:
            layout[entry.name] = entry
    return layout


def _record(record, raw, table, source, *first):
    """`record` built from `raw`, the file's table named `table`; `first`: its fields not read from the file."""
    layout = _layout(record)
    _only_known(raw, layout, table, source)
    values = {}
    for key, entry in layout.items():
        if isinstance(entry, dict):  # a sub-table of settings that live on this record
            sub = _table(raw.get(key, {}), table, key, list(entry), source)
            _only_known(sub, entry, _join(table, key), source)
            values.update({name: _field(each, sub, _join(table, key), source) for name, each in entry.items()})
        else:
            values[key] = _field(entry, raw, table, source)
    return record(*first, **{name: value for name, value in values.items() if value is not dataclasses.MISSING})


def _field(entry, raw, table, source):
    """The value of one field read from `raw`; MISSING leaves the field's default."""
    declared, key = entry.metadata[DECLARED], entry.name
    if key not in raw:
        if declared.role == "setting" and entry.default is REQUIRED:
            raise source.error(_where(table, key), f"missing; it must be {_content(entry, table)}")
        if declared.required:
            raise source.error(f"[{_join(table, key)}]", f"missing; it must be {_content(entry, table)}")
        return dataclasses.MISSING
    if declared.role == "setting":
        return _scalar(raw[key], entry.type, declared, _where(table, key), source)
    value = _table(raw[key], table, key, _content(entry, table), source)
    if declared.role == "section":
        return _record(entry.type, value, _join(table, key), source)
    return _named(value, _value_type(entry.type), declared, _join(table, key), source)


def _content(entry, table):
    """What a field may hold, for a message: "a whole number ...", "call_timeout, ...", "<part> = ..."."""
    declared = entry.metadata[DECLARED]
    if declared.role == "setting":
        return _allowed(entry.type, declared)
    inner = _join(table, entry.name)
    if declared.role == "section":
        return f"a table [{inner}] of {', '.join(_layout(entry.type))}"
    kind = _value_type(entry.type)
    if dataclasses.is_dataclass(kind):
        return f"a table holding a [{inner}.<{declared.name}>] table for each {declared.name}"
    return f"a table [{inner}] of <{declared.name}> = {_allowed(kind, declared)}"


def _named(value, kind, declared, table, source):
    """The dict a `names` table holds: name -> a record of `kind`, or name -> a value of `kind`."""
    if declared.among:
        allowed = source.root.get(declared.among)
        allowed = list(allowed) if isinstance(allowed, dict) else []
        for name in value:
            if name not in allowed:
                raise source.error(_where(table, name), f"unknown {declared.name}; allowed: "
                                   f"{', '.join(allowed) or 'none'} (the {declared.name}s of [{declared.among}])",
                                   value[name])
    if not dataclasses.is_dataclass(kind):
        return {name: _scalar(each, kind, declared, _where(table, name), source) for name, each in value.items()}
    records = {}
    for name, body in value.items():
        body = _table(body, table, name, f"a table [{_join(table, name)}] of {', '.join(_layout(kind))}", source)
        records[name] = _record(kind, body, _join(table, name), source, name)
    return records


def _where(table, key):
    return f"[{table}] {key}" if table else key


def _table(value, table, key, content, source):
    """`value` when it is a table; an error saying what it must be when not."""
    if not isinstance(value, dict):
        raise source.error(_where(table, key), f"must be {content}", value)
    return value


def _only_known(raw, layout, table, source):
    for key, value in raw.items():
        if key not in layout:
            message = f"unknown key; allowed keys: {', '.join(layout)}"
            if isinstance(value, dict):  # written as a [table] header
                raise source.error(f"[{_join(table, key)}]", message)
            raise source.error(_where(table, key), message, value)


def _scalar(value, kind, declared, where, source):
    """`value` if it is of `kind` and allowed by `declared`: bool is no number, an integer is a fine float."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    fits = (type(value) is bool if kind is bool else number and math.isfinite(value) if kind is float
            else isinstance(value, kind) and (number or kind is not int))
    allowed = fits and not (declared.low is not None and value < declared.low
                            or declared.high is not None and value > declared.high
                            or declared.choices and value not in declared.choices)
    if not allowed:
        raise source.error(where, f"must be {_allowed(kind, declared)}", value)
    return value


def _points_add_up(part, source):
    total = sum(part.checks.values())
    if abs(total - part.points) > 1e-9:
        raise source.error(f"[parts.{part.id}] points", f"must be what its checks add up to, {_number(total)}",
                           part.points)


def _match_registry(grading, registry, source, withheld):
    registered = {}
    for check in registry:
        registered.setdefault(check.part, []).append(check.name)
    for pid, names in withheld.items():
        registered.setdefault(pid, []).extend(names)
    for pid, checks in registered.items():
        if pid not in grading.parts:
            raise source.error(f"[parts.{pid}]", f"missing; checks are registered for {pid}: {', '.join(checks)}")
    points = _allowed(float, Part.__dataclass_fields__["checks"].metadata[DECLARED])  # what each check's points may be
    for pid, part in grading.parts.items():
        names = registered.get(pid, [])
        for name, value in part.checks.items():
            if name not in names:
                raise source.error(f"[parts.{pid}.checks] {name}", f"no such check; the checks registered for "
                                   f"{pid}: {', '.join(names) or 'none'}", value)
        for name in names:
            if name not in part.checks:
                raise source.error(f"[parts.{pid}.checks] {name}", f"missing; the check is registered, so it "
                                   f"needs its points ({points})")


# -- the `config` verb ------------------------------------------------------------------------

def add_parser(commands):
    sub = commands.add_parser("config", help="list every key grading.toml may hold, with its type, allowed "
                              "values, default and help", description=reference.__doc__)
    sub.set_defaults(run=print_reference)


def print_reference(args):
    print(reference())
    return 0
