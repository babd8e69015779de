"""Confinement of a process that runs student code, applied before any of it runs.

What a process gets is written as one record, a `Policy`; `confine(policy)`
applies it and returns the layers it got (the grader reads them with the load
reply: `APPLIED`). Two values of it exist:
- the grading worker's, `worker_policy(config)` (here: the worker imports only
  the standard library and NumPy): a NumPy stub's needs and nothing more;
- the confined Jupyter kernel's of `make autograde EXECUTE=1`,
  `autograder/sandbox/confined_kernel.py` `kernel_policy`: what the lab's demos
  (TensorFlow, matplotlib, scikit-learn) and ipykernel need.

A policy holds, and `confine` applies as root, in this order:
 1. `limits`: address space, CPU time, file size, open files, processes;
 2. `namespaces`: new network (no network at all), IPC, mount and PID ones;
 3. in the private mount namespace, `file_system`, an allowlist plan: a fresh,
    empty tmpfs into which only its entries are mounted, read-only (folders,
    files, device nodes; "cover" entries are empty folders over what a folder
    holds but must not show, such as the interpreter's own site-packages),
    its writable folders bound read-write at the same path (the kernel's socket
    folder), a /proc mount point and the scratch folder, a private tmpfs
    (size and file count capped, noexec if the policy says so); then
    pivot_root into it and detach the old root. Nothing else of the machine
    exists inside: no /etc, /opt, /var, /mnt, /home, no copy of the course
    wherever it was left. Should the kernel refuse a step before the pivot,
    the process goes on without this layer (and the grader says the sandbox
    was partial); a `strict` policy (the kernel's) exits instead;
 4. fork: the child is PID 1 of the new PID namespace and runs the student's
    code; when it dies, the kernel kills everything it started, setsid or
    not. The parent (the process that was started) stays root, keeps no file
    descriptor but its own lifeline, reaps the child and exits with the
    child's status, so the grader sees the student's exit code or signal; it
    kills the child when it gets SIGTERM (the grader's stop) or when the
    grader dies (parent-death signal);
 5. in the child: a fresh /proc (only its own processes are visible), `user`
    (the unprivileged user to become), parent-death signal, no_new_privs,
    `seccomp` (a filter that refuses to start programs or processes: execve,
    fork, clone without CLONE_THREAD, and namespace, mount and tracing calls),
    and finally `audit`, an audit hook with an allowlist of its own.

The audit hook is not a security boundary (Python code can always get around
it); the kernel layers are. It refuses early, with a clear PermissionError,
reading outside its allowlist (for the worker: the standard library, NumPy,
the worker's own folder, the device nodes and the scratch; /proc too as root,
where it shows only the worker's own processes), writing outside the scratch,
starting processes, the network, ctypes, signals and changes to the sandbox;
and records each kind of attempt as a note a TA can read (`NOTES`, sent to the
grader with every reply).

Fallback without root: no namespaces, no allowlist root and no privilege drop,
so the worker runs as the grader's user and the kernel would read what that
user can read, except for what the audit hook refuses (and Python code can get
around the hook). Kept: resource limits (RLIMIT_NPROC included), a
parent-death signal, no_new_privs, the seccomp filter (it needs no privilege:
on x86_64 and aarch64 no program or process can be started, so nothing can
outlive grading), the audit hook and its allowlist, and the grader killing the
worker's process group and every process it still finds below the worker. The
scratch folder is an ordinary 0700 folder whose total size is not capped (each
file is, by RLIMIT_FSIZE). On other machines, without the filter, a process
that calls setsid and double-forks can outlive grading. Grade as root (in a
container as root will do) for the full sandbox; bubblewrap is not needed. As
root where the kernel refuses a namespace (some containers), the worker still
drops to the unprivileged user, and the layers it could not get are missing
from APPLIED. The confined kernel has no fallback: it refuses to start.
"""
import ctypes
import ctypes.util
import dataclasses
import os
import resource
import select
import signal
import struct
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
CLONE_THREAD = 0x00010000
MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 0x4000, 0x40000
MNT_DETACH = 2
PR_SET_PDEATHSIG = 1
PR_SET_SECCOMP = 22
PR_SET_NO_NEW_PRIVS = 38
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}

NAMESPACES = ("network", "ipc", "mount", "pid")
DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
SCRATCH_FILES = 2000  # files and folders a worker's scratch tmpfs may hold

_LIFELINE = [None]  # read end of a pipe only the supervising parent can write to
APPLIED = []  # what confinement this process got, reported to the grader at load
NOTES = []    # what the sandbox refused or noticed, for the TA; sent with every reply
_NOTED = set()
MAX_NOTES = 20


# -- the policy ---------------------------------------------------------------------------------

@dataclasses.dataclass(frozen=True)
class Limits:
    """Resource limits; each is one setrlimit."""

    memory_mb: int       # address space
    cpu_seconds: int
    file_size_mb: int    # each file written
    open_files: int = 64
    processes: int = 32  # per user: counted once the process is the unprivileged user


@dataclasses.dataclass(frozen=True)
class Scratch:
    """The one writable folder of its own: a private tmpfs as root, an ordinary folder without."""

    path: str
    size_mb: int
    files: int = SCRATCH_FILES
    noexec: bool = True  # a compiled extension written there cannot be loaded


@dataclasses.dataclass(frozen=True)
class FileSystem:
    """The allowlist plan of a fresh root: nothing is inside that is not named here."""

    read_only: tuple     # ((path, kind), ...) with kind "dir", "file", "device" or "cover"; see allowlist()
    scratch: Scratch
    writable: tuple = ()  # folders bound read-write at the same path (the kernel's socket folder)


@dataclasses.dataclass(frozen=True)
class Policy:
    """Everything a confined process gets; `confine` applies it."""

    file_system: FileSystem
    limits: Limits = None        # None: no limits (a measurement of the file system step)
    namespaces: tuple = NAMESPACES
    seccomp: bool = True
    user: tuple = None           # (uid, gid) to become, as root; None: stay who we are
    audit: tuple = None          # ((path, kind), ...) the audit hook lets be read; None: no hook
    strict: bool = False         # every layer or exit (the kernel); else what the machine allows


def allowlist(folders, files=(), devices=DEVICES):
    """The read-only entries of a plan, parents before children: `folders` bound whole, `files`
    not inside one of them, `devices` (kept as devices).

    A site-packages (or dist-packages) folder inside a bound folder (the interpreter's own,
    inside its standard library) becomes an empty cover; a requested folder inside a cover
    (NumPy installed there) is mounted again inside it, alone."""
    folders = [p for p in dict.fromkeys(map(os.path.realpath, folders)) if os.path.isdir(p)]
    outer = _outermost(folders)
    covers = [place for place in (os.path.join(f, name) for f in outer for name in ("site-packages", "dist-packages"))
              if os.path.isdir(place)]
    inner = _outermost(f for f in folders if any(_within(f, c) for c in covers))
    plan = [(p, "dir") for p in outer + inner] + [(p, "cover") for p in covers]
    plan += [(p, "file") for p in files if os.path.isfile(p) and not _visible(p, plan)]
    plan += [(p, "device") for p in devices if os.path.exists(p)]
    # Parents before children: a folder mounted after a file inside it would bury the file.
    return tuple(sorted(dict(plan).items(), key=lambda item: (item[0].count("/"), item[0])))


def runtime_folders():
    """The interpreter's standard library and lib-dynload, where this interpreter found them.

    (Not sysconfig's idea of them: in a virtual environment that names the environment's own
    folder of site-packages.)"""
    return [os.path.dirname(os.__file__)] + [p for p in sys.path if os.path.basename(p) == "lib-dynload"]


def mapped_files():
    """The regular files this process has mapped: the interpreter, every shared library, locale data."""
    found = set()
    try:
        with open("/proc/self/maps") as handle:
            for line in handle:
                fields = line.split(None, 5)
                if len(fields) == 6 and fields[5].startswith("/"):
                    found.add(fields[5].rstrip("\n").removesuffix(" (deleted)"))
    except OSError:
        return []
    return sorted(p for p in found if os.path.isfile(p))


def _outermost(paths):
    paths = sorted(set(paths))
    return [p for p in paths if not any(q != p and _within(p, q) for q in paths)]


def _within(path, folder):
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _visible(path, entries):
    """True when `path` shows through `entries` (the deepest one holding it is no cover)."""
    holders = [(len(p), kind != "cover") for p, kind in entries if _within(path, p)]
    return bool(holders) and max(holders)[1]


# -- the grading worker's policy ----------------------------------------------------------------
#
# What a worker needs is read from the worker itself, never from a list of places: the standard
# library and NumPy's folders (where the interpreter found them), the shared libraries this
# process has mapped (after NumPy was imported), the worker's own code, five device nodes. The
# plan is made once (in the fork server, before the first fork); each worker then only mounts
# it: a few dozen mount calls, about a millisecond.

_PLAN = []


def worker_plan():
    """The read-only entries of a worker's root (made once per process, inherited by forks)."""
    if not _PLAN:
        folders = runtime_folders() + [os.path.dirname(os.path.abspath(__file__))]
        numpy = sys.modules.get("numpy")
        if numpy is not None and getattr(numpy, "__file__", None):
            package = os.path.dirname(os.path.realpath(numpy.__file__))
            folders += [package, package + ".libs"]  # numpy.libs: the BLAS its wheel bundles
        _PLAN.append(allowlist(folders, mapped_files()))
    return _PLAN[0]


def worker_policy(config):
    """The grading worker's policy, from what the grader sends (limits, scratch folder, user)."""
    plan = worker_plan()
    scratch = Scratch(config["scratch"], size_mb=max(16, 2 * config["file_size_mb"]))
    # The hook lets be read what the plan binds whole (not the single shared libraries: nothing
    # in Python reads those) and the scratch.
    readable = tuple((p, kind) for p, kind in plan if kind != "file") + ((scratch.path, "dir"),)
    return Policy(FileSystem(plan, scratch),
                  Limits(config["memory_mb"], config["cpu_seconds"], config["file_size_mb"],
                         processes=config["max_processes"]),
                  user=(config["uid"], config["gid"]), audit=readable)


# -- notes -------------------------------------------------------------------------------------

def note(key, text):
    """Record `text` once per `key` (a kind of event), for the grader to collect."""
    if key not in _NOTED and len(_NOTED) < MAX_NOTES:
        _NOTED.add(key)
        NOTES.append(text)


def take_notes():
    taken = NOTES[:]
    del NOTES[:]
    return taken


def _libc():
    # Loaded once: find_library may run `ldconfig -p` in a subprocess, which costs milliseconds.
    if not _LIBC:
        try:
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
        except OSError:
            libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        for name, types in LIBC_ARGTYPES.items():
            function = getattr(libc, name, None)  # Linux only: a Mac's C library has no unshare
            if function is not None:
                function.argtypes = types
        _LIBC.append(libc)
    return _LIBC[0]


_LIBC = []
LIBC_ARGTYPES = {
    "mount": [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p],
    "unshare": [ctypes.c_int],
    "umount2": [ctypes.c_char_p, ctypes.c_int],
    "prctl": [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong],
}


# -- the whole sequence ----------------------------------------------------------------

def bind_to_grader(config):
    """Die with the grader: a SIGTERM when the grading process exits, however it exits."""
    try:
        _libc().prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0)
    except (OSError, AttributeError):  # AttributeError: no prctl (not Linux)
        return
    if os.getppid() != config.get("grader_pid", os.getppid()):
        os._exit(1)  # the grader died before the signal was armed


def confine(policy):
    """Apply `policy` to this process and return the layers it got.

    As root this returns only in the forked child that runs student code (with a PID namespace);
    a strict policy exits with a message instead of returning short of a layer."""
    if policy.strict and os.geteuid() != 0:
        sys.exit("confined: needs root to apply a strict policy; refusing to run student code unconfined")
    if policy.limits is not None:
        _limits(policy.limits)
    if os.geteuid() == 0:
        libc = _libc()
        _namespaces(libc, policy)
        if "pid" in policy.namespaces and libc.unshare(CLONE_NEWPID) == 0:
            _supervise_child(libc)  # the parent never returns from here
        _scratch_folder(policy)
        if policy.user is not None:
            _drop_privileges(policy.user)
        _die_with_parent(libc)
    if _no_new_privs() and policy.seccomp:
        _seccomp()
    os.chdir(policy.file_system.scratch.path)
    if policy.audit is not None:
        # /proc may be read once it shows this process's own processes only (never the host's:
        # other processes' command lines and environments).
        own = (("/proc", "dir"),) if "own processes only" in APPLIED else ()
        _audit_hook(policy.file_system.scratch.path, policy.audit + own)
    if policy.strict:
        _require(policy)
    return list(APPLIED)


def _expected_layers(policy):
    """The layers `policy` asks for, by the names APPLIED uses."""
    wanted = {"resource limits": policy.limits is not None, "no network": "network" in policy.namespaces,
              "allowlist root": "mount" in policy.namespaces, "private scratch": "mount" in policy.namespaces,
              "read-only file system": "mount" in policy.namespaces,
              "process namespace": "pid" in policy.namespaces, "own processes only": "pid" in policy.namespaces,
              "unprivileged user": policy.user is not None, "no_new_privs": True,
              "no new programs or processes": policy.seccomp and os.uname().machine in SYSCALLS,
              "audit hook": policy.audit is not None}
    return [layer for layer, asked in wanted.items() if asked]


def _require(policy):
    """Every layer or no process: one short of a layer would run student code less confined."""
    missing = [layer for layer in _expected_layers(policy) if layer not in APPLIED]
    if missing:
        sys.exit(f"confined: could not set up {', '.join(missing)}; refusing to run student code")


# -- 1. resource limits -------------------------------------------------------------------

def _limits(limits):
    mb = 1024 * 1024
    wanted = {
        resource.RLIMIT_AS: limits.memory_mb * mb,
        resource.RLIMIT_CPU: limits.cpu_seconds,
        resource.RLIMIT_FSIZE: limits.file_size_mb * mb,
        resource.RLIMIT_NOFILE: limits.open_files,
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_NPROC: limits.processes,  # per user: counted once we are unprivileged
    }
    for limit, value in wanted.items():
        try:
            resource.setrlimit(limit, (value, value))
        except (ValueError, OSError):
            continue
    APPLIED.append("resource limits")


# -- 2-3. namespaces and the allowlist root ---------------------------------------------------

def _namespaces(libc, policy):
    """New network and IPC namespaces, and a mount namespace holding the allowlist root."""
    flags = {"network": CLONE_NEWNET, "ipc": CLONE_NEWIPC}
    wanted = sum(flags[name] for name in policy.namespaces if name in flags)
    if wanted and libc.unshare(wanted) == 0 and "network" in policy.namespaces:
        APPLIED.append("no network")
    if "mount" in policy.namespaces and libc.unshare(CLONE_NEWNS) == 0 and \
            libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) == 0:
        _allowlist_root(libc, policy.file_system, policy.user or (0, 0))


STAGES = ("/mnt", "/media", "/opt", "/srv", "/var/tmp", "/tmp", "/run", "/home", "/dev/shm")


def _allowlist_root(libc, plan, owner):
    """Pivot into a fresh root holding only `plan` (a FileSystem); True when done.

    False (nothing changed that matters) when the kernel refused a step before the pivot."""
    paths = [p for p, _ in plan.read_only] + list(plan.writable) + [plan.scratch.path]
    # The new root is built on a folder of the old one that holds nothing it binds.
    stage = next((s for s in STAGES if os.path.isdir(s) and not any(_within(p, s) or _within(s, p)
                                                                  for p in paths)), None)
    pivot = SYS_PIVOT_ROOT.get(os.uname().machine)
    if stage is None or pivot is None:
        return False
    base = os.path.realpath(stage)
    if libc.mount(b"tmpfs", base.encode(), b"tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  b"size=1m,nr_inodes=4096,mode=0755") != 0:
        return False
    try:
        covers = [path for path, kind in plan.read_only if _mount_entry(libc, base, path, kind)]
        _private_scratch(libc, base, plan.scratch, owner)
        for path in plan.writable:
            _bind_writable(libc, base, path)
        os.makedirs(base + "/proc", exist_ok=True)
    except OSError:
        libc.umount2(base.encode(), MNT_DETACH)
        return False
    os.chdir(base)
    # pivot_root(".", "."): the old root ends up on top of the new one, and is detached at once.
    if libc.syscall(pivot, b".", b".") != 0 or libc.umount2(b".", MNT_DETACH) != 0:
        os._exit(1)  # half-way between two roots: no process rather than a wrong one
    os.chdir("/")
    APPLIED.extend(["allowlist root", "private scratch"])
    read_only = MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC
    for path in covers + ["/"]:
        if libc.mount(None, path.encode(), None, read_only, None) != 0:
            os._exit(1)
    APPLIED.append("read-only file system")
    return True


def _mount_entry(libc, base, path, kind):
    """Mount one read-only entry under `base`; True for a cover (made read-only after the pivot)."""
    target = base + path
    if kind in ("dir", "cover"):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
    if kind == "cover":
        done = libc.mount(b"tmpfs", target.encode(), b"tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                          b"size=16k,nr_inodes=64,mode=0755") == 0
    else:
        flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | (0 if kind == "device" else MS_NODEV)
        done = (libc.mount(path.encode(), target.encode(), None, MS_BIND, None) == 0
                and libc.mount(None, target.encode(), None, flags, None) == 0)
    if not done:
        raise OSError(f"could not mount {path}")
    return kind == "cover"


def _private_scratch(libc, base, scratch, owner):
    """The scratch: a small tmpfs of its own (size and file count capped), owned by `owner`."""
    target = base + scratch.path
    os.makedirs(target, mode=0o711)
    # The folders on the way to the scratch stay traversable, but not listable.
    folder = os.path.dirname(target)
    while folder != base:
        os.chmod(folder, 0o711)
        folder = os.path.dirname(folder)
    options = f"size={scratch.size_mb}m,nr_inodes={scratch.files},mode=0700,uid={owner[0]},gid={owner[1]}"
    flags = MS_NOSUID | MS_NODEV | (MS_NOEXEC if scratch.noexec else 0)
    if libc.mount(b"tmpfs", target.encode(), b"tmpfs", flags, options.encode()) != 0:
        raise OSError("could not mount the scratch")


def _bind_writable(libc, base, path):
    """`path` bound read-write at the same place (a bind keeps its source mount's flags: set them)."""
    target = base + path
    os.makedirs(target, exist_ok=True)
    flags = MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | MS_NOEXEC
    if libc.mount(path.encode(), target.encode(), None, MS_BIND, None) != 0 or \
            libc.mount(None, target.encode(), None, flags, None) != 0:
        raise OSError(f"could not bind {path}")


# -- 4. the PID namespace: a supervising parent and the child that runs student code ---------------

def _supervise_child(libc):
    """Fork; the parent waits, mirrors the child's exit and never returns."""
    lifeline_r, lifeline_w = os.pipe()
    child = [0]

    def stop_child(signum, frame):
        if child[0]:
            os.kill(child[0], signal.SIGKILL)
        else:
            os._exit(128 + signum)

    def forward(signum, frame):
        if child[0]:
            os.kill(child[0], signum)

    # SIGINT is an interrupt for the child (jupyter_client interrupts a kernel so, and before it
    # shuts one down): passed on, not the supervisor's end.
    interrupt = signal.getsignal(signal.SIGINT)
    signal.signal(signal.SIGTERM, stop_child)
    signal.signal(signal.SIGINT, forward)
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, interrupt)
        os.close(lifeline_w)
        _LIFELINE[0] = lifeline_r
        if libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None) == 0:
            APPLIED.append("own processes only")
        APPLIED.append("process namespace")
        return
    child[0] = pid
    # The parent keeps no way in (no pipe of the grader's: it sees EOF as soon as the child dies),
    # only the lifeline the child watches.
    os.closerange(3, lifeline_w)
    os.closerange(lifeline_w + 1, 1 << 16)
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except ChildProcessError:
            os._exit(1)
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        try:
            signal.signal(number, signal.SIG_DFL)
            os.kill(os.getpid(), number)
        except (OSError, ValueError):
            pass
        os._exit(128 + number)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)


def _die_with_parent(libc):
    """The child dies when the supervising parent does (set after setuid, which clears it)."""
    if "process namespace" not in APPLIED:
        return
    libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    lifeline = _LIFELINE[0]
    if lifeline is not None:
        # The parent never writes: readable means end of file, so it died before the signal was armed.
        if select.select([lifeline], [], [], 0)[0]:
            os._exit(1)
        os.close(lifeline)


def _scratch_folder(policy):
    """Without a private scratch (no allowlist root), an ordinary folder of the user's own."""
    path = policy.file_system.scratch.path
    if not os.path.isdir(path):
        os.makedirs(path, mode=0o700)
        if policy.user is not None:
            os.chown(path, *policy.user)


def _drop_privileges(user):
    uid, gid = user
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    APPLIED.append("unprivileged user")


def _no_new_privs():
    try:
        if _libc().prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0:
            APPLIED.append("no_new_privs")
            return True
    except (OSError, AttributeError):
        pass
    return False


# -- 5. seccomp: no programs, no processes, no namespaces ---------------------------------------

# (audit arch, {name: number}) per machine; other machines go without the filter.
SYSCALLS = {
    "x86_64": (0xC000003E, {
        "execve": 59, "execveat": 322, "fork": 57, "vfork": 58, "clone": 56, "clone3": 435,
        "ptrace": 101, "unshare": 272, "setns": 308, "mount": 165, "umount2": 166, "pivot_root": 155,
        "chroot": 161, "process_vm_readv": 310, "process_vm_writev": 311, "bpf": 321,
        "perf_event_open": 298, "userfaultfd": 323, "keyctl": 250, "add_key": 248, "request_key": 249,
        "io_uring_setup": 425}),
    "aarch64": (0xC00000B7, {
        "execve": 221, "execveat": 281, "clone": 220, "clone3": 435, "ptrace": 117, "unshare": 97,
        "setns": 268, "mount": 40, "umount2": 39, "pivot_root": 41, "chroot": 51, "process_vm_readv": 270,
        "process_vm_writev": 271, "bpf": 280, "perf_event_open": 241, "userfaultfd": 282, "keyctl": 219,
        "add_key": 217, "request_key": 218, "io_uring_setup": 425}),
}
EPERM, ENOSYS = 1, 38


def _seccomp():
    machine = SYSCALLS.get(os.uname().machine)
    if machine is None:
        return
    arch, numbers = machine
    allow, deny, nosys = 0x7FFF0000, 0x00050000 | EPERM, 0x00050000 | ENOSYS
    ld_w_abs, jeq, jset, jge, ret = 0x20, 0x15, 0x45, 0x35, 0x06
    program = [
        (ld_w_abs, 0, 0, 4), (jeq, 1, 0, arch), (ret, 0, 0, deny),   # another ABI (int 0x80): refused
        (ld_w_abs, 0, 0, 0), (jge, 0, 1, 0x40000000), (ret, 0, 0, deny),  # x32 numbering: refused
        # clone3 passes its flags in memory a filter cannot read: ENOSYS makes the C library
        # fall back to clone, whose flags it can read.
        (jeq, 0, 1, numbers["clone3"]), (ret, 0, 0, nosys),
        # clone: a thread (CLONE_THREAD) is allowed, a new process is not.
        (jeq, 0, 4, numbers["clone"]), (ld_w_abs, 0, 0, 16), (jset, 0, 1, CLONE_THREAD),
        (ret, 0, 0, allow), (ret, 0, 0, deny),
    ]
    for name, number in numbers.items():
        if name not in ("clone", "clone3"):
            program += [(jeq, 0, 1, number), (ret, 0, 0, deny)]
    program.append((ret, 0, 0, allow))
    filters = b"".join(struct.pack("HBBI", *instruction) for instruction in program)
    buffer = ctypes.create_string_buffer(filters)
    prog = struct.pack("HxxxxxxP", len(program), ctypes.addressof(buffer))
    prog_buffer = ctypes.create_string_buffer(prog)
    if _libc().prctl(PR_SET_SECCOMP, 2, ctypes.addressof(prog_buffer), 0, 0) == 0:
        APPLIED.append("no new programs or processes")


# -- 6. the audit hook: early refusals with a clear message, and notes for the TA -------------------

PROCESS_EVENTS = ("os.system", "os.exec", "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty",
                  "subprocess.Popen", "pty.spawn", "os.startfile")
WRITE_EVENTS = {  # event -> positions of path arguments that are written to
    "os.mkdir": (0,), "os.rename": (0, 1), "os.replace": (0, 1), "os.remove": (0,), "os.rmdir": (0,),
    "os.symlink": (1,), "os.link": (1,), "os.chmod": (0,), "os.chown": (0,), "os.truncate": (0,),
    "os.utime": (0,), "os.mkfifo": (0,), "os.mknod": (0,), "shutil.rmtree": (0,),
}
READ_EVENTS = ("open", "os.listdir", "os.scandir")


def _audit_hook(scratch, readable):
    """Refuse (and note) what the kernel layers refuse anyway, plus what only a hook can see.

    `readable`: ((path, kind), ...) as a plan's entries; a path may be read when the deepest
    entry holding it is no cover. Everything the hook uses is bound here, in its closure: module
    globals could be changed by the student's code between two events."""
    scratch = os.path.realpath(scratch)
    entries = tuple((os.path.realpath(p).rstrip("/") or "/", kind != "cover") for p, kind in readable)
    realpath, fsdecode, startswith = os.path.realpath, os.fsdecode, str.startswith
    process_events, write_events, read_events = PROCESS_EVENTS, dict(WRITE_EVENTS), READ_EVENTS
    writing_flags = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC
    record = note

    def refuse(key, text, message):
        record(key, text)
        raise PermissionError(f"the grader's sandbox does not allow {message}")

    def resolved(path):
        if type(path) is str or type(path) is bytes:
            return realpath(fsdecode(path))
        return None  # an int is an open file descriptor; anything else is refused

    def inside(path):
        if type(path) is int:  # an open file descriptor: the kernel checked it when it was opened
            return True
        where = resolved(path)
        # A path-like object could change its answer between here and the open: not inside.
        return where is not None and (where == scratch or startswith(where, scratch + "/"))

    def allowed(path):
        if type(path) is int:
            return True
        where = resolved("." if path is None else path)  # os.listdir() lists the working folder
        if where is None:
            return False
        holders = [(len(p), shows) for p, shows in entries if where == p or startswith(where, p + "/")
                   or p == "/"]
        return bool(holders) and max(holders)[1]

    def shown(path):
        return fsdecode(path)[:120] if type(path) is str or type(path) is bytes else type(path).__name__

    def writes(args):
        mode = args[1] if len(args) > 1 else None
        flags = args[2] if len(args) > 2 else 0
        if type(mode) is str:
            return "w" in mode or "a" in mode or "x" in mode or "+" in mode
        return type(flags) is int and bool(flags & writing_flags)

    def hook(event, args):
        if startswith(event, process_events):
            refuse("process", f"Tried to start a process ({event}); refused by the sandbox.", event)
        if event in read_events:
            if event == "open" and writes(args) and not inside(args[0]):
                refuse("write", f"Tried to write outside its scratch folder ({shown(args[0])}); refused by "
                       "the sandbox.", "writing outside its scratch directory")
            if not allowed(args[0] if args else None):
                refuse("read", f"Tried to read outside what the sandbox allows ({shown(args[0] if args else '.')}); "
                       "refused by the sandbox.", "reading files outside the Python runtime, NumPy and its "
                       "scratch directory")
        elif event in write_events:
            for position in write_events[event]:
                if position < len(args) and not inside(args[position]):
                    refuse("write", f"Tried to write outside its scratch folder ({shown(args[position])}); "
                           "refused by the sandbox.", "writing outside its scratch directory")
        elif startswith(event, ("socket.", "_socket.")):
            refuse("network", f"Tried to use the network ({event}); refused by the sandbox.", event)
        elif startswith(event, "ctypes."):
            refuse("ctypes", f"Tried to call C code directly ({event}); refused by the sandbox.", event)
        elif event in ("os.kill", "os.killpg", "signal.pthread_kill"):
            refuse("signal", f"Tried to send a signal to a process ({event}); refused by the sandbox.", event)
        elif startswith(event, ("gc.get_", "sys._current_frames")):
            refuse("inspect", f"Tried to inspect the grader's objects in memory ({event}); refused by the "
                   "sandbox.", event)
        elif event in ("sys.addaudithook", "resource.setrlimit", "resource.prlimit"):
            refuse("sandbox", f"Tried to change the sandbox ({event}); refused.", event)

    # An import of a module not loaded yet searches every folder of sys.path: the ones the hook
    # would refuse are dropped, so that such an import ends in ModuleNotFoundError, not a note.
    sys.path[:] = [p for p in sys.path if allowed(p)]
    sys.addaudithook(hook)
    APPLIED.append("audit hook")
