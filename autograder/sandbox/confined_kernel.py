"""A Jupyter kernel confined like a grading worker, for `make autograde EXECUTE=1`.

Executing a student's notebook runs all of their code, demos included. Here it
runs in a kernel that nbgrader starts through ConfinedKernelManager, never as
the user who runs autograde. `python -m autograder.sandbox.confined_kernel CONFIG -f
CONNECTION_FILE ...` is the kernel's command; as root, before any student code:
 1. resource limits (memory, CPU time, file size, open files, processes:
    worker/sandbox.py's, with the kernel's own numbers);
 2. new network and IPC namespaces (no network at all) and a mount namespace
    in which the course (root, gradebook, exchange, every student's folders),
    the kit's repository and the shared places (/tmp, /home, /root, /srv, ...)
    are covered by empty mounts, everything is read-only, the Python
    installation stays readable, and the working directory is a private
    tmpfs;
 3. the kernel's sockets are unix sockets (transport "ipc") in a folder of
    their own, bound into that view at the same path, so nbgrader talks to a
    kernel that has no network;
 4. a new PID namespace (sandbox.py's supervising parent: everything the
    kernel starts dies with it), the unprivileged user `nobody`, no_new_privs
    and sandbox.py's seccomp filter (no new programs or processes);
 5. a minimal environment, then ipykernel runs in this process.
No score comes from this kernel: GradeFromFile overwrites the test cells
afterwards, and ConfinedExecute does not even run them.

Without root none of this is possible, so ConfinedExecute refuses to run.
"""
import json
import os
import shutil
import sys
import tempfile

from autograder.worker import sandbox

DEFAULT_LIMITS = {"memory_mb": 8192, "cpu_seconds": 900, "file_size_mb": 64, "max_processes": 1024,
                  "open_files": 1024}
SCRATCH_MB = 256


# -- nbgrader's side ----------------------------------------------------------------------------

def kernel_manager_class():
    """jupyter_client's AsyncKernelManager, starting its kernel confined (imported lazily)."""
    from jupyter_client.manager import AsyncKernelManager

    class ConfinedKernelManager(AsyncKernelManager):
        """Unix sockets in a folder of the kernel's own; the kernel command wrapped by this module."""

        limits = dict(DEFAULT_LIMITS)
        hide = ()

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            from autograder.sandbox.workers import _unprivileged_ids

            self.transport = "ipc"
            self._folder = tempfile.mkdtemp(prefix="gradlab-kernel-")  # 0700, root's
            sockets = os.path.join(self._folder, "sockets")
            os.mkdir(sockets, 0o700)
            uid, gid = _unprivileged_ids()
            os.chown(sockets, uid, gid)  # the kernel (nobody) creates its sockets here
            os.chmod(self._folder, 0o711)
            self.ip = os.path.join(sockets, "kernel")

        def format_kernel_cmd(self, extra_arguments=None):
            cmd = super().format_kernel_cmd(extra_arguments)
            config = {**self.limits, "folder": self._folder, "hide": list(self.hide)}
            return [sys.executable, "-m", "autograder.sandbox.confined_kernel", json.dumps(config),
                    *cmd[cmd.index("-f"):]]

        async def _async_cleanup_resources(self, restart=False):
            await super()._async_cleanup_resources(restart=restart)
            if not restart:
                shutil.rmtree(self._folder, ignore_errors=True)

    return ConfinedKernelManager


# -- the kernel's side (root until step 4) ------------------------------------------------------

def main(argv):
    config = json.loads(argv[0])
    kernel_args = argv[1:]
    connection = open(kernel_args[kernel_args.index("-f") + 1]).read()  # before the runtime folder is hidden
    confine(config)
    path = os.path.join(config["scratch"], "kernel.json")
    with open(path, "w") as handle:
        handle.write(connection)
    kernel_args[kernel_args.index("-f") + 1] = path
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(argv=kernel_args)


def confine(config):
    from autograder.sandbox.workers import _unprivileged_ids, default_hidden
    from autograder.config import REPO

    if os.geteuid() != 0:
        sys.exit("confined_kernel: needs root to confine the kernel; refusing to run student code unconfined")
    uid, gid = _unprivileged_ids()
    folder = config["folder"]
    config.update(uid=uid, gid=gid, scratch=folder, hide=[*config["hide"], *default_hidden(), str(REPO)],
                  request_fd=os.open(os.devnull, os.O_RDONLY), reply_fd=os.open(os.devnull, os.O_RDONLY))
    import ipykernel.kernelapp  # noqa: F401 - imported while the installation is surely readable

    sandbox._limits(config)
    libc = sandbox._libc()
    _check(libc.unshare(sandbox.CLONE_NEWNET | sandbox.CLONE_NEWIPC) == 0, "new network namespace")
    _check(libc.unshare(sandbox.CLONE_NEWNS) == 0
           and libc.mount(b"none", b"/", None, sandbox.MS_REC | sandbox.MS_PRIVATE, None) == 0, "mount namespace")
    _file_system(libc, config, folder)
    _check(libc.unshare(sandbox.CLONE_NEWPID) == 0, "new PID namespace")
    sandbox._supervise_child(libc, config)  # the parent never returns from here
    os.close(config["request_fd"])
    os.close(config["reply_fd"])
    sandbox._drop_privileges(config)
    sandbox._die_with_parent(libc)
    if sandbox._no_new_privs():
        sandbox._seccomp()
    os.chdir(folder)
    os.environ.clear()
    os.environ.update(PATH="/usr/bin:/bin", LANG="C.UTF-8", HOME=folder, MPLCONFIGDIR=os.path.join(folder, ".mpl"),
                      TF_CPP_MIN_LOG_LEVEL="3", PYTHONDONTWRITEBYTECODE="1", NBGRADER_EXECUTION="autograde")


def _file_system(libc, config, folder):
    """Course and shared places covered, the installation kept, all read-only but a private tmpfs."""
    keep = [os.path.realpath(p) for p in {sys.prefix, sys.base_prefix}]
    sockets = os.path.join(folder, "sockets")
    # Opened in this mount namespace, before the covers: a bind mount needs a source in it.
    handles = {path: os.open(path, os.O_PATH) for path in [*keep, sockets]}
    covered = sandbox._hide_list(config)
    for path in covered:
        inner = any(p.startswith(path + "/") for p in [*keep, folder])
        _check(sandbox._cover(libc, path, mode="0711" if inner else "000") == 1 or not os.path.exists(path),
               f"hiding {path}")
    for path in keep:
        if any(path.startswith(c + "/") for c in covered):  # an installation inside a covered folder
            os.makedirs(path, exist_ok=True)
            _bind(libc, handles[path], path)
    os.makedirs(folder, mode=0o711, exist_ok=True)
    _check(sandbox._read_only_everywhere(libc), "read-only file system")
    options = f"size={SCRATCH_MB}m,nr_inodes=4000,mode=0700,uid={config['uid']},gid={config['gid']}".encode()
    _check(libc.mount(b"tmpfs", folder.encode(), b"tmpfs", sandbox.MS_NOSUID | sandbox.MS_NODEV, options) == 0,
           "private scratch")
    os.mkdir(sockets)
    _bind(libc, handles[sockets], sockets)
    # The bind copies the read-only flag of its source's mount: the kernel must create its sockets here.
    _check(libc.mount(None, sockets.encode(), None,
                      sandbox.MS_BIND | sandbox.MS_REMOUNT | sandbox.MS_NOSUID | sandbox.MS_NODEV, None) == 0,
           "writable socket folder")
    for handle in handles.values():
        os.close(handle)


def _bind(libc, handle, target):
    _check(libc.mount(f"/proc/self/fd/{handle}".encode(), target.encode(), None,
                      sandbox.MS_BIND | sandbox.MS_REC, None) == 0, f"binding {target}")


def _check(ok, step):
    """Every layer or no kernel: a kernel short of one would run student code less confined."""
    if not ok:
        sys.exit(f"confined_kernel: could not set up {step}; the kernel is not started")


if __name__ == "__main__":
    main(sys.argv[1:])
