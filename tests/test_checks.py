"""The checks as a whole, on the corpora kept as data in tests/corpora/:
correct code written differently gets full marks everywhere, each mutant
loses points in its own part only and is named, no check is unable to fail,
and no check is flaky across seeds."""
import pytest

from autograder.checks import all_checks
from autograder.parts import PARTS as MANIFEST
from harness import CORPORA, REFERENCE, graded, header

PARTS = [part.id for part in MANIFEST]
VARIANTS = sorted((CORPORA / "correct").glob("variant_*.py"))
MUTANTS = sorted((CORPORA / "mutants").glob("part*.py"))


def mutants_of(part):
    return [m for m in MUTANTS if header(m)["part"] == part]


def failed(outcomes, part=None, other_than=None):
    return {k: o.feedback for k, o in outcomes.items() if not o.passed
            and (part is None or k[0] == part) and (other_than is None or k[0] != other_than)}


@pytest.mark.parametrize("part", PARTS)
def test_about_half_of_a_parts_points_are_hidden(harness, part):
    points = harness.grading.parts[part]
    hidden = sum(points.checks[c.name] for c in all_checks() if c.part == part and c.hidden)
    assert 0.4 * points.points <= hidden <= 0.6 * points.points


def test_the_reference_gets_full_marks_in_every_part(harness):
    assert failed(graded(harness, REFERENCE)) == {}


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda p: p.stem)
def test_a_correct_variant_gets_full_marks_in_every_part(harness, variant):
    assert failed(graded(harness, variant)) == {}


def test_there_are_at_least_eight_correct_variants_written_differently():
    assert len(VARIANTS) >= 8
    assert len({v.read_text() for v in VARIANTS}) == len(VARIANTS)


@pytest.mark.parametrize("part", PARTS)
def test_each_part_has_ten_mutants_and_most_are_named(part):
    mutants = mutants_of(part)
    assert len(mutants) >= 10
    assert sum(header(m)["named"] == "yes" for m in mutants) >= 0.8 * len(mutants)


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda p: p.stem)
def test_a_mutant_loses_points_in_its_own_part_only(harness, mutant):
    part = header(mutant)["part"]
    outcomes = graded(harness, mutant)
    assert failed(outcomes, part=part), "the mutant lost no point in its own part"
    assert failed(outcomes, other_than=part) == {}


@pytest.mark.parametrize("mutant", [m for m in MUTANTS if header(m)["named"] == "yes"], ids=lambda p: p.stem)
def test_a_named_mutant_is_named_in_its_feedback(harness, mutant):
    info = header(mutant)
    lost = [o for k, o in graded(harness, mutant).items() if k[0] == info["part"] and not o.passed]
    assert any(o.mistake == info["mistake"] or info["mistake"] in o.feedback for o in lost), \
        [(o.name, o.mistake) for o in lost]


@pytest.mark.parametrize("part", PARTS)
def test_every_check_fails_on_some_mutant_and_passes_on_every_variant(harness, part):
    names = [c.name for c in all_checks() if c.part == part]
    failing = {k[1] for m in mutants_of(part) for k, o in graded(harness, m).items()
               if k[0] == part and not o.passed}
    assert [n for n in names if n not in failing] == []


@pytest.mark.slow
@pytest.mark.parametrize("seed", range(50))
def test_the_reference_gets_full_marks_under_any_seed(harness, seed):
    assert failed(harness.grade(REFERENCE.read_text(), seed=seed)) == {}


@pytest.mark.parametrize("mutant", MUTANTS, ids=lambda p: p.stem)
def test_every_mistake_a_mutant_gets_is_one_the_kit_describes(harness, mutant):
    from autograder import mistakes

    described = set(mistakes.GENERIC) | {m for table in harness.grader.mistakes.values() for m in table}
    named = {o.mistake for o in graded(harness, mutant).values() if not o.passed and o.mistake}
    unknown = named - described
    assert not unknown, f"describe these in autograder/mistakes.py or a references MISTAKES table: {unknown}"
