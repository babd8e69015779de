"""nbgrader steps the course swaps in (nbgrader_config.py puts them in place).

GradeFromFile, for `nbgrader autograde`: the score of every test cell comes
from the kit's own grading of the submitted notebook file (load -> restore
-> extract -> checks in sandboxed workers -> score: what `make grade` runs),
never from a kernel. It runs after anything a kernel did and before
SaveAutoGrades, and replaces each test cell's outputs with two: the part's
per-check table (and plots), and an execute_result holding the part's
points, which SaveAutoGrades (nbgrader.utils.determine_grade) records as
partial credit. Whatever a kernel printed, displayed or raised in that cell
is gone by then, so no student cell can change a score. nbgrader's
sanitizing pass (ClearOutput, OverwriteCells) has already run: the notebook
this step sees has no outputs of the student's, and its test cells are the
instructor's. The grading processes (TensorFlow loaded once) serve the whole
run: autograder/pipeline/grading_service.py, kept on nbgrader's converter.

ConfinedExecute, for `make autograde EXECUTE=1` only: runs the notebook for
its outputs (the demos' prints and plots), test cells excepted, in a kernel
confined like a worker (autograder/sandbox/confined_kernel.py); off by default. It is
a RestartingExecute: a stub that calls `os._exit`, crashes native code or
exhausts memory kills the kernel in the first demo cell that calls it, and
stock nbgrader would then drop the whole submission. So the dead cell gets an
error output saying what happened, a fresh kernel is started, and execution
goes on with the next cell. The scores do not depend on any of this.

ClearHiddenTestsFromFeedback, for `nbgrader generate_feedback`: nbgrader's
feedback shows test cells as autograded, hidden tests included; this removes
the hidden tests' code (their results stay: open book, docs/design.md principle 7).
"""
import os
from pathlib import Path

from nbclient.exceptions import DeadKernelError
from nbclient.util import ensure_async, run_sync
from nbformat.v4 import new_output
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import ClearHiddenTests, Execute, NbGraderPreprocessor
from traitlets import Bool, Integer, List, Unicode

DIED = ("The kernel died while running this cell: the code it called ended the Python process "
        "(os._exit, a crash in native code, or running out of memory). The autograder started a "
        "new kernel for the rest of the notebook, so cells below that need this cell's results fail; "
        "each part's test cell still shows the grading of your code.")


class RestartingExecute(Execute):
    """Execute that records a dead kernel as the cell's error and goes on in a new kernel.

    Settings under `c.Execute` (timeout, ...) apply: this is a subclass."""

    # ipykernel logs a warning about its local TCP sockets at every start: keep the
    # instructor's terminal for real problems.
    extra_arguments = List(["--IPKernelApp.log_level=ERROR"]).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        try:
            return super().preprocess_cell(cell, resources, index)
        except DeadKernelError:
            self.log.warning("The kernel died in cell %d; restarting it and going on", index + 1)
            cell.outputs.append(new_output("error", ename="DeadKernelError", evalue=DIED,
                                           traceback=[f"DeadKernelError: {DIED}"]))
            self._restart_kernel()
            return cell, self.resources

    def _restart_kernel(self):
        async def restart():
            await ensure_async(self.km.restart_kernel(now=True))
            await ensure_async(self.kc.wait_for_ready(timeout=self.startup_timeout))

        run_sync(restart)()


class ClearHiddenTestsFromFeedback(ClearHiddenTests):
    """nbgrader's ClearHiddenTests, accepting the feedback exporter's display settings."""

    # HTMLExporter configures every preprocessor's display_data_priority; nbgrader's base class
    # has the trait but not as config, which makes traitlets warn on every run.
    display_data_priority = List(['text/html', 'application/pdf', 'text/latex', 'image/svg+xml',
                                  'image/png', 'image/jpeg', 'text/plain']).tag(config=True)


class GradeFromFile(NbGraderPreprocessor):
    """Writes into each test cell the part's score from grading the submitted file.

    Place after any execution and before nbgrader.preprocessors.SaveAutoGrades."""

    jobs = Integer(0, help="Grading processes for the run (0: one per CPU, as `make grade`).").tag(config=True)

    def preprocess(self, nb, resources):
        from autograder.integrations.export import part_of
        from autograder.pipeline.batch import images

        info = resources["nbgrader"]
        course = course_directory(self)
        service = self.service()
        student, assignment, name = info["student"], info["assignment"], info["notebook"]
        self._prefetch_next(service, course, student, assignment, name)
        result = service.result(student, self._submitted(course, student, assignment, name))
        self._keep_for_staff(course, student, assignment, name, result.record)
        parts, seen = result.record["parts"], set()
        figures = images(result.artifacts)
        for cell in nb.cells:
            if not _is_test_cell(cell):
                continue
            pid = part_of(cell.metadata.nbgrader.get("grade_id", ""), list(parts))
            if pid is None or pid in seen:
                cell.outputs = [_not_graded()]
                self.log.warning("%s: test cell %s is not one the kit grades: 0 points", student,
                                 cell.metadata.nbgrader.get("grade_id"))
            else:
                hidden = {c.name for c in service.checks if c.part == pid and c.hidden}
                cell.outputs = _part_outputs(pid, parts[pid], result, float(cell.metadata.nbgrader["points"]),
                                             figures.get(pid, []), first=not seen, hidden=hidden)
                seen.add(pid)
            cell.execution_count = None
        return nb, resources

    def service(self):
        """The run's GradingService. nbgrader makes a new instance of this step for every notebook,
        so the service lives on the converter that runs the steps (Autograde, one per run), which
        starts it with the first notebook; without a converter, on this step."""
        from autograder.pipeline.grading_service import GradingService

        holder = _converter(self) or self
        service = getattr(holder, "_gradlab_grading_service", None)
        if service is None:
            service = GradingService(self.jobs or None)
            holder._gradlab_grading_service = service
        return service

    def _keep_for_staff(self, course, student, assignment, name, record):
        """The whole results record (inputs' fingerprints, flags) beside the autograded notebook,
        where only staff look (generate_feedback releases the notebook's HTML alone); each flag
        also in the log, as `make grade`'s class report lists them."""
        for flag in record.get("flags", []):
            self.log.warning("%s: for a TA to look at (no points lost): %s", student, flag["message"])
        folder = course.format_path(course.autograded_directory, student, assignment)
        os.makedirs(folder, exist_ok=True)
        from autograder.outputs.report import results_json, write_atomic  # noqa: PLC0415 - the grading path only

        write_atomic(Path(folder) / f"{name}.gradlab.json", results_json(record))

    @staticmethod
    def _submitted(course, student, assignment, name):
        return os.path.join(course.format_path(course.submitted_directory, student, assignment), f"{name}.ipynb")

    def _prefetch_next(self, service, course, student, assignment, name):
        """Start grading the students nbgrader takes next, in its own order (a sorted list of
        submitted/<student>/<assignment> folders held by the Autograde converter running this step).

        Only those it will autograde: not yet autograded, or all of them with --force."""
        converter = _converter(self)
        folders = getattr(converter, "assignments", None)
        if service.jobs < 2 or not isinstance(folders, dict):
            return
        mine = os.path.normpath(course.format_path(course.submitted_directory, student, assignment))
        ahead = 0
        for folder in sorted(os.path.normpath(f) for f in folders):
            other = os.path.basename(os.path.dirname(folder))
            done = os.path.exists(course.format_path(course.autograded_directory, other, assignment))
            path = os.path.join(folder, f"{name}.ipynb")
            if folder <= mine or (done and not getattr(converter, "force", False)) or not os.path.isfile(path):
                continue
            service.prefetch(other, path)
            ahead += 1
            if ahead >= service.jobs:
                return


def _converter(step):
    """The nbgrader converter (Autograde) running `step`: the parent of the step's exporter."""
    return getattr(getattr(step, "parent", None), "parent", None)


def course_directory(step):
    """The course directory of the converter running `step`: it holds the command line's
    settings too (--student ...), which `step.config` lacks."""
    return getattr(_converter(step), "coursedir", None) or CourseDirectory(config=step.config)


class ConfinedExecute(RestartingExecute):
    """Executes the notebook for its outputs only, in a kernel confined like a worker; off by default.

    `make autograde EXECUTE=1` (or `c.ConfinedExecute.enabled = True`) turns it on. The kernel runs as
    `nobody`, without network, under limits, in an allowlist root holding only what ipykernel and
    the modules the demos import need (confined_kernel.py): the course does not exist in it. It
    needs root to set that up and refuses to run otherwise. Test cells are not run: their outputs
    are GradeFromFile's, written after this step. Settings under `c.Execute` (timeout) apply."""

    enabled = Bool(False, help="Run the student's notebook in a confined kernel, for its outputs only.").tag(
        config=True)
    modules = List(Unicode(), help="Top-level modules the notebook's demo cells import, besides NumPy, matplotlib, "
                   "TensorFlow, Keras and scikit-learn: their installed files (and those of what they require) are "
                   "put in the confined kernel's file system.").tag(config=True)

    def preprocess(self, nb, resources):
        from autograder.sandbox.confined_kernel import MODULES, kernel_manager_class

        if os.geteuid() != 0:
            raise RuntimeError("EXECUTE=1 runs the students' notebooks in a kernel confined as `nobody`, "
                               "which only root can set up: run `make autograde EXECUTE=1` as root (for example "
                               "in a container), or without EXECUTE. Nothing was executed.")
        self.kernel_manager_class = kernel_manager_class(modules=(*MODULES, *self.modules))
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if _is_test_cell(cell):
            return cell, resources
        return super().preprocess_cell(cell, resources, index)


def _is_test_cell(cell):
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and meta.get("grade") and not meta.get("solution")


def _part_outputs(pid, part, result, cell_points, figures, first, hidden=()):
    """[the per-check table (+ plots), the points as an execute_result] for part `pid`.

    figures: [(caption, data URI, values)] of the part, from plots.images; hidden: the names
    of the part's hidden checks."""
    from autograder.integrations.notebook import PartResult, Row
    from autograder.outputs.pages import figures_html, messages as page_messages

    if abs(cell_points - part["max_score"]) > 1e-9:
        raise ValueError(f"the test cell of {pid} is worth {cell_points:g} points in the notebook but "
                         f"{part['max_score']:g} in grading.toml: make them equal and run `make release`")
    rows = [Row.of(c, c["name"] in hidden) for c in part["checks"]]
    shown = PartResult(pid, part["title"], part["score"], part["max_score"], False, rows)
    plots = figures_html(figures)
    messages = page_messages(result.record["errors"], ()) if first else ""
    html = messages + shown._repr_html_() + plots
    return [new_output("display_data", data={"text/html": html, "text/plain": repr(shown)}),
            new_output("execute_result", data={"text/plain": repr(float(part["score"]))}, execution_count=None)]


NOT_GRADED = ("The kit grades each part in its one test cell named test_<part> (grading.toml's parts); "
              "this cell is not one of them, so it gets no points here.")


def _not_graded():
    return new_output("error", ename="NotGraded", evalue=NOT_GRADED, traceback=[f"NotGraded: {NOT_GRADED}"])
