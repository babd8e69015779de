"""Where a grading run's random inputs come from: published, or drawn for each submission.

Every check draws its inputs from one integer seed, the part, the check and a tag
(checks/common.Context). What that seed is decides who can know the inputs:

- public (`Inputs(salt)`, no secret): the seed is grading.toml's `seed`. The student's
  self-check in the notebook grades so, and so does the mutation tool: anyone with the
  student wheel can draw these inputs, which is what a self-check is for.
- graded (`Inputs(salt, secret)`): the seed is an HMAC, under the course's grading secret
  (autograder/secret.py), of the salt and the digest of the submission's graded code. The
  same file always gets the same inputs (regrades are byte-identical), any change to its
  code (a table of answers added to it) changes them, and without the secret no one can
  compute them. `make grade`, nbgrader autograde and Gradescope grade so.

Results carry `describe()`: the kind of inputs, the secret's fingerprint and a fingerprint of
the seed (enough for staff to see that two runs drew the same inputs), never the seed itself.
"""
import hashlib
from dataclasses import dataclass, field
from typing import Optional

from autograder.secret import Secret


@dataclass(frozen=True)
class Inputs:
    salt: int                                              # grading.toml's seed, or --seed
    secret: Optional[Secret] = field(default=None, repr=False)

    @property
    def graded(self):
        return self.secret is not None

    def seed(self, statements) -> int:
        """The seed `statements` (a submission's graded definitions) are graded with."""
        if self.secret is None:
            return self.salt
        message = f"gradlab graded inputs v1\0{self.salt}\0{code_digest(statements)}".encode()
        return int.from_bytes(self.secret.derive(message)[:8], "big") >> 1

    def describe(self, statements) -> dict:
        """What a results record says about its inputs: never the seed, never the secret."""
        if self.secret is None:
            return {"kind": "public", "seed": self.salt}
        drawn = hashlib.sha256(b"gradlab inputs fingerprint\0" + str(self.seed(statements)).encode())
        return {"kind": "graded", "secret": self.secret.fingerprint, "salt": self.salt,
                "inputs": drawn.hexdigest()[:12]}


def code_digest(statements) -> str:
    """sha256 of a submission's graded code: the source of each definition, in order."""
    digest = hashlib.sha256()
    for statement in statements:
        source = statement["source"].encode()
        digest.update(len(source).to_bytes(8, "big"))
        digest.update(source)
    return digest.hexdigest()
