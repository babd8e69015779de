"""Confinement of a worker process, applied before any student code runs.

Layers, each applied where the machine allows and reported either way:
resource limits (memory, CPU, file size, open files, processes); a private
network namespace (no network) and a mount namespace in which the course
directories are hidden under empty tmpfs mounts; dropping to an unprivileged
user; no_new_privs; and an audit hook that refuses to start processes, open
sockets or write outside the scratch directory. The grader additionally kills
the worker's whole process group when the submission is done.
"""
import ctypes
import ctypes.util
import os
import resource
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWNET = 0x40000000
MS_REC = 0x4000
MS_PRIVATE = 0x40000
PR_SET_NO_NEW_PRIVS = 38

APPLIED = []  # what confinement this worker got, reported to the grader at load


def confine(config):
    os.chdir(config["scratch"])
    _limits(config)
    if os.geteuid() == 0:
        _namespaces(config)
        _drop_privileges(config)
    _no_new_privs()
    _audit_hook(config["scratch"])


def _limits(config):
    mb = 1024 * 1024
    wanted = {
        resource.RLIMIT_AS: config["memory_mb"] * mb,
        resource.RLIMIT_CPU: config["cpu_seconds"],
        resource.RLIMIT_FSIZE: config["file_size_mb"] * mb,
        resource.RLIMIT_NOFILE: 64,
        resource.RLIMIT_CORE: 0,
    }
    if os.geteuid() == 0:
        # Counted per user: only meaningful once we run as the unprivileged user.
        wanted[resource.RLIMIT_NPROC] = config["max_processes"]
    for limit, value in wanted.items():
        try:
            resource.setrlimit(limit, (value, value))
        except (ValueError, OSError):
            continue
    APPLIED.append("resource limits")


def _namespaces(config):
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.unshare(CLONE_NEWNET) == 0:
        APPLIED.append("no network")
    if libc.unshare(CLONE_NEWNS) != 0:
        return
    libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None)
    hidden = 0
    for path in config["hide"]:
        if os.path.isdir(path) and libc.mount(b"tmpfs", path.encode(), b"tmpfs", 0, b"size=1m,mode=000") == 0:
            hidden += 1
    if hidden:
        APPLIED.append("course files hidden")


def _drop_privileges(config):
    uid, gid = config["uid"], config["gid"]
    os.setgroups([])
    os.setgid(gid)
    os.setuid(uid)
    APPLIED.append("unprivileged user")


def _no_new_privs():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
        if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) == 0:
            APPLIED.append("no_new_privs")
    except OSError:
        pass


def _audit_hook(scratch):
    scratch = os.path.realpath(scratch)
    refused = ("os.system", "os.exec", "os.posix_spawn", "os.fork", "os.forkpty", "subprocess.Popen",
               "socket.", "ctypes.", "os.kill", "os.killpg", "pty.spawn", "sys.addaudithook")
    writing = ("w", "a", "x", "+")

    def hook(event, args):
        if event.startswith(refused) or event in ("os.spawn",):
            raise PermissionError(f"the grader's sandbox does not allow {event}")
        if event == "open" and _writes(args) and isinstance(args[0], (str, bytes)):
            if not os.path.realpath(os.fsdecode(args[0])).startswith(scratch + os.sep):
                raise PermissionError("the grader's sandbox only allows writing in its scratch directory")

    def _writes(args):
        mode = args[1] if len(args) > 1 else None
        flags = args[2] if len(args) > 2 else 0
        if isinstance(mode, str):
            return any(m in mode for m in writing)
        return isinstance(flags, int) and bool(flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC))

    sys.addaudithook(hook)
    APPLIED.append("audit hook")
