"""LMS import files from the LMSs' own gradebook exports: every output row checked, no grader run."""
import csv
import io
import subprocess
import sys
import unicodedata

import pytest

from autograder import config
from autograder.integrations import lms
from autograder.pipeline.load import safe_name
from autograder.outputs.report import results_json

from test_pages import make_record

PARTS = list(config.load().parts)
FIRST = {pid: next(iter(part.checks)) for pid, part in config.load().parts.items()}
MAX = config.load().max_score

# Canvas' export (lib/gradebook_exporter.rb): Student ("Last, First"), ID, SIS User ID, SIS Login ID,
# Section, assignments as "Title (id)", read-only totals, a Manual Posting row and the Points
# Possible row (its first cell indented), names starting with "=" quoted as a formula string.
CANVAS = """\ufeffStudent,ID,SIS User ID,SIS Login ID,Section,Lab 4.3 (4411),Quiz 1 (4412),Current Points,Final Points,Current Score,Unposted Current Score,Final Score,Unposted Final Score
,,,,,Manual Posting,,,,,,,
    Points Possible,,,,,36.00,10.00,(read only),(read only),(read only),(read only),(read only),(read only)
"Lovelace, Ada",101,S001,ada,Section A,,8.00,8.00,8.00,80.00,80.00,17.39,17.39
"O'Brien, ""Dutch"" Niamh",102,S002,nobrien,Section A,12.00,,12.00,12.00,26.09,26.09,26.09,26.09
"Müller, Jürgen",103,S003,jürgen.müller@uni.example,"Section B, evening",,,,,,,,
"Wang, Li",104,S004,lwang,Section B,5.00,,,,,,,
"Wang, Li",105,S005,lwang2,Section B,,,,,,,,
"Nosub, Nora",107,S007,nora,Section A,EX,,,,,,,
"=""=cmd, Eve""\",108,S008,eve,Section A,,,,,,,,
"Dup, Dan",109,S009,dan,Section A,,,,,,,,
"Dup, Dan",109,S009,dan,Section B,,,,,,,,
"Student, Test",110,,a1b2c3,Section A,,,,,,,,
"""

# Moodle's plain text export: the user fields, then "Module: Item (Real)" per grade item, then the
# export time. Comma separated here; semicolons in one test.
MOODLE = """First name,Last name,ID number,Institution,Department,Email address,Assignment: Lab 4.3 (Real),Quiz: Quiz 1 (Real),Course total (Real),Last downloaded from this course
Ada,Lovelace,S001,"Uni, Main",CS,ada@uni.example,-,8.00,8.00,1795000000
Niamh,"O'Brien, ""Dutch""\",S002,Uni,CS,nobrien@uni.example,12.00,-,12.00,1795000000
Jürgen,Müller,S003,Uni,CS,jürgen.müller@uni.example,-,-,-,1795000000
Li,Wang,S004,Uni,CS,lwang@uni.example,5.00,-,5.00,1795000000
Li,Wang,S005,Uni,CS,lwang2@uni.example,-,-,-,1795000000
Nora,Nosub,S007,Uni,CS,nora@uni.example,-,-,-,1795000000
Dan,Dup,S009,Uni,CS,dan@uni.example,-,-,-,1795000000
Dan,Dup,S009,Uni,Physics,dan@uni.example,-,-,-,1795000000
"""

# Submission ids as `make grade` names them (nbgrader ids or file stems) -> the checks they fail.
# Jürgen's id comes from a macOS file name: decomposed (NFD) Unicode, the roster's is composed.
SUBMISSIONS = {
    "ada": set(),                                                   # SIS Login ID / e-mail local part
    "nobrien": {("part2", FIRST["part2"])},                         # SIS Login ID
    unicodedata.normalize("NFD", "jürgen.müller"): {("part5", FIRST["part5"])},  # e-mail local part
    "S005": {("part6", FIRST["part6"]), ("part9", FIRST["part9"])},  # SIS User ID / ID number
    "lwang": set(), "s004": {("part2", FIRST["part2"])},            # two submissions, one student
    "dan": set(),                                                   # one id, two roster rows
    "ghost": set(),                                                 # nobody in the roster
    "eve_notebook": {("part9", FIRST["part9"])},                    # only through the mapping file
}
MAPPING = "submission,student\neve_notebook,S008\n"


def score(sid, part=None):
    record = make_record(sid, failing=SUBMISSIONS[sid])
    return record["score"] if part is None else record["parts"][part]["score"]


def n(value):
    return f"{value:g}"


@pytest.fixture(scope="module")
def out_dir(tmp_path_factory):
    """An OUT folder as `make grade` leaves it: one results record per submission."""
    out = tmp_path_factory.mktemp("graded")
    for sid, failing in SUBMISSIONS.items():
        path = out / "results" / f"{safe_name(sid)}.json"
        path.parent.mkdir(exist_ok=True)
        path.write_text(results_json(make_record(sid, failing=failing)))
    return out


def write(tmp_path, name, text, encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def run_lms(tmp_path, out_dir, lms_name, roster_text, *extra, mapping=MAPPING):
    """The import file's rows, the problems file's rows and the terminal output, via main()."""
    roster = write(tmp_path, f"{lms_name}-export.csv", roster_text)
    out = tmp_path / f"{lms_name}-import.csv"
    args = ["lms", "--to", lms_name, "--roster", str(roster), "--out", str(out), str(out_dir), *extra]
    if mapping:
        args += ["--map", str(write(tmp_path, "map.csv", mapping))]
    from autograder.cli import main

    assert main(args) == 0
    return read_rows(out, bom=roster_text.startswith("\ufeff")), read_rows(lms.problems_path(out), bom=True)


def read_rows(path, bom):
    """The rows of a file written as UTF-8, with a byte order mark when `bom`."""
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf") == bom
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def parts_of(sid):
    return [n(score(sid, pid)) for pid in PARTS]


def test_canvas_import_keeps_every_roster_row_and_grades_only_clear_matches(tmp_path, out_dir, capsys):
    rows, problems = run_lms(tmp_path, out_dir, "canvas", CANVAS)
    titles = [part.title for part in config.load().parts.values()]
    assert rows[0] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Lab 4.3 (4411)",
                       *(f"lab4_3 {title}" for title in titles)]
    assert rows[1] == ["    Points Possible", "", "", "", "", "36.00",
                       *(n(part.points) for part in config.load().parts.values())]
    jurgen = unicodedata.normalize("NFD", "jürgen.müller")
    assert rows[2:] == [
        ["Lovelace, Ada", "101", "S001", "ada", "Section A", n(score("ada")), *parts_of("ada")],
        ['O\'Brien, "Dutch" Niamh', "102", "S002", "nobrien", "Section A", n(score("nobrien")),
         *parts_of("nobrien")],
        ["Müller, Jürgen", "103", "S003", "jürgen.müller@uni.example", "Section B, evening", n(score(jurgen)),
         *parts_of(jurgen)],
        ["Wang, Li", "104", "S004", "lwang", "Section B", "5.00", "", "", "", ""],   # ambiguous: kept
        ["Wang, Li", "105", "S005", "lwang2", "Section B", n(score("S005")), *parts_of("S005")],
        ["Nosub, Nora", "107", "S007", "nora", "Section A", "EX", "", "", "", ""],   # no submission: kept
        ['="=cmd, Eve"', "108", "S008", "eve", "Section A", n(score("eve_notebook")), *parts_of("eve_notebook")],
        ["Dup, Dan", "109", "S009", "dan", "Section A", "", "", "", "", ""],        # ambiguous
        ["Dup, Dan", "109", "S009", "dan", "Section B", "", "", "", "", ""],
        ["Student, Test", "110", "", "a1b2c3", "Section A", "", "", "", "", ""],   # no submission
    ]
    assert sorted((p[0], p[1], p[2]) for p in problems[1:]) == [
        ("ambiguous", "dan", "Dup, Dan; Dup, Dan"),
        ("ambiguous", "lwang", "Wang, Li"),
        ("ambiguous", "s004", "Wang, Li"),
        ("student without submission", "", "Nosub, Nora"),
        ("student without submission", "", "Student, Test"),
        ("submission without student", "ghost", ""),
    ]
    shown = capsys.readouterr().out
    for name in ("Nosub, Nora", "Student, Test", "ghost", "dan", "lwang", "s004"):
        assert name in shown


def test_moodle_import_matches_on_id_number_and_email_and_keeps_the_user_fields(tmp_path, out_dir):
    rows, problems = run_lms(tmp_path, out_dir, "moodle", MOODLE)
    user = ["First name", "Last name", "ID number", "Institution", "Department", "Email address"]
    titles = [part.title for part in config.load().parts.values()]
    assert rows[0] == [*user, "Assignment: Lab 4.3 (Real)", *(f"lab4_3 {title}" for title in titles)]
    jurgen = unicodedata.normalize("NFD", "jürgen.müller")
    assert rows[1:] == [
        ["Ada", "Lovelace", "S001", "Uni, Main", "CS", "ada@uni.example", n(score("ada")), *parts_of("ada")],
        ["Niamh", 'O\'Brien, "Dutch"', "S002", "Uni", "CS", "nobrien@uni.example", n(score("nobrien")),
         *parts_of("nobrien")],
        ["Jürgen", "Müller", "S003", "Uni", "CS", "jürgen.müller@uni.example", n(score(jurgen)), *parts_of(jurgen)],
        ["Li", "Wang", "S004", "Uni", "CS", "lwang@uni.example", "5.00", "", "", "", ""],
        ["Li", "Wang", "S005", "Uni", "CS", "lwang2@uni.example", n(score("S005")), *parts_of("S005")],
        ["Nora", "Nosub", "S007", "Uni", "CS", "nora@uni.example", "-", "", "", "", ""],
        ["Dan", "Dup", "S009", "Uni", "CS", "dan@uni.example", "-", "", "", "", ""],
        ["Dan", "Dup", "S009", "Uni", "Physics", "dan@uni.example", "-", "", "", "", ""],
    ]
    assert sorted((p[0], p[1], p[2]) for p in problems[1:]) == [
        ("ambiguous", "dan", "Dan Dup; Dan Dup"),
        ("ambiguous", "lwang", "Li Wang"),
        ("ambiguous", "s004", "Li Wang"),
        ("student without submission", "", "Nora Nosub"),
        # Eve is not in this roster: her mapped id matches nobody.
        ("submission without student", "eve_notebook", ""),
        ("submission without student", "ghost", ""),
    ]


def test_what_the_lms_import_writes_reads_back_as_that_lms_export(tmp_path, out_dir):
    """Round trip: the written file parses as the same LMS's format, same students, same identifiers."""
    for name, text in (("canvas", CANVAS), ("moodle", MOODLE)):
        run_lms(tmp_path, out_dir, name, text)
        before = lms.read_roster(tmp_path / f"{name}-export.csv", name)
        after = lms.read_roster(tmp_path / f"{name}-import.csv", name)
        assert [row[:before.info] for row in after.students] == [row[:before.info] for row in before.students]
        assert after.header[after.info] == before.header[before.info]


def test_a_canvas_column_worth_other_points_gets_the_total_scaled_to_them(tmp_path, out_dir, capsys):
    roster = CANVAS.replace(",36.00,10.00,", ",100,10.00,")
    rows, _ = run_lms(tmp_path, out_dir, "canvas", roster, "--no-parts")
    assert rows[1] == ["    Points Possible", "", "", "", "", "100"]
    expected = round(score("ada") * 100 / MAX, 2)
    assert rows[2] == ["Lovelace, Ada", "101", "S001", "ada", "Section A", n(expected)]
    assert "scaled from 36 to the column's 100 points" in capsys.readouterr().out


def test_a_column_title_the_roster_lacks_makes_a_new_column_and_zero_fills_when_asked(tmp_path, out_dir):
    rows, _ = run_lms(tmp_path, out_dir, "canvas", CANVAS, "--column", "Lab 4.3 regrade", "--no-parts",
                      "--missing", "zero")
    assert rows[0][5:] == ["Lab 4.3 regrade"] and rows[1][5:] == [n(MAX)]
    nora = next(row for row in rows if row[0] == "Nosub, Nora")
    wang = next(row for row in rows if row[1] == "104")
    assert nora[5:] == ["0"] and wang[5:] == [""]   # missing gets 0; an ambiguous match stays empty


def test_part_columns_from_an_earlier_import_are_reused_not_made_again(tmp_path, out_dir):
    title = config.load().parts["part2"].title
    roster = CANVAS.replace("Quiz 1 (4412)", f"lab4_3 {title} (4413)")
    rows, _ = run_lms(tmp_path, out_dir, "canvas", roster)
    assert rows[0].count(f"lab4_3 {title} (4413)") == 1 and f"lab4_3 {title}" not in rows[0]
    assert rows[0].index(f"lab4_3 {title} (4413)") == 6


def test_canvas_export_with_first_and_last_name_columns_is_read_too(tmp_path, out_dir):
    roster = ("LastName,FirstName,ID,SIS User ID,SIS Login ID,Section,Lab 4.3 (4411)\n"
              "    Points Possible,,,,,,36\n"
              "Lovelace,Ada,101,S001,ada,Section A,\n"
              "Nosub,Nora,107,S007,nora,Section A,\n")
    rows, problems = run_lms(tmp_path, out_dir, "canvas", roster, "--no-parts", mapping="")
    assert rows == [["LastName", "FirstName", "ID", "SIS User ID", "SIS Login ID", "Section", "Lab 4.3 (4411)"],
                    ["    Points Possible", "", "", "", "", "", "36"],
                    ["Lovelace", "Ada", "101", "S001", "ada", "Section A", n(score("ada"))],
                    ["Nosub", "Nora", "107", "S007", "nora", "Section A", ""]]
    assert ["student without submission", "", "Nosub, Nora"] in [row[:3] for row in problems]


def test_a_semicolon_separated_export_is_read(tmp_path, out_dir):
    semicolons = "\n".join(";".join(row) for row in csv.reader(io.StringIO(MOODLE)) if row) + "\n"
    semicolons = semicolons.replace('"', "")  # no field here needs quoting once commas are gone
    semicolons = semicolons.replace("Uni, Main", "Uni Main").replace("O'Brien, Dutch", "O'Brien Dutch")
    rows, _ = run_lms(tmp_path, out_dir, "moodle", semicolons)
    assert rows[1][:3] == ["Ada", "Lovelace", "S001"] and rows[1][6] == n(score("ada"))


@pytest.mark.parametrize("text, message", [
    ("name,score\nada,3\n", "not a Canvas gradebook export"),
    (CANVAS.replace("Lab 4.3 (4411)", "Lab 4.3 part A (4411)").replace("Quiz 1 (4412)", "Lab 4.3 part B (4412)"),
     "2 roster columns match"),
])
def test_a_roster_that_cannot_be_used_is_a_clear_error_with_exit_code_2(tmp_path, out_dir, capsys, text, message):
    from autograder.cli import main

    roster = write(tmp_path, "roster.csv", text)
    out = tmp_path / "import.csv"
    assert main(["lms", "--to", "canvas", "--roster", str(roster), "--out", str(out), str(out_dir)]) == 2
    assert message in capsys.readouterr().err and not out.exists()


def test_a_roster_saved_in_a_legacy_encoding_is_refused_not_misread(tmp_path, out_dir, capsys):
    from autograder.cli import main

    roster = write(tmp_path, "roster.csv", CANVAS.lstrip("\ufeff"), encoding="latin-1")
    assert main(["lms", "--to", "canvas", "--roster", str(roster), "--out", str(tmp_path / "x.csv"),
                 str(out_dir)]) == 2
    assert "not UTF-8" in capsys.readouterr().err


def test_problem_cells_cannot_run_as_spreadsheet_formulas(tmp_path):
    results = tmp_path / "graded" / "results"
    results.mkdir(parents=True)
    (results / "x.json").write_text(results_json(make_record('=HYPERLINK("http://x")')))
    _, problems = run_lms(tmp_path, tmp_path / "graded", "canvas", CANVAS, mapping="")
    assert [row[1] for row in problems if row[0] == "submission without student"] == ['\'=HYPERLINK("http://x")']


def test_the_command_line_lists_problems_and_writes_both_files(tmp_path, out_dir):
    roster = write(tmp_path, "export.csv", CANVAS)
    out = tmp_path / "upload.csv"
    done = subprocess.run([sys.executable, "-m", "autograder", "lms", "--to", "canvas", "--roster", str(roster),
                           "--out", str(out), str(out_dir)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert out.exists() and (tmp_path / "upload.problems.csv").exists()
    # Without the mapping file Eve's notebook has no student, and Eve no submission.
    assert "2 submissions without student:" in done.stdout and "eve_notebook" in done.stdout
    assert "3 students without submission:" in done.stdout and "Nosub, Nora" in done.stdout
    assert '="=cmd, Eve"' in done.stdout
    assert "in " + str(tmp_path / "upload.problems.csv") in done.stdout
