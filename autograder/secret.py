"""The course's grading secret: what makes graded inputs unknowable to students.

Every graded input derives from it and from the submission's own code
(pipeline/inputs.py), so no table of answers built from what students get (the
student wheel, the release, the feedback of earlier submissions) matches the
inputs a submission is graded on (docs/design.md, principle 9). Staff create it
once per course (`make secret`), keep it with the course's private files, back it
up with the gradebook, and make a new one for each term. It is never written to
anything students get: not the wheel, the release, a feedback page or a
Gradescope result; the Gradescope zip (which students never see) carries it.

Where it is found, first match wins:
  GRADLAB_SECRET        the secret itself (64 hex digits), e.g. from a CI or cluster secret store
  GRADLAB_SECRET_FILE   a file holding it
  grading.secret        next to grading.toml (git-ignored; what `make secret` writes)
A missing or malformed secret is a `SecretMissing` error that says where it was looked for:
grading never falls back to the public inputs silently.
"""
import argparse
import hashlib
import hmac
import os
import secrets
import sys
from dataclasses import dataclass, field
from pathlib import Path

ENV = "GRADLAB_SECRET"
ENV_FILE = "GRADLAB_SECRET_FILE"
FILE_NAME = "grading.secret"
HEX_DIGITS = 64          # 256 bits, what `create` writes
MIN_HEX_DIGITS = 32      # 128 bits: anything shorter could be searched


class SecretMissing(Exception):
    """No usable grading secret: the message says where it was looked for and how to make one."""


@dataclass(frozen=True)
class Secret:
    key: bytes = field(repr=False)
    where: str  # where it was found, for messages ("GRADLAB_SECRET", a file's path)

    @property
    def fingerprint(self):
        """12 hex digits that name this secret in results and diffs without revealing it."""
        return hashlib.sha256(b"gradlab secret fingerprint\0" + self.key).hexdigest()[:12]

    def derive(self, message: bytes) -> bytes:
        """HMAC-SHA256 of `message` under the secret: without the secret, no one can compute it."""
        return hmac.new(self.key, message, hashlib.sha256).digest()


def default_path(grading_path):
    return Path(grading_path).resolve().parent / FILE_NAME


def find(grading_path, environ=None):
    """The course's Secret (see the module's docstring for where it is looked for)."""
    environ = os.environ if environ is None else environ
    if environ.get(ENV):
        return Secret(_parse(environ[ENV], f"${ENV}"), ENV)
    path = Path(environ[ENV_FILE]) if environ.get(ENV_FILE) else default_path(grading_path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        where = f"${ENV_FILE} names {path}, which does not exist" if environ.get(ENV_FILE) else \
            f"no {path}, and neither ${ENV} nor ${ENV_FILE} is set"
        raise SecretMissing(f"no grading secret: {where}. Create the course's secret once with `make secret` "
                            f"(or `python -m autograder secret --create`), back it up with the gradebook, "
                            f"and keep it out of everything students get.") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SecretMissing(f"the grading secret {path} cannot be read ({error})") from None
    return Secret(_parse(text, str(path)), str(path))


def _parse(text, where):
    digits = text.strip()
    try:
        key = bytes.fromhex(digits)
    except ValueError:
        key = b""
    if len(digits) < MIN_HEX_DIGITS or not key:
        raise SecretMissing(f"the grading secret in {where} is not {MIN_HEX_DIGITS} or more hex digits; "
                            f"`python -m autograder secret --create --path FILE` writes a good one")
    return key


def create(path):
    """Write a new secret to `path` (readable by its owner only); refuses to replace one."""
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path} already exists: a course keeps one secret per term (remove it "
                              f"yourself to make a new one; regrades of old submissions then change)")
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as out:
        out.write(secrets.token_hex(HEX_DIGITS // 2) + "\n")
    return Secret(_parse(path.read_text(encoding="utf-8"), str(path)), str(path))


# -- the `secret` verb -----------------------------------------------------------------------

def add_parser(commands):
    sub = commands.add_parser("secret", help="create or show the course's grading secret (make secret)",
                              description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub.add_argument("--create", action="store_true", help="write a new secret (refuses to replace one)")
    sub.add_argument("--if-missing", action="store_true",
                     help="with --create: do nothing when a secret is already found")
    sub.add_argument("--path", type=Path, default=None, metavar="FILE",
                     help=f"the file to write (default: ${ENV_FILE}, else {FILE_NAME} next to grading.toml)")
    sub.set_defaults(run=main)


def main(args):
    from autograder import config  # noqa: PLC0415 - the verb only

    grading_path = config.DEFAULT_PATH
    if args.create:
        if args.if_missing and args.path is None:
            try:
                find(grading_path)
                return 0  # quietly: `make grade` asks every time
            except SecretMissing:
                pass
        path = args.path or (Path(os.environ[ENV_FILE]) if os.environ.get(ENV_FILE) else default_path(grading_path))
        try:
            made = create(path)
        except FileExistsError as error:
            print(f"error: {error}", file=sys.stderr)
            return 2
        print(f"Created the course's grading secret {made.fingerprint} in {path}.\n"
              f"  Back it up with the gradebook: regrades are byte-identical only with the same secret.\n"
              f"  Never give it to students; make a new one each term (docs: the grading secret).",
              file=sys.stderr)
        return 0
    try:
        found = find(grading_path)
    except SecretMissing as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"Grading secret {found.fingerprint} from {found.where}.")
    return 0
