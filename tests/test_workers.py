"""Student code runs only in sandboxed workers: what it does there costs one call, no more.

The tests marked `root` check the kernel-level layers (namespaces, read-only
file system, private scratch, seccomp, unprivileged user); each attacks one
layer with the layers in front of it out of the way (the audit hook in
particular is only a first line: Python code can get around it).
"""
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time

import numpy as np
import psutil
import pytest

from autograder.config import REPO, Limits
from autograder.pipeline.extract import extract
from autograder.worker import wire
from autograder.sandbox.fork_server import ForkServer
from autograder.sandbox.workers import WORKER_ENV, CallTimeout, StudentError, Worker, WorkerCrashed
from harness import PAST_THE_HOOK, REFERENCE, site_packages

root = pytest.mark.skipif(os.geteuid() != 0, reason="the kernel-level sandbox needs root")

KIT = extract([{"index": 0, "source": REFERENCE.read_text()}])[0]
GRADS = {"dW1": np.full((2, 2), 3.0), "db1": np.ones((2, 1))}


FORKS = []  # the fork server of the current start mode, if it has one


@pytest.fixture(scope="module", autouse=True, params=["started on its own", "forked"])
def start_mode(request):
    """Every test here runs twice: workers started afresh, and workers forked by the fork server."""
    forks = ForkServer(WORKER_ENV) if request.param == "forked" else None
    FORKS[:] = [forks]
    yield request.param
    if forks:
        forks.close()
    FORKS[:] = []


def new_worker(limits=None):
    return Worker(limits or Limits(), forks=FORKS[0] if FORKS else None)


def worker_with(body, **limits):
    """A worker whose clip_gradients is `body` (indented function body)."""
    source = "import os, sys\ndef clip_gradients(gradients, max_norm=5.0, clip_type='norm'):\n" + body
    worker = new_worker(Limits(**limits))
    statements, problems = extract([{"index": 0, "source": source}])
    assert not problems
    worker.call("load", 20, kit=KIT, student=statements)
    return worker


def clip(worker, timeout=5):
    return worker.call("call", timeout, stub="clip_gradients", args=[GRADS, 1.0, "norm"])


def test_a_correct_call_returns_plain_arrays():
    with worker_with("    return {k: v / 2 for k, v in gradients.items()}, {}\n") as w:
        result = clip(w)["result"]
        assert type(result[0]["dW1"]) is np.ndarray and result[0]["dW1"].dtype == np.float64


def test_sys_exit_costs_one_call_and_the_worker_goes_on():
    with worker_with("    sys.exit(3)\n") as w:
        with pytest.raises(StudentError) as raised:
            clip(w)
        assert raised.value.type == "SystemExit"
        with pytest.raises(StudentError):
            clip(w)


def test_keyboard_interrupt_costs_one_call():
    with worker_with("    raise KeyboardInterrupt\n") as w:
        with pytest.raises(StudentError) as raised:
            clip(w)
        assert raised.value.type == "KeyboardInterrupt"


def test_os_exit_is_reported_as_a_crash():
    with worker_with("    os._exit(7)\n") as w:
        with pytest.raises(WorkerCrashed, match="exited with code 7"):
            clip(w)


def test_an_infinite_loop_times_out_and_leaves_no_process():
    with worker_with("    while True:\n        pass\n") as w:
        pid = w.process.pid
        started = time.monotonic()
        with pytest.raises(CallTimeout):
            clip(w, timeout=1)
        assert time.monotonic() - started < 5
        assert not psutil.pid_exists(pid) or psutil.Process(pid).status() == psutil.STATUS_ZOMBIE


def test_printing_100_mb_is_capped_and_the_call_still_returns():
    body = "    print('x' * 100_000_000)\n    os.write(1, b'y' * 50_000_000)\n    return gradients, {}\n"
    with worker_with(body, output_chars=1000) as w:
        clip(w)
        assert len(w.output(10_000)) <= 10_000
        assert os.fstat(w._output.fileno()).st_size <= 8 * 2**20 + 1000


def test_a_memory_bomb_fails_inside_the_worker_only():
    with worker_with("    x = bytearray(8 * 2**30)\n    return gradients, {}\n", memory_mb=512) as w:
        with pytest.raises((StudentError, WorkerCrashed)):
            clip(w)


@root
def test_the_worker_cannot_read_the_course_files_write_outside_scratch_or_start_processes():
    body = ("    found = []\n"
            "    try:\n        found.append(len(os.listdir(%r)))\n    except OSError:\n        found.append(-1)\n"
            "    for attempt in (lambda: open('/tmp/gradlab-escape', 'w'), lambda: os.system('true'),\n"
            "                    lambda: os.fork()):\n"
            "        try:\n            attempt()\n            found.append('allowed')\n"
            "        except (OSError, PermissionError):\n            found.append('refused')\n"
            "    return found, {}\n") % str(REPO)
    with worker_with(body) as w:
        listed, *attempts = clip(w)["result"][0]
        assert listed in (0, -1)
        assert attempts == ["refused", "refused", "refused"]
        assert not os.path.exists("/tmp/gradlab-escape")


@root
def test_the_worker_runs_unprivileged_without_network():
    with worker_with("    return gradients, {}\n") as w:
        report = w.call("load", 20, kit=[], student=[])
        assert {"unprivileged user", "no network", "audit hook"} <= set(report["confinement"])


def returned(worker, timeout=5):
    """What the student's clip_gradients returned as its first value."""
    return clip(worker, timeout)["result"][0]


@root
def test_the_worker_reports_every_layer_of_its_sandbox():
    with worker_with("    return gradients, {}\n") as w:
        assert set(w.confinement) >= {
            "resource limits", "no network", "allowlist root", "read-only file system",
            "private scratch", "process namespace", "own processes only", "unprivileged user",
            "no_new_privs", "no new programs or processes", "audit hook"}


@root
def test_student_code_runs_as_pid_1_of_its_own_namespace_and_sees_no_other_process():
    body = "    return [os.getpid(), sorted(int(p) for p in os.listdir('/proc') if p.isdigit())], {}\n"
    with worker_with(body) as w:
        pid, visible = returned(w)
        assert pid == 1 and visible == [1]


def past_the_hook(body):
    """A clip_gradients body that defines kernel_open and kernel_listdir, then runs `body`."""
    return textwrap.indent(PAST_THE_HOOK + textwrap.dedent(body), "    ")


def test_the_way_past_the_hook_does_get_past_it():
    # Else the tests below, which expect the kernel's refusals, could pass on the hook's alone.
    body = past_the_hook("""\
        fd = kernel_open("/")
        os.close(fd)
        try:
            os.open("/", os.O_RDONLY)
            return "opened", {}
        except PermissionError:
            return "refused", {}
        """)
    with worker_with(body) as w:
        assert returned(w) == "refused"


@root
def test_a_write_the_audit_hook_cannot_see_is_refused_by_the_read_only_file_system():
    # With dir_fd, the hook only sees a relative name (inside the scratch folder, as far as it can
    # tell); the kernel sees /tmp and refuses: the file system is read-only, or the folder is absent.
    body = past_the_hook("""\
        import errno
        results = []
        for folder in ('/tmp', '/var/tmp', %r):
            try:
                fd = kernel_open(folder, os.O_PATH)
                os.close(os.open('gradlab-dirfd-escape', os.O_WRONLY | os.O_CREAT, dir_fd=fd))
                results.append('written')
            except OSError as error:  # the hook's refusals carry no errno
                results.append(errno.errorcode.get(error.errno, 'the hook'))
        return results, {}
        """ % tempfile.gettempdir())
    with worker_with(body) as w:
        results = returned(w)
        assert set(results) <= {"EROFS", "ENOENT"} and "EROFS" in results, results
    assert not os.path.exists(os.path.join(tempfile.gettempdir(), "gradlab-dirfd-escape"))
    assert not os.path.exists("/var/tmp/gradlab-dirfd-escape")


@pytest.mark.skipif(os.uname().machine not in ("x86_64", "aarch64"), reason="no seccomp table here")
def test_the_seccomp_filter_refuses_new_programs_and_processes_but_allows_threads():
    # The filter alone, in a process of its own: no audit hook in front of it.
    script = textwrap.dedent("""\
        import os, sys, threading
        sys.path.insert(0, %r)
        import sandbox
        assert sandbox._no_new_privs()
        sandbox._seccomp()
        outcomes = []
        for attempt in (os.fork, lambda: os.execv('/bin/true', ['true']),
                        lambda: os.posix_spawn('/bin/true', ['true'], {})):
            try:
                attempt()
                outcomes.append('allowed')
            except OSError as error:
                outcomes.append(error.errno)
        thread = threading.Thread(target=outcomes.append, args=('thread ran',))
        thread.start()
        thread.join()
        print(outcomes, sandbox.APPLIED)
        """ % str(REPO / "autograder" / "worker"))
    done = subprocess.run([sys.executable, "-I", "-c", script], capture_output=True, text=True, timeout=60)
    assert done.stdout.strip() == "[1, 1, 1, 'thread ran'] ['no_new_privs', 'no new programs or processes']"


@root
def test_one_worker_cannot_see_another_workers_files():
    writer = worker_with("    open('secret.txt', 'w').write('SECRET-OF-A')\n    return os.getcwd(), {}\n")
    with writer:
        where = returned(writer)
        body = textwrap.indent(textwrap.dedent("""\
            found = []
            for attempt in (lambda: open(%r + '/secret.txt').read(), lambda: os.listdir('/tmp'),
                            lambda: os.listdir(%r)):
                try:
                    found.append(attempt())
                except OSError as error:
                    found.append(type(error).__name__)
            return found, {}
            """ % (where, os.path.dirname(where))), "    ")
        with worker_with(body) as reader:
            found = returned(reader)
            assert "SECRET-OF-A" not in repr(found)
            assert found[1] in ("PermissionError", []) and found[2] in ("PermissionError", [])


@root
def test_the_scratch_folder_is_capped_in_size_and_in_number_of_files():
    body = textwrap.indent(textwrap.dedent("""\
        files = 0
        try:
            for i in range(100_000):
                open(f'f{i}', 'w').close()
                files += 1
        except OSError:
            pass
        written = 0
        try:
            for i in range(1000):
                with open(f'big{i}', 'wb') as handle:
                    for _ in range(8):
                        handle.write(b'x' * 2**20)
                        written += 2**20
        except OSError:
            pass
        return [files, written], {}
        """), "    ")
    with worker_with(body) as w:
        files, written = returned(w, timeout=20)
        assert files <= 2000
        assert written <= 40 * 2**20


def test_reading_a_file_outside_the_allowlist_is_refused_and_named_wherever_the_file_lies():
    # World-readable, in a folder no list of the grader's names: the hook's allowlist refuses it
    # (as root the allowlist root does not even hold it).
    course = tempfile.mkdtemp(prefix="gradlab-test-course-", dir="/var/lib" if os.access("/var/lib", os.W_OK)
                              else None)
    try:
        gradebook = os.path.join(course, "gradebook.db")
        with open(gradebook, "w") as handle:
            handle.write("GRADEBOOK-SECRET")
        os.chmod(course, 0o755)
        os.chmod(gradebook, 0o644)
        body = ("    try:\n        return open(%r).read(), {}\n"
                "    except OSError as error:\n        return type(error).__name__, {}\n") % gradebook
        with worker_with(body) as w:
            assert returned(w) == "PermissionError"
            assert any(note.startswith("Tried to read outside what the sandbox allows") for note in w.notes)
    finally:
        subprocess.run(["rm", "-rf", "--", course], check=True)


def test_the_worker_reads_and_imports_what_numpy_code_needs_under_its_allowlist():
    body = textwrap.indent(textwrap.dedent("""\
        import colorsys, json, numpy.fft  # colorsys and numpy.fft: not imported by the worker itself
        open('mine.txt', 'w').write('kept')
        found = [open('mine.txt').read(), sorted(os.listdir()), json.dumps([1]), float(numpy.fft.fft([1.0])[0].real)]
        try:
            import requests
        except ImportError as error:
            found.append(type(error).__name__)
        return found, {}
        """), "    ")
    with worker_with(body) as w:
        assert returned(w) == ["kept", ["mine.txt"], "[1]", 1.0, "ModuleNotFoundError"]
        assert w.notes == []


@root
def test_a_worker_sees_only_the_python_runtime_numpy_its_own_code_and_its_scratch():
    # The kernel's view, not the hook's (see harness.PAST_THE_HOOK).
    site = site_packages()
    body = past_the_hook("""\
        seen = {}
        for place in ('/', '/etc', '/opt', '/var', '/mnt', '/usr/local', '/home', %r, %r):
            try:
                seen[place] = kernel_listdir(place)
            except OSError as error:
                seen[place] = type(error).__name__
        return seen, {}
        """ % (site, os.path.dirname(os.__file__) + "/site-packages"))
    with worker_with(body) as w:
        seen = returned(w)
    # Top-level names come only from what the plan mounts, wherever the kit, the interpreter and
    # its libraries were installed (CI clones the kit somewhere else than a developer does).
    homes = [REPO, site, os.path.dirname(os.__file__), sys.executable, sys.base_prefix]
    tops = {os.path.realpath(p).split("/")[1] for p in homes}
    assert set(seen["/"]) <= {"dev", "proc", "tmp", "usr", "lib", "lib64"} | tops, (seen["/"], tops)
    for place in ("/etc", "/var", "/mnt", "/usr/local"):
        assert seen[place] == "FileNotFoundError", (place, seen[place])
    # Of the grader's own site-packages (TensorFlow, nbgrader, Hypothesis, ...) only NumPy is there.
    assert set(seen[site]) == {"numpy", "numpy.libs"} & set(os.listdir(site)), seen[site]
    assert seen[os.path.dirname(os.__file__) + "/site-packages"] in ([], "FileNotFoundError")
    assert {"tensorflow", "nbgrader", "hypothesis"} <= set(os.listdir(site))  # they are on the host


@root
def test_the_allowlist_root_cannot_be_left_by_dot_dot_proc_or_chroot():
    body = past_the_hook("""\
        found = []
        for path in ('/../etc/passwd', '/proc/1/root/etc/passwd', '/proc/self/root/../etc/passwd',
                     '/proc/1/cwd/../../etc/passwd', '../../../../etc/passwd'):
            try:
                os.close(kernel_open(path))
                found.append('opened')
            except OSError as error:
                found.append(type(error).__name__)
        try:
            os.chroot('/')
            found.append('chroot allowed')
        except OSError as error:
            found.append(type(error).__name__)
        return found, {}
        """)
    with worker_with(body) as w:
        found = returned(w)
    assert found[:5] == ["FileNotFoundError"] * 5 and found[5] == "PermissionError", found


FALLBACK = """\
import dataclasses, json, os, sys
sys.path.insert(0, %(worker)r)
import numpy
import sandbox
config = json.loads(sys.argv[1])
# Without root, confine applies the worker's policy less what only root can do.
policy = dataclasses.replace(sandbox.worker_policy(config), namespaces=(), user=None)
applied = sandbox.confine(policy)
found = {}
for path in sys.argv[2:]:
    try:
        with open(path, "rb") as handle:
            handle.read(1)
        found[path] = "read"
    except OSError as error:
        found[path] = type(error).__name__
for folder in ("/", "/proc", ".", os.path.dirname(numpy.__file__)):
    try:
        found["list " + folder] = len(os.listdir(folder)) and "listed"
    except OSError as error:
        found["list " + folder] = type(error).__name__
print(json.dumps({"applied": applied, "found": found, "notes": sandbox.take_notes()}))
"""


def test_without_root_the_audit_hook_refuses_reads_outside_an_allowlist_of_its_own(tmp_path):
    # The fallback's policy, applied in a process of its own (the tests run as root here, and the
    # hook does not care who runs it): only the standard library, NumPy, the worker's folder, the
    # devices and the scratch may be read; no list of places to hide is involved.
    import numpy

    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("SECRET")
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    (scratch / "mine.txt").write_text("mine")
    config = {"scratch": str(scratch), "file_size_mb": 8, "memory_mb": 1536, "cpu_seconds": 60,
              "max_processes": 64, "uid": os.getuid(), "gid": os.getgid()}
    readable = [os.__file__, numpy.__file__, str(REPO / "autograder" / "worker" / "wire.py"), "/dev/null",
                str(scratch / "mine.txt")]
    refused = [str(secret), str(REPO / "solutions" / "lab4_3" / "lab4_3.ipynb"), str(REPO / "grading.toml"),
               os.path.join(site_packages(), "tensorflow", "__init__.py"), "/etc/passwd", "/proc/1/environ",
               f"/proc/{os.getpid()}/environ", "/proc/self/environ"]
    script = FALLBACK % {"worker": str(REPO / "autograder" / "worker")}
    done = subprocess.run([sys.executable, "-I", "-c", script, json.dumps(config), *readable, *refused],
                          capture_output=True, text=True, timeout=60, cwd=str(scratch))
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert "audit hook" in report["applied"] and "allowlist root" not in report["applied"]
    assert {path: report["found"][path] for path in readable} == {path: "read" for path in readable}
    assert {path: report["found"][path] for path in refused} == {path: "PermissionError" for path in refused}
    assert report["found"]["list /"] == report["found"]["list /proc"] == "PermissionError"
    assert report["found"]["list ."] == report["found"]["list " + os.path.dirname(numpy.__file__)] == "listed"
    assert report["notes"] and report["notes"][0].startswith("Tried to read outside what the sandbox allows")


def test_sandbox_notes_come_back_with_the_replies():
    with worker_with("    os.system('true')\n    return gradients, {}\n") as w:
        with pytest.raises(StudentError):
            clip(w)
        assert w.notes == ["Tried to start a process (os.system); refused by the sandbox."]


def test_a_forged_reply_is_dropped_and_the_next_call_gets_its_own_answer():
    body = textwrap.indent(textwrap.dedent("""\
        import json, struct
        body = json.dumps({"ok": "forged", "seq": 999, "notes": []}).encode()
        os.write(json.loads(sys.argv[1])["reply_fd"], struct.pack(">Q", len(body)) + body)
        return max_norm, {}
        """), "    ")
    with worker_with(body) as w:
        first = w.call("call", 5, stub="clip_gradients", args=[GRADS, 1.0, "norm"])
        second = w.call("call", 5, stub="clip_gradients", args=[GRADS, 2.0, "norm"])
        assert first["result"][0] == 1.0 and second["result"][0] == 2.0
        assert any(note.startswith("Wrote to the grader's reply channel") for note in w.notes)


def test_a_reply_that_is_not_plain_data_is_a_crash_of_the_worker():
    body = textwrap.indent(textwrap.dedent("""\
        import json, struct
        body = b'{"ok": {"__ndarray__": "AAAA", "dtype": "O", "shape": [1]}, "seq": 1}'
        os.write(json.loads(sys.argv[1])["reply_fd"], struct.pack(">Q", len(body)) + body)
        while True:
            pass
        """), "    ")
    with worker_with(body) as w:
        w._seq = 0  # the forged reply claims to answer the next request
        with pytest.raises(WorkerCrashed, match="not plain data"):
            clip(w)


def test_returned_objects_arrive_as_opaque_text_without_running_their_methods():
    # Every method loops forever: a single call to one would end in a timeout.
    body = textwrap.indent(textwrap.dedent("""\
        def forever(*args, **kwargs):
            while True:
                pass
        class Trap(type):
            __eq__ = __hash__ = __instancecheck__ = forever
            __module__ = property(forever)
        class Endless(dict, metaclass=Trap):
            __len__ = __iter__ = keys = items = __repr__ = __str__ = __eq__ = __hash__ = forever
            __class__ = property(forever)
        class Sneaky(np.ndarray):
            pass
        return [Endless(a=1), np.ones(3).view(Sneaky), np.zeros((4096, 1024)), 10 ** 400, np.str_('ok')], {}
        """), "    ")
    with worker_with("    import numpy as np\n" + body) as w:
        endless, sneaky, huge, big_int, text = returned(w, timeout=3)
        assert isinstance(endless, wire.Opaque) and endless.type_name.endswith("Endless")
        assert isinstance(sneaky, wire.Opaque) and sneaky.type_name.endswith("Sneaky")
        assert huge.type_name == "numpy.ndarray (too large)"
        assert isinstance(big_int, wire.Opaque) and text == "ok" and type(text) is str
        assert "0x" not in repr(endless)  # no addresses: grading twice gives the same feedback


def test_numpy_patched_in_the_worker_is_noted_and_reaches_the_grader_as_plain_values():
    body = ("    import numpy as np\n    np.allclose = lambda *a, **k: True\n"
            "    return np.allclose(np.zeros(2), np.ones(2)), {}\n")
    with worker_with(body) as w:
        assert returned(w) is True  # the student's own answer, nothing more
        assert not np.allclose(np.zeros(2), np.ones(2))  # the grader's NumPy is its own
        assert any(note.startswith("Replaced part of NumPy") for note in w.notes)


def test_changing_the_workers_own_code_makes_its_later_replies_errors():
    body = ("    sys.modules['ops']._copy = lambda mapping: mapping\n    return gradients, {}\n")
    with worker_with(body) as w:
        for _ in range(2):
            with pytest.raises(StudentError, match="changed the grader's code"):
                clip(w)
        assert any(note.startswith("Changed the grader's code inside the worker") for note in w.notes)


def test_memory_and_recursion_errors_are_named_for_the_ta():
    body = ("    if max_norm == 1.0:\n        bytearray(1 << 40)\n"
            "    def down(n):\n        return down(n + 1)\n    down(0)\n")
    with worker_with(body, memory_mb=512) as w:
        for max_norm in (1.0, 2.0):
            with pytest.raises(StudentError):
                w.call("call", 5, stub="clip_gradients", args=[GRADS, max_norm, "norm"])
        assert [n.split(" (")[0].split(":")[0] for n in w.notes] == [
            "Used more than the memory limit", "Recursed too deeply"]


def test_a_worker_does_not_outlive_a_grader_that_dies_without_cleaning_up(start_mode):
    # The grading process is killed (or crashes) with a worker running: the worker must go too,
    # and so must the fork server.
    script = textwrap.dedent("""\
        import os, sys
        sys.path.insert(0, %r)
        from autograder.config import Limits
        from autograder.sandbox.fork_server import ForkServer
        from autograder.sandbox.workers import WORKER_ENV, Worker
        forks = ForkServer(WORKER_ENV) if %r else None
        w = Worker(Limits(), forks=forks)
        w.call("load", 20, kit=[], student=[])
        print(w.process.pid, forks._process.pid if forks else w.process.pid, flush=True)
        os._exit(0)
        """ % (str(REPO), start_mode == "forked"))
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    pids = [int(pid) for pid in done.stdout.split()]
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_alive(pid) for pid in pids):
        time.sleep(0.05)
    assert len(pids) == 2 and not any(_alive(pid) for pid in pids)


def _alive(pid):
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def test_the_wire_refuses_what_is_not_plain_numeric_data():
    refused = [
        {"__ndarray__": "AAAA", "dtype": "O", "shape": [1]},              # object arrays
        {"__ndarray__": "AAAA", "dtype": "<f8", "shape": [5]},            # size does not match
        {"__ndarray__": "AAAA", "dtype": "V8", "shape": [1]},             # raw bytes
        {"__ndarray__": "AAAA", "dtype": [["a", "<f8"]], "shape": [1]},   # structured
        {"__float__": "1e400"}, {"__dict__": 3}, {"__tuple__": "ab"}, {"__mystery__": 1},
        {"__scalar__": "AA==", "dtype": "<f8"},
    ]
    for data in refused:
        with pytest.raises(wire.WireError):
            wire.decode(data)
    with pytest.raises(wire.WireError):
        wire.read_message(lambda n, body=iter([wire.HEADER.pack(20_000), b"[" * 20_000]): next(body))


def test_arrays_arrive_as_exact_native_float64_arrays_that_own_their_data():
    sent = np.arange(6, dtype=">f8").reshape(2, 3)
    got = wire.decode(json.loads(json.dumps(wire.encode(sent))))
    assert type(got) is np.ndarray and got.dtype == np.float64 and got.flags.writeable
    assert np.array_equal(got, sent)


def test_demo_code_built_on_packages_the_worker_lacks_is_skipped_but_a_stub_built_so_is_reported():
    source = ("from tensorflow.keras import callbacks\n"
              "class Monitor(callbacks.Callback):\n    pass\n"
              "@callbacks.wrap\ndef clip_gradients(gradients, max_norm=5.0, clip_type='norm'):\n"
              "    return gradients, {}\n")
    statements, _ = extract([{"index": 0, "source": source}])
    with new_worker() as w:
        report = w.call("load", 20, kit=KIT, student=statements)
        assert [(e["line"], e["type"]) for e in report["errors"]] == [(4, "NameError")]
