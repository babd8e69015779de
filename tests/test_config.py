"""grading.toml is validated on load with messages that say what to fix."""
from pathlib import Path

import pytest

from autograder import config
from autograder.checks import all_checks


def write(tmp_path, text):
    path = tmp_path / "grading.toml"
    path.write_text(text)
    return path


def the_real_file():
    return config.DEFAULT_PATH.read_text()


def test_the_shipped_grading_toml_matches_the_registered_checks():
    grading = config.load(registry=all_checks())
    assert set(grading.parts) >= {"part2", "part5", "part6", "part9"}
    assert grading.max_score == sum(p.points for p in grading.parts.values())


def test_a_typo_in_a_key_is_an_error_naming_the_key(tmp_path):
    path = write(tmp_path, the_real_file().replace("call_timeout", "call_timout"))
    with pytest.raises(config.ConfigError, match="call_timout"):
        config.load(path)


def test_points_that_do_not_add_up_are_an_error(tmp_path):
    path = write(tmp_path, the_real_file().replace("points = 10", "points = 11", 1))
    with pytest.raises(config.ConfigError, match="add up"):
        config.load(path)


def test_a_missing_part_is_an_error_when_checks_are_registered_for_it(tmp_path):
    text = the_real_file()
    start = text.index("[parts.part9]")
    path = write(tmp_path, text[:start])
    with pytest.raises(config.ConfigError, match="part9"):
        config.load(path, registry=all_checks())


def test_an_unknown_check_name_is_an_error(tmp_path):
    text = the_real_file()
    start = text.index("[parts.part5.checks]") + len("[parts.part5.checks]\n")
    path = write(tmp_path, text[:start] + "no_such_check = 0\n" + text[start:])
    with pytest.raises(config.ConfigError, match="no_such_check"):
        config.load(path, registry=all_checks())


def test_invalid_toml_is_an_error(tmp_path):
    with pytest.raises(config.ConfigError, match="not valid TOML"):
        config.load(write(tmp_path, "seed = = 3"))


def test_grading_toml_marks_exactly_the_hidden_checks_hidden():
    """The `# hidden` notes an instructor reads beside the points are what the checks declare."""
    import re

    from autograder.checks import all_checks

    hidden = {(c.part, c.name): c.hidden for c in all_checks()}
    part, noted = None, {}
    for line in (Path(__file__).resolve().parent.parent / "grading.toml").read_text().splitlines():
        header = re.match(r"\[parts\.(\w+)\.checks\]", line)
        if header:
            part = header.group(1)
        elif line.startswith("["):
            part = None
        elif part and re.match(r"\w+\s*=", line):
            name = line.split("=")[0].strip()
            noted[(part, name)] = bool(re.search(r"#\s*hidden\b", line))
    assert noted == hidden
