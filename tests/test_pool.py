"""Grading processes (autograder/pipeline/pool.py): each builds its own Grader, answers tasks, and
a process that dies fails the task it held instead of leaving its caller waiting."""
import os

import pytest

from autograder import config
from autograder.pipeline.grader import Origin
from autograder.pipeline.pool import GradingFailed, Pool


def answer(grader, payload):
    """A Pool task (module-level: the spawned processes import it)."""
    if payload == "die":
        os._exit(9)  # as the kernel's out-of-memory killer would end it
    if payload == "raise":
        raise ValueError("this task fails")
    return payload * 2, grader.settings.seed, grader.plots


@pytest.fixture(scope="module")
def pool():
    made = Pool(Origin(str(config.DEFAULT_PATH), seed=7, plots=False), 2, answer)
    yield made
    made.close()


@pytest.mark.slow  # two grading processes load TensorFlow
def test_each_process_answers_with_a_grader_loaded_from_the_origin(pool):
    tickets = [pool.submit(n) for n in range(4)]
    assert sorted(pool.result(ticket, 300) for ticket in tickets) == [(n * 2, 7, False) for n in range(4)]


@pytest.mark.slow
def test_a_task_that_raises_fails_with_its_error_and_the_process_goes_on(pool):
    failing, after = pool.submit("raise"), pool.submit(5)
    with pytest.raises(GradingFailed, match="ValueError: this task fails"):
        pool.result(failing, 300)
    assert pool.result(after, 300) == (10, 7, False)


@pytest.mark.slow
def test_a_process_that_dies_fails_its_task_and_the_others_go_on(pool):
    lost, others = pool.submit("die"), [pool.submit(n) for n in (6, 7)]
    with pytest.raises(GradingFailed, match="died"):
        pool.result(lost, 300)  # at once, not after the timeout
    assert [pool.result(ticket, 300) for ticket in others] == [(12, 7, False), (14, 7, False)]


@pytest.mark.slow
def test_once_every_process_has_died_every_waiting_task_fails(pool):
    tickets = [pool.submit("die"), pool.submit("die"), pool.submit(8)]
    failures = []
    for ticket in tickets:
        with pytest.raises(GradingFailed) as failed:
            pool.result(ticket, 300)
        failures.append(str(failed.value))
    assert "every grading process has died" in failures[-1]
