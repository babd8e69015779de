"""What a regrade changed: `python -m autograder diff OLD_OUT NEW_OUT`.

Compares the results records (OUT/results/*.json) of two grading runs, by
submission id, check by check: a rerun reuses cached results, so the records,
not the run's log, say what each student has. Lists every student whose
score changed, per part and per check, with the old and the new feedback, on
the terminal and on a page (NEW_OUT/regrade.html by default) in the feedback
pages' style. The page's first section names no student and is written for
an announcement to the class; the rest is for the course staff.

`make grade KEEP=1` (`grade --keep-previous`) copies OUT to OUT.previous
before grading, so after fixing a check or changing the seed the diff is
`python -m autograder diff OUT.previous OUT`.
"""
import argparse
import shutil
import sys
from dataclasses import dataclass, field
from os.path import relpath
from pathlib import Path

from autograder.outputs import html
from autograder.outputs.html import escape, feedback_link
from autograder.outputs.pages import STATUS_TEXT, check_status, checks_table
from autograder.outputs.report import read_records, write_atomic

DESCRIPTION = __doc__.split("\n\n", 1)[1]
EPSILON = 1e-9


@dataclass
class CheckChange:
    part: str
    part_title: str
    name: str
    old: dict          # the check as the old record has it ({} when it was not there)
    new: dict


@dataclass
class StudentChange:
    submission: str
    file: str          # the records' file stem, which is also the feedback page's
    old_score: float
    new_score: float
    max_score: float
    parts: dict        # part id -> (title, old score, new score)
    checks: list = field(default_factory=list)


@dataclass
class Comparison:
    changed: list      # [StudentChange], by submission id
    unchanged: int
    only_old: list     # submission ids
    only_new: list
    old_info: dict     # what each run's inputs were drawn from, and its grader version
    new_info: dict


def keep_previous(out):
    """Copy OUT to OUT.previous (replacing an older copy); returns a line for the terminal."""
    out = Path(out)
    previous = out.with_name(out.name + ".previous")
    if not (out / "results").is_dir():
        return f"Nothing to keep: {out}/results does not exist yet."
    if previous.exists():
        shutil.rmtree(previous)
    shutil.copytree(out, previous, symlinks=True)
    return (f"Kept the previous results in {previous}/; after grading, compare with: "
            f"python -m autograder diff {previous} {out}")


def load(out):
    """{submission id: (file stem, record)} from OUT/results; a broken record stops the diff."""
    try:
        records, problems = read_records(out)
    except FileNotFoundError as missing:
        raise ValueError(str(missing)) from None
    if problems:
        raise ValueError(f"{Path(out) / 'results'}: {problems[0]}")
    return {sid: (stored.stem, stored.record) for sid, stored in records.items()}


def compare(old_out, new_out):
    old, new = load(old_out), load(new_out)
    changed, unchanged = [], 0
    for sid in sorted(set(old) & set(new)):
        change = _student(sid, new[sid][0], old[sid][1], new[sid][1])
        if change:
            changed.append(change)
        else:
            unchanged += 1
    return Comparison(changed, unchanged, sorted(set(old) - set(new)), sorted(set(new) - set(old)),
                      _info(old), _info(new))


def _info(records):
    found = {(_inputs(r), str(r.get("grader_version"))) for _, r in records.values()}
    return {"inputs": ", ".join(sorted({i for i, _ in found})), "version": ", ".join(sorted({v for _, v in found}))}


def _inputs(record):
    """What a record's inputs were drawn from, in words: the secret's fingerprint, never the seed."""
    inputs = record.get("inputs") or {}
    if inputs.get("kind") == "graded":
        return f"graded inputs, secret {inputs.get('secret')}, salt {inputs.get('salt')}"
    if inputs.get("kind") == "public":
        return f"published inputs, seed {inputs.get('seed')}"
    return f"seed {record.get('seed')}"  # a record of format 2, before inputs were drawn per submission


def secrets_note(comparison):
    """A sentence when the runs drew their inputs differently (another secret or seed), else ""."""
    if comparison.old_info["inputs"] == comparison.new_info["inputs"]:
        return ""
    return (f"The runs drew their inputs differently ({comparison.old_info['inputs']}; then "
            f"{comparison.new_info['inputs']}): every submission was graded on other inputs, so a score can "
            f"change though neither its code nor the checks did.")


def _student(sid, stem, old, new):
    """The student's changed checks, or None when no check's score or result changed."""
    checks, parts = [], {}
    for pid in list(new["parts"]) + [p for p in old["parts"] if p not in new["parts"]]:
        old_part, new_part = old["parts"].get(pid, {}), new["parts"].get(pid, {})
        title = new_part.get("title") or old_part.get("title") or pid
        old_checks = {c["name"]: c for c in old_part.get("checks", [])}
        new_checks = {c["name"]: c for c in new_part.get("checks", [])}
        for name in list(new_checks) + [n for n in old_checks if n not in new_checks]:
            before, after = old_checks.get(name, {}), new_checks.get(name, {})
            if (abs(before.get("score", 0) - after.get("score", 0)) > EPSILON
                    or bool(before.get("passed")) != bool(after.get("passed"))):   # a new check failed: no change
                checks.append(CheckChange(pid, title, name, before, after))
        parts[pid] = (title, old_part.get("score", 0), new_part.get("score", 0))
    if not checks and abs(old["score"] - new["score"]) <= EPSILON:
        return None
    return StudentChange(sid, stem, old["score"], new["score"], new.get("max_score", 0), parts, checks)


def by_check(comparison):
    """{(part, check): [CheckChange]} over every changed student: what the announcement says."""
    found = {}
    for student in comparison.changed:
        for check in student.checks:
            found.setdefault((check.part, check.part_title, check.name), []).append(check)
    return found


# -- terminal -----------------------------------------------------------------------------

def text(comparison):
    total = len(comparison.changed) + comparison.unchanged
    lines = [f"{len(comparison.changed)} of {total} submissions graded in both runs changed score "
             f"({comparison.unchanged} unchanged)."]
    if secrets_note(comparison):
        lines.append(secrets_note(comparison))
    for (pid, title, name), changes in by_check(comparison).items():
        lines.append(f"  {pid}.{name} ({title}): {_effect(changes)}")
    for student in comparison.changed:
        lines.append(f"\n{student.submission}: {_n(student.old_score)} -> {_n(student.new_score)} "
                     f"of {_n(student.max_score)}")
        for pid, (title, before, after) in student.parts.items():
            checks = [c for c in student.checks if c.part == pid]
            if checks or abs(before - after) > EPSILON:
                lines.append(f"  {title}: {_n(before)} -> {_n(after)}")
            for check in checks:
                lines.append(f"    {check.name}: {_points(check.old)} -> {_points(check.new)}")
                lines.append(f"      was: {_first_line(check.old.get('feedback', 'not in this run'))}")
                lines.append(f"      now: {_first_line(check.new.get('feedback', 'not in this run'))}")
    if comparison.only_old:
        lines.append(f"\nOnly in the old run (not graded again): {', '.join(comparison.only_old)}")
    if comparison.only_new:
        lines.append(f"\nOnly in the new run (new submissions): {', '.join(comparison.only_new)}")
    return "\n".join(lines)


def _effect(changes):
    """"+1 point for 3 students, -2 points for 1 student"."""
    counts = {}
    for change in changes:
        delta = change.new.get("score", 0) - change.old.get("score", 0)
        counts[round(delta, 6)] = counts.get(round(delta, 6), 0) + 1
    return ", ".join(f"{'+' if delta > 0 else '−' if delta < 0 else '±'}{_n(abs(delta))} "
                     f"point{'s' * (abs(delta) != 1)} for {count} student{'s' * (count != 1)}"
                     for delta, count in sorted(counts.items(), reverse=True))


def _points(check):
    if not check:
        return "not in this run"
    return f"{_n(check['score'])}/{_n(check['max_score'])} {'passed' if check['passed'] else 'failed'}"


def _first_line(feedback, width=160):
    line = str(feedback).strip().split("\n", 1)[0]
    return line if len(line) <= width else line[:width - 1] + "…"


def _n(value):
    return f"{round(float(value), 6):g}"


# -- page -----------------------------------------------------------------------------------

def page(comparison, page_path, new_out, message=""):
    """The regrade page: an announcement naming nobody, then each student's changes for staff."""
    feedback = relpath(Path(new_out) / "feedback", Path(page_path).parent)
    total = len(comparison.changed) + comparison.unchanged
    body = [
        "<h1>Lab 4.3 regrade: what changed</h1>",
        f"<p>Old run: {escape(comparison.old_info['inputs'])}, grader {escape(comparison.old_info['version'])}. "
        f"New run: {escape(comparison.new_info['inputs'])}, grader {escape(comparison.new_info['version'])}. "
        f"{len(comparison.changed)} of {total} submissions changed score. {escape(secrets_note(comparison))}</p>",
        _announcement(comparison, message),
        '<h2 id="students">Each student\'s changes (for course staff: names students)</h2>',
        "".join(_student_section(s, feedback) for s in comparison.changed)
        or "<p>No student's score changed.</p>",
        _others(comparison),
    ]
    return html.page("Lab 4.3 regrade", "\n".join(body))


def _announcement(comparison, message):
    rows = "".join(
        f"<tr><td>{escape(title)}</td><td><strong>{escape(name)}</strong></td>"
        f"<td class=\"points\">{_worth(changes)}</td><td>{escape(_effect(changes))}</td></tr>"
        for (pid, title, name), changes in by_check(comparison).items())
    table = (checks_table(("part", "check", "worth", "whose score changed"), rows) if rows
             else "<p>No check's score changed.</p>")
    note = f"<p>{escape(message)}</p>" if message else ""
    return (f'<section class="card" id="announcement"><h2>For the announcement</h2>{note}'
            f"<p>The checks whose results changed for at least one student, and by how much. "
            f"Everyone's feedback page shows the new result.</p>{table}</section>")


def _worth(changes):
    """The check's points, and the old value where grading.toml changed it."""
    before = {c.old.get("max_score") for c in changes if c.old}
    after = {c.new.get("max_score") for c in changes if c.new}
    now = ", ".join(_n(v) for v in sorted(after)) or "—"
    was = ", ".join(_n(v) for v in sorted(before))
    return escape(f"{now} points" + ("" if before == after or not before else f" (was {was})"))


def _student_section(student, feedback):
    rows = "".join(_check_row(check) for check in student.checks)
    parts = ", ".join(f"{escape(title)}: {_n(before)} → {_n(after)}"
                      for title, before, after in student.parts.values() if abs(before - after) > EPSILON)
    return (f'<section class="card"><h3>{feedback_link(student.file, student.submission, feedback)}: '
            f"{_n(student.old_score)} → {_n(student.new_score)} of {_n(student.max_score)}</h3>"
            f"<p>{parts or 'Part scores unchanged.'}</p>"
            f'{checks_table(("result", "check", "points", "feedback before and now"), rows)}</section>')


def _check_row(check):
    """The check now, in the feedback pages' layout, with what it was in muted text under each cell."""
    status = status_of(check.new) if check.new else "skip"
    return (f'<tr><td class="status {status}">{_status(check.new)}'
            f'<span class="what">was {_status(check.old)}</span></td>'
            f'<td><strong>{escape(check.name)}</strong><span class="what">{escape(check.part_title)}</span></td>'
            f'<td class="points">{_points_html(check.new)}<span class="what">was {_points_html(check.old)}</span></td>'
            f'<td><span class="what">Before:</span><pre>{escape(check.old.get("feedback", ""))}</pre>'
            f'<span class="what">Now:</span><pre>{escape(check.new.get("feedback", ""))}</pre></td></tr>')


def _status(check):
    return STATUS_TEXT[status_of(check)] if check else "not in this run"


# Words that marked a check that did not run, in records before format 2 (which have no status).
NOT_RUN_WORDS = ("could not run", "did not run")


def status_of(check):
    """"pass", "fail" or "skip" for a record's check: its status (pages.check_status); a record of
    an older run, before results carried a status, is read as that run's pages read it."""
    if "status" in check:
        return check_status(check)
    if check.get("passed"):
        return "pass"
    feedback = str(check.get("feedback", ""))
    if feedback.startswith(("Skipped", "Not graded")) or any(words in feedback for words in NOT_RUN_WORDS):
        return "skip"
    return "fail"


def _points_html(check):
    return f"{_n(check['score'])} / {_n(check['max_score'])}" if check else "—"


def _others(comparison):
    html = ""
    if comparison.only_old:
        html += ("<h2>Only in the old run</h2><p>Not graded in the new run: "
                 + escape(", ".join(comparison.only_old)) + ".</p>")
    if comparison.only_new:
        html += ("<h2>Only in the new run</h2><p>New submissions: "
                 + escape(", ".join(comparison.only_new)) + ".</p>")
    return html


# -- command ------------------------------------------------------------------------------------

def add_parser(commands):
    sub = commands.add_parser("diff", help="what changed between two grading runs", description=DESCRIPTION,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    sub.add_argument("old", type=Path, metavar="OLD_OUT", help="the earlier run's --out folder")
    sub.add_argument("new", type=Path, metavar="NEW_OUT", help="the later run's --out folder")
    sub.add_argument("--page", type=Path, metavar="FILE", help="where the page goes (default: NEW_OUT/regrade.html)")
    sub.add_argument("--message", default="", metavar="TEXT",
                     help="a sentence for the announcement, e.g. why the check changed")
    sub.set_defaults(run=main)


def main(args):
    try:
        comparison = compare(args.old, args.new)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    page_path = args.page or args.new / "regrade.html"
    write_atomic(page_path, page(comparison, page_path, args.new, args.message))
    print(text(comparison))
    print(f"\nPage: {page_path}")
    return 0
