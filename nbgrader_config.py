"""nbgrader configuration: this repository is the course directory.

Course id, exchange and gradebook can be moved with environment variables,
so tests and several courses can share one machine.
"""
import os

HERE = os.path.dirname(os.path.abspath(__file__))

c = get_config()  # noqa: F821 - provided by nbgrader when it loads this file

c.CourseDirectory.root = HERE
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "assignment"
c.CourseDirectory.course_id = os.environ.get("GRADLAB_COURSE_ID", "gradlab")
c.CourseDirectory.db_url = "sqlite:///" + os.environ.get("GRADLAB_GRADEBOOK", os.path.join(HERE, "gradebook.db"))
c.Exchange.root = os.environ.get("GRADLAB_EXCHANGE", "/srv/nbgrader/exchange")

# Scores never come from a kernel: GradeFromFile grades each submitted notebook file with the
# kit's own pipeline (the code `make grade` runs: sandboxed workers, one set of grading processes
# with TensorFlow loaded once for the whole run) and writes each test cell's outputs (the part's
# per-check table and its points) after anything a kernel did and before SaveAutoGrades reads them.
# By default nothing runs in a kernel at all: nbgrader's own Execute is left out of the list.
# ConfinedExecute.enabled (`make autograde EXECUTE=1`) runs each notebook for its outputs only,
# in a kernel confined like a worker (as `nobody`, no network, the course out of sight; needs root).
c.Autograde.autograde_preprocessors = [
    "autograder.integrations.nbgrader.ConfinedExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "autograder.integrations.nbgrader.GradeFromFile",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]
c.GradeFromFile.jobs = int(os.environ.get("GRADLAB_JOBS", "0"))  # grading processes; 0: one per CPU
c.ConfinedExecute.enabled = False
# Each cell of an executed notebook may take up to 300 s (the lab imports TensorFlow and trains).
c.Execute.timeout = 300

# Feedback shows what the hidden tests found, never their code (nbgrader's default keeps it).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "autograder.integrations.nbgrader.ClearHiddenTestsFromFeedback",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
