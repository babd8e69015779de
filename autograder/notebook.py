"""The students' import path: the released notebook's test cells run
`from autograder.notebook import check_part`, so this name stays put across releases.
The code lives in autograder/integrations/notebook.py."""
from autograder.integrations.notebook import PartResult, check_part

__all__ = ["PartResult", "check_part"]
