"""grading.toml: one declaration per key; a mistake is one line naming the file, the key and what is allowed."""
import dataclasses
import re
import subprocess
import sys

import pytest

from autograder import config
from autograder.checks import all_checks

REPO = config.REPO
MINIMAL = """assignment = "lab"
notebook = "lab.ipynb"
seed = 1

[parts.p]
title = "Part P"
points = 2

[parts.p.checks]
only = 2
"""


def write(tmp_path, text):
    path = tmp_path / "grading.toml"
    path.write_text(text)
    return path


def the_real_file():
    return config.DEFAULT_PATH.read_text()


def with_key(text, table, line):
    """`text` with `line` (key = value) in [table] ("" for the top level): replacing that key's line, or added."""
    key = line.split("=")[0].strip()
    header = f"[{table}]\n"
    start = text.index(header) + len(header) if table else 0
    following = re.search(r"^\[", text[start:], flags=re.MULTILINE)
    end = start + following.start() if following else len(text)
    block, count = re.subn(rf"^{re.escape(key)} *=.*$", line, text[start:end], flags=re.MULTILINE)
    if not count:
        block = f"{line}\n{block}"
    return text[:start] + block + text[end:]


def load_error(path, registry=None):
    with pytest.raises(config.ConfigError) as raised:
        config.load(path, registry=registry)
    return str(raised.value)


def test_the_shipped_grading_toml_loads_and_matches_the_registered_checks():
    grading = config.load(registry=all_checks())
    assert set(grading.parts) >= {"part2", "part5", "part6", "part9"}
    assert grading.max_score == sum(p.points for p in grading.parts.values())


# Per table: a wrong type, a value out of range and an unknown key, each with the whole line it must give.
# The top level has no key with a range (its strings and the seed take any value), so no out-of-range case.
MISTAKES = [
    ("", 'seed = "20261129"', 'seed = "20261129": must be a whole number'),
    ("", 'notebook = 3', 'notebook = 3: must be a string'),
    ("", "colour = 1", "colour = 1: unknown key; allowed keys: assignment, notebook, seed, limits, hypothesis, "
                       "parts, similarity, mutants"),
    ("limits", 'call_timeout = "five"', '[limits] call_timeout = "five": must be a number of seconds from 0.5 to 600'),
    ("limits", "call_timeout = true", "[limits] call_timeout = true: must be a number of seconds from 0.5 to 600"),
    ("limits", "memory_mb = -1", "[limits] memory_mb = -1: must be a whole number of MB from 256 to 1048576"),
    ("limits", "memory_mb = 1536.0", "[limits] memory_mb = 1536.0: must be a whole number of MB from 256 to 1048576"),
    ("limits", "call_timout = 5.0", "[limits] call_timout = 5.0: unknown key; allowed keys: call_timeout, "
                                    "load_timeout, submission_timeout, memory_mb, cpu_seconds, file_size_mb, "
                                    "max_processes, output_chars"),
    ("hypothesis", 'max_examples = "many"',
     '[hypothesis] max_examples = "many": must be a whole number of examples from 1 to 10000'),
    ("hypothesis", "max_examples = 0",
     "[hypothesis] max_examples = 0: must be a whole number of examples from 1 to 10000"),
    ("hypothesis", "deadline = 200", "[hypothesis] deadline = 200: unknown key; allowed keys: max_examples"),
    ("parts.part5", "title = 5", "[parts.part5] title = 5: must be a string"),
    ("parts.part5", "points = -8", "[parts.part5] points = -8: must be a number of points, at least 0"),
    ("parts.part5", 'hidden = ["zero_gradients"]',
     '[parts.part5] hidden = ["zero_gradients"]: unknown key; allowed keys: title, points, checks'),
    ("parts.part5.checks", 'norm_clipping = "2"', '[parts.part5.checks] norm_clipping = "2": must be a number of '
                                                  'points, at least 0'),
    ("parts.part5.checks", "norm_clipping = -2", "[parts.part5.checks] norm_clipping = -2: must be a number of "
                                                 "points, at least 0"),
    ("similarity", "k = 2.5", "[similarity] k = 2.5: must be a whole number of tokens from 2 to 200"),
    ("similarity", "threshold = 1.5", "[similarity] threshold = 1.5: must be a number from 0 to 1"),
    ("similarity", "threshold = nan", "[similarity] threshold = nan: must be a number from 0 to 1"),
    ("similarity", "colour = 1", "[similarity] colour = 1: unknown key; allowed keys: k, window, common_share, "
                                 "common_weight, pairs_shown, threshold"),
    ("mutants", 'equivalence_inputs = "40"', '[mutants] equivalence_inputs = "40": must be a whole number of inputs '
                                             'from 1 to 10000'),
    ("mutants", "equivalence_inputs = 0", "[mutants] equivalence_inputs = 0: must be a whole number of inputs from 1 "
                                          "to 10000"),
    ("mutants", "min_kill_rat = 0.9", "[mutants] min_kill_rat = 0.9: unknown key; allowed keys: min_kill_rate, "
                                      "equivalence_inputs"),
    ("mutants.min_kill_rate", "part2 = true", "[mutants.min_kill_rate] part2 = true: must be a number from 0 to 1"),
    ("mutants.min_kill_rate", "part2 = 1.5", "[mutants.min_kill_rate] part2 = 1.5: must be a number from 0 to 1"),
    ("mutants.min_kill_rate", "part7 = 0.9", "[mutants.min_kill_rate] part7 = 0.9: unknown part; allowed: part2, "
                                             "part5, part6, part9 (the parts of [parts])"),
]


@pytest.mark.parametrize("table, line, message", MISTAKES, ids=[f"[{t}] {line}" for t, line, _ in MISTAKES])
def test_a_mistake_in_any_table_is_one_line_naming_the_file_the_key_and_what_is_allowed(tmp_path, table, line,
                                                                                         message):
    path = write(tmp_path, with_key(the_real_file(), table, line))
    assert load_error(path) == f"{path}: {message}"


def test_every_table_of_the_schema_has_a_mistake_tested():
    tested = {re.sub(r"\bpart\d\b", "<part>", table) for table, _, _ in MISTAKES}
    assert tested == {table.name for table in config.SCHEMA if table.keys}


def test_an_integer_is_a_fine_number_of_seconds(tmp_path):
    path = write(tmp_path, with_key(the_real_file(), "limits", "call_timeout = 5"))
    assert config.load(path).limits.call_timeout == 5


@pytest.mark.parametrize("text, message", [
    (MINIMAL.replace("seed = 1\n", ""), "seed: missing; it must be a whole number"),
    (MINIMAL.replace('title = "Part P"\n', ""), "[parts.p] title: missing; it must be a string"),
    (MINIMAL[:MINIMAL.index("\n[parts.p.checks]")].replace("points = 2", "points = 0"),
     "[parts.p.checks]: missing; it must be a table [parts.p.checks] of <check> = a number of points, at least 0"),
    (MINIMAL[:MINIMAL.index("[parts.p]")], "[parts]: missing; it must be a table holding a [parts.<part>] table "
                                           "for each part"),
    (MINIMAL.replace('title = "Part P"', 'title = { text = "Part P" }'), "[parts.p] title = a table: must be a string"),
    ("limits = 3\n" + MINIMAL, "limits = 3: must be a table [limits] of call_timeout, load_timeout, "
                               "submission_timeout, memory_mb, cpu_seconds, file_size_mb, max_processes, output_chars"),
    (MINIMAL + "[lmits]\ncall_timeout = 5\n", "[lmits]: unknown key; allowed keys: assignment, notebook, seed, "
                                              "limits, hypothesis, parts, similarity, mutants"),
    (MINIMAL.replace("points = 2", "points = 3"), "[parts.p] points = 3: must be what its checks add up to, 2"),
])
def test_a_missing_key_a_misplaced_table_and_points_that_do_not_add_up_are_one_line_each(tmp_path, text, message):
    path = write(tmp_path, text)
    assert load_error(path) == f"{path}: {message}"


def test_points_without_a_check_name_the_checks_registered_for_the_part(tmp_path):
    path = write(tmp_path, with_key(the_real_file(), "parts.part5.checks", "no_such_check = 0"))
    assert load_error(path, all_checks()) == (
        f"{path}: [parts.part5.checks] no_such_check = 0: no such check; the checks registered for part5: "
        + ", ".join(c.name for c in all_checks() if c.part == "part5"))


def test_a_registered_check_without_points_is_an_error(tmp_path):
    text = the_real_file().replace("zero_gradients = 1\n", "").replace("clipping_properties = 1",
                                                                       "clipping_properties = 2")
    path = write(tmp_path, text)
    assert load_error(path, all_checks()) == (f"{path}: [parts.part5.checks] zero_gradients: missing; the check is "
                                              "registered, so it needs its points (a number of points, at least 0)")


def test_a_missing_part_is_an_error_when_checks_are_registered_for_it(tmp_path):
    text = the_real_file()
    path = write(tmp_path, text[:text.index("[parts.part9]")])
    message = load_error(path, all_checks())
    assert message.startswith(f"{path}: [parts.part9]: missing; checks are registered for part9: ")
    assert "\n" not in message


def test_invalid_toml_and_a_missing_file_are_one_line_naming_the_file(tmp_path):
    path = write(tmp_path, "seed = = 3")
    message = load_error(path)
    assert message.startswith(f"{path}: not valid TOML: ") and "\n" not in message
    assert load_error(tmp_path / "absent.toml") == f"{tmp_path / 'absent.toml'}: not found"


def test_a_new_key_is_one_declaration_and_is_checked_like_the_others():
    """What a later [secret] section declares: a flag and a choice, read by the same loader."""
    @dataclasses.dataclass(frozen=True)
    class Secret:
        enabled: bool = config.setting(False, help="sign each results file")
        mode: str = config.setting("hmac", choices=("hmac", "none"), help="how results are signed")

    def read(raw):
        return config._record(Secret, raw, "secret", config.Source("grading.toml", {"secret": raw}))

    assert read({}) == Secret(False, "hmac") and read({"enabled": True, "mode": "none"}) == Secret(True, "none")
    for raw, message in (({"enabled": 1}, "[secret] enabled = 1: must be true or false"),
                         ({"mode": "md5"}, '[secret] mode = "md5": must be one of "hmac", "none"')):
        with pytest.raises(config.ConfigError) as raised:
            read(raw)
        assert str(raised.value) == f"grading.toml: {message}"
    (table,) = config._tables(Secret, "secret", "Signing.")
    assert [(key.name, key.kind, key.default, key.allowed()) for key in table.keys] == [
        ("enabled", bool, False, "true or false"), ("mode", str, "hmac", 'one of "hmac", "none"')]


def loaded(grading, key):
    """The value `key` of config.SCHEMA has in a loaded Grading."""
    holder = grading
    for name in key.table.split(".") if key.table else ():
        holder = getattr(holder, name, holder)  # [hypothesis] max_examples lives on Grading itself
    return getattr(holder, key.name)


def test_the_defaults_of_a_minimal_grading_toml_are_the_declared_ones(tmp_path):
    grading = config.load(write(tmp_path, MINIMAL))
    defaulted = [key for table in config.SCHEMA if "<" not in table.name for key in table.keys
                 if key.default is not config.REQUIRED and "<" not in key.name]
    assert {(key.table, key.name) for key in defaulted} >= {("limits", "call_timeout"), ("hypothesis", "max_examples"),
                                                            ("similarity", "k"), ("mutants", "equivalence_inputs")}
    assert {(key.table, key.name): loaded(grading, key) for key in defaulted} == {
        (key.table, key.name): key.default for key in defaulted}
    assert grading.mutants.min_kill_rate == {}


def test_the_reference_lists_every_key_with_its_type_allowed_values_default_and_help():
    text = config.reference()
    assert ("| `call_timeout` | number of seconds | from 0.5 to 600 | 5.0 | time for one call into student "
            "code |") in text
    for table in config.SCHEMA:
        for key in table.keys:
            assert f"| `{key.name}` |" in text and key.declared.help in text
        if table.keys:
            assert (f"## `[{table.name}]`" if table.name else "## Top level") in text


def test_the_config_verb_prints_the_reference():
    done = subprocess.run([sys.executable, "-m", "autograder", "config"], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == config.reference().strip()


# -- the commands that read grading.toml -------------------------------------------------------

BROKEN_LINE = '[limits] call_timeout = "five": must be a number of seconds from 0.5 to 600'
SUBMISSION = REPO / "tests" / "corpora" / "correct" / "reference.py"


@pytest.fixture
def broken(tmp_path):
    return write(tmp_path, with_key(the_real_file(), "limits", 'call_timeout = "five"'))


@pytest.mark.parametrize("command", [
    ["autograder", "grade", str(SUBMISSION), "--out", "{out}", "--config", "{toml}"],
    ["autograder", "grade", str(SUBMISSION), "--out", "{out}", "--config", "{toml}", "--keep-previous"],
    ["autograder", "mutants", "--out", "{out}", "--config", "{toml}"],
    ["autograder", "lms", "{out}", "--to", "canvas", "--roster", "{out}/roster.csv", "--out", "{out}/lms.csv",
     "--config", "{toml}"],
    ["autograder", "export", "--config", "{toml}"],
], ids=["grade", "grade --keep-previous", "mutants", "lms", "export"])
def test_a_command_given_a_broken_grading_toml_prints_its_one_line_and_exits_2(tmp_path, broken, command):
    out = tmp_path / "out"
    (out / "results").mkdir(parents=True)  # what --keep-previous would copy
    args = [part.format(out=out, toml=broken) for part in command]
    done = subprocess.run([sys.executable, "-m", *args], capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [f"error: {broken.name}: {BROKEN_LINE}"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grading.toml", "out"]  # no out.previous, nothing graded
    assert list(out.iterdir()) == [out / "results"]
