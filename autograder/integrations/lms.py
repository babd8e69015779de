"""Grades into the LMS: `python -m autograder lms --to canvas|moodle --roster FILE --out FILE OUT_DIR`.

The roster is the LMS's own gradebook export, so the file written back uses
the LMS's own columns and identifiers and nobody merges by hand:

- Canvas (Grades > Export): `Student, ID, [SIS User ID,] SIS Login ID,
  [Integration ID, Root Account,] Section`, then one column per assignment
  titled `Name (assignment id)`, read-only totals, and a `Points Possible`
  row (sometimes after a `Manual Posting` row) before the students. Canvas
  matches an imported row by ID, then SIS ids, then name; a column whose
  title has no id makes a new assignment (the import page asks first).
- Moodle (Export > Plain text file): the user fields (`First name, Last
  name, ID number, Institution, Department, Email address`, and any the site
  adds), then `Module: Item name (Real)` per grade item. On import the
  teacher maps one identifier column to the users and each grade column to a
  grade item (or a new one, or ignore).

Students are matched to submissions by their identifiers (SIS login, SIS
id, Canvas id, ID number, e-mail and its part before the @; nbgrader ids are
usually one of these), or through a mapping CSV (`submission,student`:
a submission id and any of the student's identifiers). Every roster row is
written back, in the roster's order. A student with no submission, a
submission with no student and an ambiguous match keep the LMS's current
value, and are listed on the terminal and in FILE's `.problems.csv`.

Written as UTF-8, with a byte order mark exactly when the roster had one:
Canvas writes one in its exports when the user asks for it (so that Excel
shows accented names) and its importer reads its own exports, while one
check of its header ("LastName" in the first/last-name export) compares the
first cell exactly, so a mark the export did not have could break it;
Moodle's exports have none and its importer removes one. The problems file,
read by people in spreadsheets, always has one. Commas, quotes and line
breaks in names go through the csv module's quoting, both ways.
"""
import argparse
import csv
import io
import re
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from autograder import config
from autograder.outputs.report import read_records, spreadsheet_cell, write_atomic

DESCRIPTION = __doc__.split("\n\n", 1)[1]
BOM = "\ufeff"
# Columns that identify a student, per LMS, in the order they are tried for messages.
IDENTIFIERS = {
    "canvas": ("SIS Login ID", "SIS User ID", "ID", "Integration ID"),
    "moodle": ("Username", "ID number", "Email address"),
}
MOODLE_DISPLAY = re.compile(r"\s*\((Real|Percentage|Letter|Feedback)\)$")
CANVAS_ID = re.compile(r"\s+\(\d+\)$")
CANVAS_TOTALS = ("Current Score", "Current Points", "Current Grade", "Final Score", "Final Points",
                 "Final Grade", "Override Score", "Override Grade", "Override Status")
MOODLE_TRAILING = ("Last downloaded from this course",)


class RosterError(ValueError):
    """The roster or mapping file cannot be used; the message says what to export instead."""


@dataclass
class Roster:
    lms: str
    header: list
    info: int                 # the first `info` columns describe the student
    students: list            # rows, in the roster's order
    keys: list                # column indices that identify a student
    points: list = None       # Canvas' "Points Possible" row
    bom: bool = False         # the export began with a UTF-8 byte order mark


@dataclass
class Match:
    """Which roster rows get which record, and what could not be matched."""
    graded: dict = field(default_factory=dict)       # roster row index -> record
    ambiguous: set = field(default_factory=set)      # roster row indices no grade may be given
    problems: list = field(default_factory=list)     # {"problem", "submission", "student", "detail"}


# -- reading ------------------------------------------------------------------------------

def read_csv(path, what):
    """Rows of a CSV file in UTF-8 (with or without a byte order mark), any common separator."""
    try:
        text = Path(path).read_bytes().decode("utf-8-sig")   # -sig: the mark is not part of a name
    except FileNotFoundError:
        raise RosterError(f"{what} {path} not found") from None
    except UnicodeDecodeError:
        raise RosterError(f"{what} {path} is not UTF-8 text: download it again from the LMS, or save it "
                          "from a spreadsheet as \"CSV UTF-8\"") from None
    first = text.split("\n", 1)[0]
    # The separator that splits the header into the most columns (Canvas uses ";" in some locales,
    # Moodle lets the teacher pick , ; : or tab).
    delimiter = max(",;\t:", key=lambda d: (len(next(csv.reader([first], delimiter=d), [])), d == ","))
    rows = [row for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)]
    return [row for row in rows if any(cell.strip() for cell in row)]


def read_roster(path, lms, extra_keys=()):
    rows = read_csv(path, f"The {lms.title()} roster")
    if not rows:
        raise RosterError(f"The roster {path} is empty")
    roster = (_canvas_roster if lms == "canvas" else _moodle_roster)(rows, list(extra_keys), path)
    roster.bom = Path(path).read_bytes()[:3] == BOM.encode()
    return roster


def _canvas_roster(rows, extra_keys, path):
    header = [cell.strip() for cell in rows[0]]
    if not (len(header) > 3 and ("Student" in header[0] or header[:2] == ["LastName", "FirstName"])
            and "Section" in header):
        raise RosterError(f"{path} is not a Canvas gradebook export: its first columns should be Student, ID, "
                          "SIS User ID, SIS Login ID, ..., Section (Grades > Export > Export Entire Gradebook)")
    info = header.index("Section") + 1
    points, students = None, []
    for row in rows[1:]:
        row = _pad(row, len(header))
        if "Points Possible" in row[0]:
            points = row
        elif all(re.fullmatch(r"\s*(Muted|Manual Posting.*)?\s*", cell, re.I) for cell in row):
            continue   # Canvas' own importer skips this row too: it only says which assignments post manually
        else:
            students.append(row)
    keys = _key_columns(header[:info], IDENTIFIERS["canvas"] + tuple(extra_keys), path)
    return Roster("canvas", header, info, students, keys, points)


def _moodle_roster(rows, extra_keys, path):
    header = [cell.strip() for cell in rows[0]]
    grades = [i for i, title in enumerate(header) if MOODLE_DISPLAY.search(title)]
    info = grades[0] if grades else next((i for i, t in enumerate(header) if ":" in t), len(header))
    keys = _key_columns(header[:info], IDENTIFIERS["moodle"] + tuple(extra_keys), path)
    students = [_pad(row, len(header)) for row in rows[1:]]
    return Roster("moodle", header, info, students, keys)


def _key_columns(titles, names, path):
    found = [titles.index(name) for name in names if name in titles]
    if not found:
        raise RosterError(f"{path} has no column that identifies a student (looked for "
                          f"{', '.join(names)}; name another with --key)")
    return found


def _pad(row, width):
    return (row + [""] * width)[:max(width, len(row))]


def read_mapping(path):
    """{submission id: the student's identifier} from a two-column CSV with a header row."""
    rows = read_csv(path, "The mapping file")
    if not rows or len(rows[0]) < 2:
        raise RosterError(f"The mapping file {path} needs two columns: submission,student")
    mapping = {}
    for row in rows[1:]:
        submission, student = (row + ["", ""])[:2]
        if submission.strip():
            mapping[submission.strip()] = student.strip()
    return mapping


def read_results(out_dir):
    """The results records in OUT_DIR/results, and the files that could not be read."""
    try:
        records, problems = read_records(out_dir)
    except FileNotFoundError:
        raise RosterError(f"{Path(out_dir) / 'results'} not found: grade first (make grade OUT={out_dir})") from None
    unreadable = [{"problem": "unreadable result", "submission": text.split(": ", 1)[0], "student": "",
                   "detail": text.split(": ", 1)[-1]} for text in problems]
    return [stored.record for stored in records.values()], unreadable


# -- matching -----------------------------------------------------------------------------

def norm(text):
    """How identifiers compare: Unicode NFC (macOS file names are NFD), no case, no outer spaces."""
    return unicodedata.normalize("NFC", text).strip().casefold()


def identifiers(roster, row):
    """The normalised values a submission id may equal: each key cell and an e-mail's local part."""
    found = set()
    for index in roster.keys:
        value = norm(row[index])
        if value:
            found.add(value)
            if "@" in value:
                found.add(value.split("@", 1)[0])
    return found


def match(roster, records, mapping=None):
    mapping = {norm(k): v for k, v in (mapping or {}).items()}
    index = {}
    for row_number, row in enumerate(roster.students):
        for key in identifiers(roster, row):
            index.setdefault(key, set()).add(row_number)
    result, claims, pointed = Match(), {}, set()
    for record in records:
        sid = record["submission"]
        key = norm(mapping.get(norm(sid), sid))
        rows = sorted(index.get(key, ()))
        via = f" (mapped to {mapping[norm(sid)]!r})" if norm(sid) in mapping else ""
        if not rows:
            result.problems.append(_problem("submission without student", sid, "",
                                            f"no roster identifier equals {key!r}{via}"))
        elif len(rows) > 1:
            pointed.update(rows)   # listed here with the submission, not again as "without submission"
            names = "; ".join(_name(roster, roster.students[r]) for r in rows)
            result.problems.append(_problem("ambiguous", sid, names,
                                            f"{key!r}{via} identifies {len(rows)} roster rows: no grade written"))
        else:
            claims.setdefault(rows[0], []).append(record)
    result.ambiguous = set(pointed)
    for row_number, row in enumerate(roster.students):
        claimed = claims.get(row_number, [])
        if len(claimed) == 1:
            result.graded[row_number] = claimed[0]
        elif len(claimed) > 1:
            result.ambiguous.add(row_number)
            ids = ", ".join(r["submission"] for r in claimed)
            for record in claimed:
                result.problems.append(_problem("ambiguous", record["submission"], _name(roster, row),
                                                f"{len(claimed)} submissions ({ids}) match this student: "
                                                "no grade written"))
        elif row_number not in pointed:
            result.problems.append(_problem("student without submission", "", _name(roster, row),
                                            "identifiers: " + ", ".join(row[i] for i in roster.keys if row[i])))
    return result


def _problem(kind, submission, student, detail):
    return {"problem": kind, "submission": submission, "student": student, "detail": detail}


def _name(roster, row):
    """The student as the roster names them (Canvas: "Last, First"; Moodle: first and last name)."""
    if roster.lms == "moodle":
        names = [row[roster.header.index(t)] for t in ("First name", "Last name") if t in roster.header[:roster.info]]
        if any(names):
            return " ".join(names)
    if roster.header[:2] == ["LastName", "FirstName"]:   # Canvas' "first and last name" export
        return f"{row[0]}, {row[1]}"
    return row[0]


# -- columns ------------------------------------------------------------------------------

def title(roster, header):
    """A grade column's name without the LMS's decoration: Canvas' "(12345)", Moodle's "(Real)"."""
    return (CANVAS_ID if roster.lms == "canvas" else MOODLE_DISPLAY).sub("", header).strip()


def grade_columns(roster):
    """Indices of the columns that hold grades (not the student's details, not read-only totals)."""
    found = []
    for i in range(roster.info, len(roster.header)):
        name = roster.header[i]
        if roster.lms == "canvas" and (any(t in name for t in CANVAS_TOTALS)
                                       or (roster.points and "read only" in roster.points[i])):
            continue
        if roster.lms == "moodle" and (name in MOODLE_TRAILING or name.endswith("(Feedback)")):
            continue
        found.append(i)
    return found


def target_column(roster, wanted, assignment, part_names=()):
    """The column the lab total goes in: (index or None for a new column, its header).

    part_names: the part columns' titles, which also hold the assignment's name but are not it."""
    columns = [i for i in grade_columns(roster) if title(roster, roster.header[i]) not in part_names]
    if wanted:
        exact = [i for i in columns if norm(title(roster, roster.header[i])) == norm(wanted)
                 or norm(roster.header[i]) == norm(wanted)]
        hits = exact or [i for i in columns if norm(wanted) in norm(roster.header[i])]
    else:
        squash = re.sub(r"[\W_]", "", assignment.casefold())   # lab4_3 finds "Lab 4.3 (1234)"
        hits = [i for i in columns if squash in re.sub(r"[\W_]", "", roster.header[i].casefold())]
    if len(hits) == 1:
        return hits[0], roster.header[hits[0]]
    listed = "; ".join(roster.header[i] for i in (hits or columns)) or "none"
    if len(hits) > 1:
        raise RosterError(f"{len(hits)} roster columns match {wanted or assignment!r}: {listed}. "
                          "Name one exactly with --column")
    if wanted:
        return None, wanted   # a new column: Canvas offers to create the assignment, Moodle a grade item
    raise RosterError(f"no roster column matches {assignment!r} (grade columns: {listed}). Name the "
                      "assignment's column with --column, or a new column's title")


def part_columns(roster, records, assignment):
    """[(part id, index or None, header, max score)], titled "<assignment> <part title>": an existing
    column is reused, so a second import updates the parts instead of making them again."""
    parts = {}
    for record in records:
        for pid, part in record["parts"].items():
            parts.setdefault(pid, (part.get("title", pid), part.get("max_score", 0)))
    found = []
    for pid, (part_title, points) in parts.items():
        header = f"{assignment} {part_title}"
        index = next((i for i in grade_columns(roster) if title(roster, roster.header[i]) == header), None)
        found.append((pid, index, roster.header[index] if index is not None else header, points))
    return found


# -- writing ------------------------------------------------------------------------------

def number(value):
    """A score as the LMS shows it: at most two decimals, no trailing zeros."""
    text = f"{round(float(value), 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def parse_points(text):
    """A Points Possible cell ("36", "36.00", "36,5" in a decimal-comma locale), or None."""
    try:
        return float(text.strip().replace(",", "."))
    except (ValueError, AttributeError):
        return None


def build(roster, matched, records, assignment, column=None, points=None, missing="keep", parts=True):
    """The import file's rows (header first) and a note on scaling, if any."""
    part_cols = part_columns(roster, records, assignment)
    index, header = target_column(roster, column, assignment, {title(roster, h) for _, _, h, _ in part_cols})
    part_cols = part_cols if parts else []
    lab_max = max((float(r.get("max_score", 0)) for r in records), default=0.0)
    roster_points = parse_points(roster.points[index]) if roster.points and index is not None else None
    scale_to = points if points is not None else roster_points
    scale = scale_to / lab_max if scale_to and lab_max and abs(scale_to - lab_max) > 1e-9 else 1.0
    note = (f"Totals scaled from {number(lab_max)} to the column's {number(scale_to)} points." if scale != 1.0
            else "")
    out = [roster.header[:roster.info] + [header] + [h for _, _, h, _ in part_cols]]
    if roster.lms == "canvas":
        pp = (roster.points[:roster.info] if roster.points else ["    Points Possible"] + [""] * (roster.info - 1))
        target_pp = roster.points[index] if roster_points is not None else number(scale_to or lab_max)
        out.append(pp + [target_pp] + [number(p) for _, _, _, p in part_cols])
    for row_number, row in enumerate(roster.students):
        record = matched.graded.get(row_number)
        if record is not None:
            values = [number(record["score"] * scale)]
            values += [number(record["parts"][pid]["score"]) if pid in record["parts"] else ""
                       for pid, _, _, _ in part_cols]
        elif missing == "zero" and row_number not in matched.ambiguous:
            values = ["0"] * (1 + len(part_cols))
        else:   # keep what the LMS has: importing the file changes nothing for this student (an
            # ambiguous match too: which submission is theirs is for a person to say)
            values = [row[index] if index is not None else ""]
            values += [row[i] if i is not None else "" for _, i, _, _ in part_cols]
        out.append(row[:roster.info] + values)
    return out, note


def to_csv(rows, bom):
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows(rows)
    return (BOM if bom else "") + buffer.getvalue()


def problems_csv(problems):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(["problem", "submission", "student", "detail"])
    for p in problems:
        # Submission ids are file names students chose: never let a spreadsheet run one as a formula.
        writer.writerow([spreadsheet_cell(str(p[k])) for k in ("problem", "submission", "student", "detail")])
    return BOM + buffer.getvalue()


def problems_path(out):
    out = Path(out)
    return out.with_name(out.stem + ".problems.csv")


def summary(problems, written, students, note):
    lines = [f"Wrote {written}: {students} students, in the roster's order."]
    if note:
        lines.append(note)
    kinds = {"student without submission": "students without submission",
             "submission without student": "submissions without student",
             "ambiguous": "ambiguous", "unreadable result": "unreadable results"}
    for kind, plural in kinds.items():
        found = [p for p in problems if p["problem"] == kind]
        if found:
            lines.append(f"\n{len(found)} {kind if len(found) == 1 else plural}:")
            lines += [f"  {p['submission'] or p['student']}"
                      + (f" ({p['student']})" if p["submission"] and p["student"] else "")
                      + f": {p['detail']}" for p in found]
    if not problems:
        lines.append("Every student matched exactly one submission.")
    return "\n".join(lines)


# -- command ------------------------------------------------------------------------------

def add_parser(commands):
    sub = commands.add_parser("lms", help="write a Canvas or Moodle gradebook import file",
                              description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub.add_argument("out_dir", type=Path, metavar="OUT_DIR", help="what `grade --out` wrote")
    sub.add_argument("--to", required=True, choices=("canvas", "moodle"), help="the LMS")
    sub.add_argument("--roster", required=True, type=Path, metavar="FILE",
                     help="the LMS's gradebook export (CSV)")
    sub.add_argument("--out", required=True, type=Path, metavar="FILE", help="the import file to write")
    sub.add_argument("--map", type=Path, metavar="CSV",
                     help="submission,student pairs for ids the roster does not hold")
    sub.add_argument("--column", metavar="TITLE",
                     help="the assignment's column (default: the one named like grading.toml's assignment); "
                          "a title no column has makes a new one")
    sub.add_argument("--key", action="append", default=[], metavar="COLUMN",
                     help="another roster column that identifies students (repeatable)")
    sub.add_argument("--points", type=float, metavar="N",
                     help="the LMS column's points, to scale the total to (Canvas: read from the roster)")
    sub.add_argument("--missing", choices=("keep", "zero"), default="keep",
                     help="students without a submission: keep the LMS's value (default) or write 0")
    sub.add_argument("--no-parts", action="store_true", help="write the lab total only, no part columns")
    sub.add_argument("--config", type=Path, default=config.DEFAULT_PATH, metavar="TOML",
                     help="grading settings (default: %(default)s)")
    sub.set_defaults(run=main)


def main(args):
    try:
        assignment = config.load(args.config).assignment
        roster = read_roster(args.roster, args.to, args.key)
        records, unreadable = read_results(args.out_dir)
        mapping = read_mapping(args.map) if args.map else None
        matched = match(roster, records, mapping)
        rows, note = build(roster, matched, records, assignment, args.column, args.points, args.missing,
                           not args.no_parts)
    except (RosterError, config.ConfigError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    problems = matched.problems + unreadable
    write_atomic(args.out, to_csv(rows, roster.bom))
    write_atomic(problems_path(args.out), problems_csv(problems))
    print(summary(problems, args.out, len(roster.students), note))
    if problems:
        print(f"\nThese {len(problems)} are also in {problems_path(args.out)}.")
    return 0
