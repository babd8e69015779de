"""Confinement of a worker process, applied before any student code runs.

What a worker gets depends on what the machine allows; the list of layers
applied is reported to the grader with the load reply (`APPLIED`).

As root (the normal case on a grading server or in CI), in this order:
 1. resource limits: address space, CPU time, file size, open files, processes;
 2. new namespaces: network (no network at all), IPC, mount and PID;
 3. in the private mount namespace, the allowlist root: a fresh, empty tmpfs
    into which only what the worker runs on is mounted read-only (the standard
    library, NumPy, the shared libraries this process has mapped, the worker's
    own code, five device nodes), plus a /proc mount point and the worker's
    scratch directory, a small private tmpfs (size and file count capped,
    noexec); then pivot_root into it and detach the old root. Nothing else
    exists inside: no other site-packages, no /etc, /opt, /var, /mnt, /home,
    no copy of the course wherever it was left. Should the kernel refuse a step
    before the pivot (or GRADLAB_ALLOWLIST_ROOT=0 switch it off, for measuring
    only), the denylist view instead: the course files (repository,
    solutions, gradebook, exchange, OUT, submissions), home directories and
    every shared scratch place (/tmp, /var/tmp, /dev/shm, /run) covered by
    empty mounts and every other mount made read-only. Either way a worker can
    write nowhere but its scratch and cannot see another worker's files;
 4. fork: the child is PID 1 of the new PID namespace and runs the student's
    code; when it dies, the kernel kills everything it started, setsid or
    not. The parent (the process the grader started and talks about) stays
    root, holds nothing the child can reach, reaps the child and exits with
    the child's status, so the grader sees the student's exit code or signal;
    it kills the child when it gets SIGTERM (the grader's stop) or when the
    grader dies (parent-death signal);
 5. in the child: a fresh /proc (only its own processes are visible), drop to
    the unprivileged user, parent-death signal, no_new_privs, a seccomp
    filter that refuses to start programs or processes (execve, fork, clone
    without CLONE_THREAD) and namespace, mount and tracing calls, and finally
    an audit hook.

The audit hook is not a security boundary (Python code can always get around
it); the kernel layers are. The hook refuses the obvious attempts early with a
clear PermissionError, and records each kind of attempt as a note a TA can
read (`NOTES`, sent to the grader with every reply).

Fallback without root: no namespaces and no privilege drop, so the worker
runs as the grader's user,
can read what that user can read and write where that user can write, except
for what the audit hook refuses (and Python code can get around the hook).
Kept: resource limits (RLIMIT_NPROC included), a parent-death signal,
no_new_privs, the seccomp filter (it needs no privilege: on x86_64 and
aarch64 no program or process can be started, so nothing can outlive
grading), the audit hook, and the grader killing the worker's process group
and every process it still finds below the worker. The scratch directory is
an ordinary 0700 folder whose total size is not capped (each file is, by
RLIMIT_FSIZE). On other machines, without the filter, a process that calls
setsid and double-forks can outlive grading. Grade as root (in a container
as root will do) for the full sandbox; bubblewrap is not needed. As root
where the kernel refuses a namespace (some containers), the worker still drops
to the unprivileged user, and the layers it could not get are missing from
APPLIED.
"""
import ctypes
import ctypes.util
import os
import re
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
MS_NOATIME, MS_NODIRATIME, MS_RELATIME, MS_STRICTATIME = 1024, 2048, 1 << 21, 1 << 24
MOUNT_FLAGS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
               "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME, "strictatime": MS_STRICTATIME}
PR_SET_PDEATHSIG = 1
PR_SET_SECCOMP = 22
PR_SET_NO_NEW_PRIVS = 38

# Shared places every user may write to or read from: always covered in the worker's view.
SHARED_PLACES = ("/tmp", "/var/tmp", "/dev/shm", "/run", "/home", "/root", "/srv")
SCRATCH_FILES = 2000  # files and folders the scratch tmpfs may hold

_LIFELINE = [None]  # read end of a pipe only the supervising parent can write to
APPLIED = []  # what confinement this worker got, reported to the grader at load
NOTES = []    # what the sandbox refused or noticed, for the TA; sent with every reply
_NOTED = set()
MAX_NOTES = 20


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


def confine(config):
    """Confine this process; as root, return only in the forked child that runs student code."""
    _limits(config)
    if os.geteuid() == 0:
        libc = _libc()
        if _namespaces(libc, config):
            _supervise_child(libc, config)  # the parent never returns from here
        _drop_privileges(config)
        _die_with_parent(libc)
    if _no_new_privs():
        _seccomp()
    os.chdir(config["scratch"])
    _audit_hook(config["scratch"], config["hide"])


# -- 1. resource limits -------------------------------------------------------------------

def _limits(config):
    mb = 1024 * 1024
    wanted = {
        resource.RLIMIT_AS: config["memory_mb"] * mb,
        resource.RLIMIT_CPU: config["cpu_seconds"],
        resource.RLIMIT_FSIZE: config["file_size_mb"] * mb,
        resource.RLIMIT_NOFILE: config.get("open_files", 64),  # a confined kernel (confined_kernel.py) needs more
        resource.RLIMIT_CORE: 0,
        resource.RLIMIT_NPROC: config["max_processes"],  # per user: counted once we are unprivileged
    }
    for limit, value in wanted.items():
        try:
            resource.setrlimit(limit, (value, value))
        except (ValueError, OSError):
            continue
    APPLIED.append("resource limits")


# -- 2-3. namespaces and the file system view ------------------------------------------------

def _namespaces(libc, config):
    """New network, IPC, mount and PID namespaces; True when the PID namespace is ready."""
    if libc.unshare(CLONE_NEWNET | CLONE_NEWIPC) == 0:
        APPLIED.append("no network")
    if libc.unshare(CLONE_NEWNS) == 0 and libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) == 0:
        # The allowlist root when it can be built; the denylist view only when it cannot (or is
        # switched off to measure what the allowlist costs).
        if not (config.get("allowlist_root", True) and _allowlist_root(libc, config)):
            _file_system(libc, config)
    return libc.unshare(CLONE_NEWPID) == 0


def _file_system(libc, config):
    scratch = config["scratch"]
    hidden = 0
    for path in _hide_list(config):
        # Folders on the way to the scratch directory must stay traversable (but not listable).
        hidden += _cover(libc, path, mode="0711" if scratch.startswith(path + "/") else "000")
    if hidden:
        APPLIED.append("course files hidden")
    if config.get("private_scratch"):
        # The mount point is made now: after the next step nothing outside the scratch is writable.
        os.makedirs(scratch, mode=0o711, exist_ok=True)
    if _read_only_everywhere(libc):
        APPLIED.append("read-only file system")
    if config.get("private_scratch"):
        _private_scratch(libc, config)


def _hide_list(config):
    paths = []
    for raw in list(config["hide"]) + list(SHARED_PLACES):
        try:
            path = os.path.realpath(raw)
        except (OSError, ValueError):
            continue
        if path != "/" and path not in paths and os.path.exists(path):
            paths.append(path)
    # A parent before its children: a child mounted first would be buried by the parent's cover.
    return sorted(paths, key=lambda p: p.count("/"))


def _cover(libc, path, mode):
    """Hide a folder under an empty tmpfs, or a file under /dev/null; 1 when done."""
    if os.path.isdir(path):
        options = f"size=64k,nr_inodes=16,mode={mode}".encode()
        done = libc.mount(b"tmpfs", path.encode(), b"tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, options)
    else:
        done = libc.mount(b"/dev/null", path.encode(), None, MS_BIND, None)
    return int(done == 0)


def _read_only_everywhere(libc):
    """Remount every writable mount read-only (in this namespace only); True if all succeeded."""
    ok = True
    try:
        with open("/proc/self/mountinfo") as handle:
            mounts = [line.split() for line in handle]
    except OSError:
        return False
    for fields in mounts:
        target, options = _unescape(fields[4]), fields[5].split(",")
        if "ro" in options:
            continue
        flags = MS_BIND | MS_REMOUNT | MS_RDONLY
        for option in options:
            flags |= MOUNT_FLAGS.get(option, 0)
        if libc.mount(None, target.encode(), None, flags, None) != 0 and os.path.exists(target):
            ok = False
    return ok


def _unescape(field):
    # mountinfo writes spaces, tabs, newlines and backslashes in paths as octal escapes.
    # (No codecs here: after the covers, the standard library may be out of reach.)
    return re.sub(r"\\([0-7]{3})", lambda m: chr(int(m.group(1), 8)), field)


# -- 3'. the allowlist root: a fresh, empty root holding only what a NumPy stub runs on ------------
#
# What a worker needs is read from the worker itself, never from a list of places: the standard
# library and NumPy's folders (where the interpreter found them), the shared libraries this
# process has mapped (/proc/self/maps, after NumPy was imported), the worker's own code, a few
# device nodes. Everything else (other site-packages, /etc, /opt, /var, /mnt, the course files,
# wherever they are) does not exist inside. The plan is made once (in the fork server, before
# the first fork); each worker then only mounts it: a few dozen mount calls, about a millisecond.

DEVICES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom")
STAGES = ("/mnt", "/media", "/opt", "/srv", "/var/tmp", "/tmp", "/run", "/home", "/dev/shm")
MNT_DETACH = 2
SYS_PIVOT_ROOT = {"x86_64": 155, "aarch64": 41}
_PLAN = []


def root_plan():
    """[(path, kind)] to mount in a worker's fresh root, parents before children.

    kind: "dir" or "file" (bound read-only), "device" (bound, device access kept), "cover"
    (an empty read-only folder over a folder that must not show, e.g. the interpreter's
    own site-packages inside its standard library)."""
    if not _PLAN:
        _PLAN.append(_make_plan())
    return _PLAN[0]


def _make_plan():
    # The standard library where this interpreter found it (not sysconfig's idea of it: in a
    # virtual environment that names the environment's own folder of site-packages).
    folders = [os.path.dirname(os.__file__), os.path.dirname(os.path.abspath(__file__))]
    folders += [p for p in sys.path if os.path.basename(p) == "lib-dynload"]
    numpy = sys.modules.get("numpy")
    allowed = []  # site-packages folders that are allowed: NumPy's own
    if numpy is not None and getattr(numpy, "__file__", None):
        package = os.path.dirname(os.path.realpath(numpy.__file__))
        allowed = [package, package + ".libs"]  # numpy.libs: the BLAS its wheel bundles
        folders += allowed
    folders = _outermost(p for p in map(os.path.realpath, folders) if os.path.isdir(p))
    # The interpreter's own site-packages (inside its standard library) shows empty; were NumPy
    # installed there, NumPy is mounted again inside the empty cover, alone.
    covers = [place for place in (os.path.join(f, name) for f in folders
                                  for name in ("site-packages", "dist-packages")) if os.path.isdir(place)]
    folders += [a for a in allowed if os.path.isdir(a) and any(_within(a, c) for c in covers)]
    plan = [(p, "dir") for p in folders] + [(p, "cover") for p in covers]
    plan += [(p, "file") for p in _mapped_files() if not _visible(p, folders, covers)]
    plan += [(p, "device") for p in DEVICES if os.path.exists(p)]
    # Parents before children: a folder mounted after a file inside it would bury the file.
    return sorted(dict(plan).items(), key=lambda item: (item[0].count("/"), item[0]))


def _outermost(paths):
    paths = sorted(set(paths))
    return [p for p in paths if not any(q != p and _within(p, q) for q in paths)]


def _within(path, folder):
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _visible(path, folders, covers):
    """True when `path` shows through a folder of the plan (the deepest one holding it is no cover)."""
    holders = [(len(f), True) for f in folders if _within(path, f)] + \
              [(len(c), False) for c in covers if _within(path, c)]
    return bool(holders) and max(holders)[1]


def _mapped_files():
    """The regular files this process has mapped: the interpreter and every shared library."""
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


def _allowlist_root(libc, config):
    """Pivot into a fresh root holding only root_plan(), read-only, and the private scratch.

    True when done; False (nothing changed that matters) when the kernel refused a step before
    the pivot, and the caller falls back to the denylist view."""
    plan = root_plan()
    stage = next((s for s in STAGES if os.path.isdir(s) and not any(_within(p, s) or _within(s, p)
                                                                  for p, _ in plan)), None)
    pivot = SYS_PIVOT_ROOT.get(os.uname().machine)
    if stage is None or pivot is None:
        return False
    base = os.path.realpath(stage)
    if libc.mount(b"tmpfs", base.encode(), b"tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  b"size=1m,nr_inodes=4096,mode=0755") != 0:
        return False
    try:
        covers = [path for path, kind in plan if _mount_entry(libc, base, path, kind)]
        scratch = base + config["scratch"]
        os.makedirs(scratch, mode=0o711)
        # The folders on the way to the scratch stay traversable, but not listable.
        folder = os.path.dirname(scratch)
        while folder != base:
            os.chmod(folder, 0o711)
            folder = os.path.dirname(folder)
        os.makedirs(base + "/proc", exist_ok=True)
    except OSError:
        libc.umount2(base.encode(), MNT_DETACH)
        return False
    os.chdir(base)
    # pivot_root(".", "."): the old root ends up on top of the new one, and is detached at once.
    if libc.syscall(pivot, b".", b".") != 0 or libc.umount2(b".", MNT_DETACH) != 0:
        os._exit(1)  # half-way between two roots: no worker rather than a wrong one
    os.chdir("/")
    APPLIED.append("allowlist root")
    _private_scratch(libc, config)
    read_only = MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV
    for path in covers + ["/"]:
        if libc.mount(None, path.encode(), None, read_only | MS_NOEXEC, None) != 0:
            os._exit(1)
    APPLIED.append("read-only file system")
    return True


def _mount_entry(libc, base, path, kind):
    """Mount one plan entry under `base`; True for a cover (made read-only after the pivot)."""
    target = base + path
    if kind in ("dir", "cover"):
        os.makedirs(target, exist_ok=True)
    else:
        os.makedirs(os.path.dirname(target), exist_ok=True)
        os.close(os.open(target, os.O_CREAT | os.O_WRONLY, 0o644))
    if kind == "cover":
        done = libc.mount(b"tmpfs", target.encode(), b"tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC,
                          b"size=16k,nr_inodes=64,mode=0755")
    else:
        flags = MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | (0 if kind == "device" else MS_NODEV)
        done = (libc.mount(path.encode(), target.encode(), None, MS_BIND, None) == 0
                and libc.mount(None, target.encode(), None, flags, None) == 0) - 1
    if done != 0:
        raise OSError(f"could not mount {path}")
    return kind == "cover"


def _private_scratch(libc, config):
    """The worker's scratch: a small tmpfs of its own (size and file count capped)."""
    size = max(16, 2 * config["file_size_mb"])
    options = (f"size={size}m,nr_inodes={SCRATCH_FILES},mode=0700,"
               f"uid={config['uid']},gid={config['gid']}").encode()
    # noexec: a compiled extension written there cannot be loaded.
    flags = MS_NOSUID | MS_NODEV | MS_NOEXEC
    if libc.mount(b"tmpfs", config["scratch"].encode(), b"tmpfs", flags, options) == 0:
        APPLIED.append("private scratch")


# -- 4. the PID namespace: a supervising parent and the child that runs student code ---------------

def _supervise_child(libc, config):
    """Fork; the parent waits, mirrors the child's exit and never returns."""
    lifeline_r, lifeline_w = os.pipe()
    child = [0]

    def stop_child(signum, frame):
        if child[0]:
            os.kill(child[0], signal.SIGKILL)
        else:
            os._exit(128 + signum)

    signal.signal(signal.SIGTERM, stop_child)
    pid = os.fork()
    if pid == 0:
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        os.close(lifeline_w)
        _LIFELINE[0] = lifeline_r
        if libc.mount(b"proc", b"/proc", b"proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, None) == 0:
            APPLIED.append("own processes only")
        APPLIED.append("process namespace")
        return
    child[0] = pid
    # The parent keeps no way in: without the pipes, the grader sees EOF as soon as the child dies.
    for fd in (config["request_fd"], config["reply_fd"], lifeline_r):
        os.close(fd)
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


def _drop_privileges(config):
    uid, gid = config["uid"], config["gid"]
    if not os.path.isdir(config["scratch"]):  # no private scratch: an ordinary folder of its own
        os.makedirs(config["scratch"], mode=0o700)
        os.chown(config["scratch"], uid, gid)
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


def _audit_hook(scratch, hidden=()):
    """Refuse (and note) what the kernel layers refuse anyway, plus what only a hook can see.

    Everything the hook uses is bound here, in its closure: module globals could be
    changed by the student's code between two events."""
    scratch = os.path.realpath(scratch)
    # Course files (never the Python installation, which lives in the repository's venv here).
    # The worker's own files are read back when a traceback is formatted: not the student's doing.
    python = tuple(os.path.realpath(p) + "/" for p in {sys.prefix, sys.base_prefix, sys.exec_prefix,
                                                        os.path.dirname(os.path.abspath(__file__))})
    course = tuple(os.path.realpath(p) for p in hidden)
    course = tuple(p for p in course if not scratch.startswith(p + "/") and p != "/")
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
        return None  # an int is an open file descriptor; anything else is refused for writing

    def inside(path):
        if type(path) is int:  # an open file descriptor: the kernel checked it when it was opened
            return True
        where = resolved(path)
        # A path-like object could change its answer between here and the open: not inside.
        return where is not None and (where == scratch or startswith(where, scratch + "/"))

    def shown(path):
        return fsdecode(path)[:120] if type(path) is str or type(path) is bytes else type(path).__name__

    def writes(args):
        mode = args[1] if len(args) > 1 else None
        flags = args[2] if len(args) > 2 else 0
        if type(mode) is str:
            return "w" in mode or "a" in mode or "x" in mode or "+" in mode
        return type(flags) is int and bool(flags & writing_flags)

    def course_file(path):
        where = resolved(path)
        if where is None or startswith(where + "/", python):
            return False
        return any(where == p or startswith(where, p + "/") for p in course)

    def hook(event, args):
        if startswith(event, process_events):
            refuse("process", f"Tried to start a process ({event}); refused by the sandbox.", event)
        if event in read_events:
            if event == "open" and writes(args) and not inside(args[0]):
                refuse("write", f"Tried to write outside its scratch folder ({shown(args[0])}); refused by "
                       "the sandbox.", "writing outside its scratch directory")
            if args and course_file(args[0]):
                refuse("read", f"Tried to read the course's files ({shown(args[0])}); refused by the "
                       "sandbox.", "reading the course's files")
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

    sys.addaudithook(hook)
    APPLIED.append("audit hook")
