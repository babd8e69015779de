"""nbgrader steps the course swaps in (nbgrader_config.py puts them in place).

RestartingExecute, for `nbgrader autograde`: a stub that calls `os._exit`,
crashes native code or exhausts memory kills the kernel in the first demo
cell that calls it. Stock nbgrader then drops the whole submission (no
grades, no feedback); `make grade` costs such a stub its own part only. So
the dead cell gets an error output saying what happened, a fresh kernel is
started, and execution goes on with the next cell. Cells that needed the
lost state fail (nbgrader lets them), but each test cell still grades the
whole notebook: under `nbgrader autograde`, `autograder.notebook.check_part`
grades the notebook file being autograded, not the kernel's history, so the
scores are those of `make grade`.

ClearHiddenTestsFromFeedback, for `nbgrader generate_feedback`: nbgrader's
feedback shows test cells as autograded, hidden tests included; this removes
the hidden tests' code (their results stay: open book, docs/design.md principle 7).
"""
from nbclient.exceptions import DeadKernelError
from nbclient.util import ensure_async, run_sync
from nbformat.v4 import new_output
from nbgrader.preprocessors import ClearHiddenTests, Execute
from traitlets import List

DIED = ("The kernel died while running this cell: the code it called ended the Python process "
        "(os._exit, a crash in native code, or running out of memory). The autograder started a "
        "new kernel for the rest of the notebook, so cells below that need this cell's results fail; "
        "each part's test cell still grades your code.")


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
