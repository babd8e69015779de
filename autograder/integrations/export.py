"""Per-part grades from the nbgrader gradebook: `python -m autograder export` (`make export`).

nbgrader's own `nbgrader export` gives one score per assignment. This writes
what `make grade` writes in grades.csv, from the gradebook instead: one row
per student, one column per part (the sum of that part's test cells, grade
ids `test_<part>` or `test_<part>_<anything>`), and nbgrader's total for the
assignment. A student with no submission gets a row with empty cells.

The gradebook and course id are found the way nbgrader finds them: from the
course directory's nbgrader_config.py (here: $GRADLAB_GRADEBOOK and
$GRADLAB_COURSE_ID), unless --db / --course say otherwise.
"""
import csv
import io
import sys
from pathlib import Path

from autograder import config
from autograder.outputs.report import score_text, spreadsheet_cell, write_atomic


def part_of(cell_name, part_ids):
    """The part a test cell belongs to, or None: `test_part2` and `test_part2_extra` are part2's."""
    for pid in part_ids:
        if cell_name == f"test_{pid}" or cell_name.startswith(f"test_{pid}_"):
            return pid
    return None


def gradebook_rows(db_url, course_id, assignment, part_ids):
    """[{"student", <part id>: score or None, "total": score or None}] sorted by student id."""
    from nbgrader.api import Gradebook, MissingEntry

    rows = []
    with Gradebook(db_url, course_id) as gb:
        try:
            gb.find_assignment(assignment)
        except MissingEntry:
            raise ValueError(f"the gradebook {db_url} has no assignment {assignment!r} "
                             "(run `make release` first)") from None
        for student in sorted(gb.students, key=lambda s: s.id):
            row = {"student": student.id, **{pid: None for pid in part_ids}, "total": None}
            try:
                submission = gb.find_submission(assignment, student.id)
            except MissingEntry:
                rows.append(row)  # enrolled, never submitted: empty cells, not zeros
                continue
            for pid in part_ids:
                row[pid] = 0.0
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    pid = part_of(grade.name, part_ids)
                    if pid is not None:
                        row[pid] += grade.score
            row["total"] = float(submission.score)
            rows.append(row)
    return rows


def to_csv(rows, part_ids):
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", *part_ids, "total"])
    for row in rows:
        writer.writerow([spreadsheet_cell(row["student"]),
                         *("" if row[k] is None else score_text(round(row[k], 6)) for k in [*part_ids, "total"])])
    return buffer.getvalue()


def table(rows, part_ids):
    """The same numbers for the terminal."""
    width = max([len("student")] + [len(r["student"]) for r in rows])
    head = f"{'student':<{width}} " + " ".join(f"{k:>7}" for k in [*part_ids, "total"])
    lines = [head]
    for row in rows:
        cells = ("-" if row[k] is None else f"{row[k]:g}" for k in [*part_ids, "total"])
        lines.append(f"{row['student']:<{width}} " + " ".join(f"{c:>7}" for c in cells))
    return "\n".join(lines)


def nbgrader_settings(course_dir):
    """(db_url, course_id) as nbgrader itself resolves them for `course_dir`."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    course_dir = Path(course_dir).resolve()
    cfg = Config()
    if (course_dir / "nbgrader_config.py").exists():
        cfg = PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config()
    if "root" not in cfg.CourseDirectory:
        cfg.CourseDirectory.root = str(course_dir)
    coursedir = CourseDirectory(config=cfg)
    return coursedir.db_url, coursedir.course_id


def add_parser(commands):
    sub = commands.add_parser(
        "export", help="per-part grades from the nbgrader gradebook (make export)",
        description="Write per-part grades (student, one column per part, total) from the nbgrader gradebook.")
    sub.add_argument("--course-dir", type=Path, default=Path("."), metavar="DIR",
                     help="the nbgrader course directory, whose nbgrader_config.py is read (default: .)")
    sub.add_argument("--db", metavar="URL_OR_PATH", help="the gradebook (default: nbgrader's setting)")
    sub.add_argument("--course", metavar="ID", help="the course id (default: nbgrader's setting)")
    sub.add_argument("--assignment", metavar="ID", help="default: the assignment in grading.toml")
    sub.add_argument("--config", type=Path, default=config.DEFAULT_PATH, metavar="TOML",
                     help="grading settings, for the parts (default: %(default)s)")
    sub.add_argument("--out", type=Path, metavar="CSV", help="where to write the CSV (default: standard output)")
    sub.set_defaults(run=main)


def main(args):
    try:
        grading = config.load(args.config)
        db_url, course_id = nbgrader_settings(args.course_dir)
        if args.db:
            db_url = args.db if "://" in args.db else "sqlite:///" + str(Path(args.db).resolve())
        course_id = args.course or course_id
        if db_url.startswith("sqlite:///") and not Path(db_url[len("sqlite:///"):]).exists():
            raise ValueError(f"no gradebook at {db_url[len('sqlite:///'):]} (run `make release` first)")
        part_ids = list(grading.parts)  # grading.toml's order, grades.csv's columns
        rows = gradebook_rows(db_url, course_id, args.assignment or grading.assignment, part_ids)
    except (config.ConfigError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    text = to_csv(rows, part_ids)
    if args.out is None:
        sys.stdout.write(text)
        return 0
    write_atomic(args.out, text)
    print(table(rows, part_ids))
    print(f"\n{len(rows)} students written to {args.out}")
    return 0
