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

# The lab imports TensorFlow (about 10 s here) and trains small networks:
# give each notebook room, but not forever.
c.ExecutePreprocessor.timeout = 300
c.Execute.timeout = 300

# A stub that kills the kernel (os._exit, a crash in native code) costs its own part only,
# as in `make grade`: nbgrader goes on in a fresh kernel instead of dropping the submission.
# nbgrader 0.9.6's list, with its Execute replaced.
c.Autograde.autograde_preprocessors = [
    "autograder.integrations.nbgrader.RestartingExecute",
    "nbgrader.preprocessors.IgnorePattern",
    "nbconvert.preprocessors.ClearMetadataPreprocessor",
    "nbgrader.preprocessors.LimitOutput",
    "nbgrader.preprocessors.SaveAutoGrades",
    "nbgrader.preprocessors.AssignLatePenalties",
    "nbgrader.preprocessors.CheckCellMetadata",
]

# Feedback shows what the hidden tests found, never their code (nbgrader's default keeps it).
c.GenerateFeedback.preprocessors = [
    "nbgrader.preprocessors.GetGrades",
    "autograder.integrations.nbgrader.ClearHiddenTestsFromFeedback",
    "nbconvert.preprocessors.CSSHTMLHeaderPreprocessor",
]
