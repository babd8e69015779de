"""A Jupyter kernel confined like a grading worker, for `make autograde EXECUTE=1`.

Executing a student's notebook runs all of their code, demos included. Here it
runs in a kernel that nbgrader starts through ConfinedKernelManager, never as
the user who runs autograde. `python -m autograder.sandbox.confined_kernel CONFIG -f
CONNECTION_FILE ...` is the kernel's command; as root, before any student code,
it applies `kernel_policy` with worker/sandbox.py's `confine`, the same
sequence a grading worker gets, with the kernel's own values:
 1. limits: 8 GB of address space (TensorFlow needs it), 900 s of CPU time,
    64 MB per file, 1024 open files and processes (TensorFlow's threads count);
 2. new network, IPC, mount and PID namespaces (no network at all);
 3. an allowlist root holding only what the kernel runs on: the interpreter's
    standard library, the site-packages entries of ipykernel and of what the
    lab's demos import (`MODULES`: NumPy, matplotlib, TensorFlow and Keras,
    scikit-learn) with every distribution they require, the shared libraries
    the kernel maps or those entries link against, five device nodes, /proc
    (its own processes only), a private scratch (its working folder and home)
    and its socket folder bound writable at the same path, so nbgrader talks
    to a kernel that has no network over unix sockets (transport "ipc").
    Nothing else exists inside: no course folder, gradebook or exchange, no
    /home, /root or /srv but the folders on the way to the interpreter, none of
    the host's /tmp, no /etc (found by trying: ipykernel and the demos run
    without any of it), no other site-packages entry (nbgrader, the kit
    itself, Hypothesis, ...);
 4. a supervising parent (everything the kernel starts dies with it), the
    unprivileged user `nobody`, no_new_privs and the seccomp filter (no new
    programs or processes); no audit hook (ipykernel itself uses sockets);
 5. a minimal environment, then ipykernel runs in this process.
The policy is strict: a layer the machine refuses stops the kernel before any
student code runs. No score comes from this kernel: GradeFromFile overwrites
the test cells afterwards, and ConfinedExecute does not even run them.

Without root none of this is possible, so ConfinedExecute refuses to run.
"""
import csv
import dataclasses
import importlib.metadata
import json
import os
import re
import shutil
import struct
import sys
import tempfile

from autograder.worker import sandbox

DEFAULT_LIMITS = sandbox.Limits(memory_mb=8192, cpu_seconds=900, file_size_mb=64, open_files=1024, processes=1024)
SCRATCH = {"size_mb": 256, "files": 4000}
# What the kernel imports from site-packages: ipykernel (the kernel itself) and what the lab's demo
# cells import (the test cells, which import the kit, are never run in it). Each comes with the
# distributions it requires, as their metadata says (IPython, pyzmq and tornado for ipykernel;
# SciPy and joblib for scikit-learn; Pillow and fontTools for matplotlib; h5py, protobuf and the
# rest for TensorFlow). c.ConfinedExecute.modules adds to it for a lab that imports more.
MODULES = ("ipykernel", "numpy", "matplotlib", "tensorflow", "keras", "sklearn")


# -- nbgrader's side ----------------------------------------------------------------------------

def kernel_manager_class(modules=MODULES, limits=DEFAULT_LIMITS):
    """jupyter_client's AsyncKernelManager, starting its kernel confined (imported lazily)."""
    from jupyter_client.manager import AsyncKernelManager

    from autograder.sandbox.workers import unprivileged_ids

    class ConfinedKernelManager(AsyncKernelManager):
        """Unix sockets in a folder of the kernel's own; the kernel command wrapped by this module."""

        def __init__(self, **kwargs):
            super().__init__(**kwargs)
            self.transport = "ipc"
            self._folder = tempfile.mkdtemp(prefix="gradlab-kernel-")  # 0700, root's
            sockets = os.path.join(self._folder, "sockets")
            os.mkdir(sockets, 0o700)
            os.chown(sockets, *unprivileged_ids())  # the kernel (nobody) creates its sockets here
            os.chmod(self._folder, 0o711)
            self.ip = os.path.join(sockets, "kernel")

        def format_kernel_cmd(self, extra_arguments=None):
            cmd = super().format_kernel_cmd(extra_arguments)
            config = {"folder": self._folder, "limits": dataclasses.asdict(limits), "modules": list(modules)}
            return [sys.executable, "-m", "autograder.sandbox.confined_kernel", json.dumps(config),
                    *cmd[cmd.index("-f"):]]

        async def _async_cleanup_resources(self, restart=False):
            await super()._async_cleanup_resources(restart=restart)
            if not restart:
                shutil.rmtree(self._folder, ignore_errors=True)

    return ConfinedKernelManager


# -- the kernel's side (root until confined) ----------------------------------------------------

def main(argv):
    config = json.loads(argv[0])
    kernel_args = argv[1:]
    connection = open(kernel_args[kernel_args.index("-f") + 1]).read()  # the runtime folder is not inside
    from autograder.sandbox.workers import unprivileged_ids

    import ipykernel.kernelapp  # noqa: F401 - imported before the plan is made: what it maps is in it

    folder = config["folder"]
    policy = kernel_policy(folder, sandbox.Limits(**config["limits"]), config["modules"], unprivileged_ids())
    sandbox.confine(policy)  # strict: exits rather than run short of a layer
    os.environ.clear()
    os.environ.update(PATH="/usr/bin:/bin", LANG="C.UTF-8", HOME=folder, TMPDIR=folder,
                      MPLCONFIGDIR=os.path.join(folder, ".mpl"), TF_CPP_MIN_LOG_LEVEL="3",
                      PYTHONDONTWRITEBYTECODE="1", NBGRADER_EXECUTION="autograde",
                      # No processes can be started in here: joblib (scikit-learn) is told so, rather
                      # than finding out and printing a warning into the student's notebook.
                      JOBLIB_MULTIPROCESSING="0")
    path = os.path.join(folder, "kernel.json")
    with open(path, "w") as handle:
        handle.write(connection)
    kernel_args[kernel_args.index("-f") + 1] = path
    from ipykernel.kernelapp import IPKernelApp

    IPKernelApp.launch_instance(argv=kernel_args)


def kernel_policy(folder, limits, modules, user):
    """The confined kernel's sandbox.Policy: scratch and working folder `folder`, sockets in
    `folder`/sockets, what ipykernel and `modules` need, as `user` (uid, gid)."""
    entries = site_entries(modules)
    packages = [p for p in entries if os.path.isdir(p)]
    runtime, mapped = sandbox.runtime_folders(), sandbox.mapped_files()
    # The standard library's compiled modules are in lib-dynload, the rest of it is Python.
    files = [p for p in entries if os.path.isfile(p)] + mapped + shared_libraries(runtime[1:] + packages, mapped)
    plan = sandbox.FileSystem(sandbox.allowlist(runtime + packages, files), sandbox.Scratch(folder, **SCRATCH),
                              writable=(os.path.join(folder, "sockets"),))
    return sandbox.Policy(plan, limits, user=tuple(user), strict=True)


def site_entries(modules):
    """The site-packages entries (folders, single-module files, .dist-info) of the distributions
    providing `modules`, and of every distribution they require, as installed here."""
    installed = {}  # normalized name -> (requirements, entries)
    for dist in importlib.metadata.distributions():
        base = str(dist.locate_file(""))
        record = csv.reader((dist.read_text("RECORD") or "").splitlines())
        # A file's first folder is its entry; __pycache__ at the top holds every module's byte code.
        tops = {row[0].split("/", 1)[0] for row in record if row and not row[0].startswith(("../", "__pycache__/"))}
        entries = [os.path.join(base, top) for top in sorted(tops)]
        installed.setdefault(_normalized(dist.metadata["Name"]), (dist.requires or [], entries))
    wanted = [name for name, (_, entries) in installed.items() if any(_module(e) in modules for e in entries)]
    found, entries = set(), []
    while wanted:
        name = wanted.pop()
        if name in found or name not in installed:
            continue
        found.add(name)
        requires, own = installed[name]
        entries += own
        # Extras are not installed for the kernel's sake; a marker that excludes this machine
        # names a distribution that is not installed either.
        wanted += [_normalized(re.match(r"[A-Za-z0-9._-]+", r).group(0)) for r in requires
                   if "extra" not in r.partition(";")[2]]
    return sorted(set(entries))


def _normalized(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def _module(entry):
    """The top-level module a site-packages entry is (a package, a .py or an extension), or None."""
    name = os.path.basename(entry)
    if name.endswith(".py") or (name.endswith(".so") and ".cpython-" in name or ".abi3." in name):
        return name.split(".", 1)[0]
    return None if "." in name else name


def shared_libraries(folders, mapped):
    """The system's shared libraries that ELF files under `folders` link against (and those
    link against), found where the loader looks and where this process found its own."""
    places = {os.path.realpath(os.path.dirname(p)) for p in mapped if ".so" in os.path.basename(p)}
    places = sorted(places | {os.path.realpath(p) for p in ("/lib64", "/usr/lib64", "/lib", "/usr/lib")
                              if os.path.isdir(p)})
    todo = [os.path.join(root, name) for folder in folders for root, _, names in os.walk(folder)
            for name in names if ".so" in name]
    seen, found = set(), []
    while todo:
        for name in _needed(todo.pop()):
            path = next((os.path.join(p, name) for p in places if os.path.isfile(os.path.join(p, name))), None)
            if path and path not in seen:
                seen.add(path)
                found.append(path)
                todo.append(path)
    return found


def _needed(path):
    """The DT_NEEDED names of a 64-bit little-endian ELF file (x86_64, aarch64); [] for anything else."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(64)
            if len(head) < 64 or head[:6] != b"\x7fELF\x02\x01":
                return []
            (table,), (size, count) = struct.unpack_from("<Q", head, 0x20), struct.unpack_from("<HH", head, 0x36)
            handle.seek(table)
            headers = handle.read(size * count)
            segments = [struct.unpack_from("<IIQQQQ", headers, i * size) for i in range(count)]
            loads = [(vaddr, offset, filesz) for kind, _, offset, vaddr, _, filesz in segments if kind == 1]
            dynamic = next(((offset, filesz) for kind, _, offset, _, _, filesz in segments if kind == 2), None)
            if dynamic is None:
                return []
            handle.seek(dynamic[0])
            entries = handle.read(dynamic[1])
            tags = [struct.unpack_from("<qQ", entries, i) for i in range(0, len(entries) - 15, 16)]
            tags = tags[:next((i for i, (tag, _) in enumerate(tags) if tag == 0), len(tags))]
            strtab = next((value for tag, value in tags if tag == 5), None)  # DT_STRTAB, an address
            start = next((offset + strtab - vaddr for vaddr, offset, filesz in loads
                          if strtab is not None and vaddr <= strtab < vaddr + filesz), None)
            names = []
            for tag, value in tags:
                if tag == 1 and start is not None:  # DT_NEEDED: an offset into the string table
                    handle.seek(start + value)
                    names.append(handle.read(256).split(b"\0", 1)[0].decode("utf-8", "replace"))
            return names
    except (OSError, struct.error):
        return []


if __name__ == "__main__":
    main(sys.argv[1:])
