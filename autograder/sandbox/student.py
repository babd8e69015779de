"""The submission as a check sees it: two generic calls into the worker.

`call` runs a module-level stub, `call_method` a stub that is a method of one of the
kit's classes; which stubs exist and where they live is the part manifest's business
(autograder/parts.py), and what to call them with is each part's checks module's.
Arguments and results are plain data (numbers, strings, lists, dicts, NumPy arrays),
except `KitObject` arguments, which the worker builds from the kit's own namespace.
Results are whatever the student's code returned, so checks must verify their types
before using them.
"""
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Optional

from autograder.sandbox.workers import WorkerCrashed

if TYPE_CHECKING:  # annotations only
    from autograder.sandbox.workers import Worker

ANSWER_KEYS = ("result", "args_after", "kwargs_after")


class MalformedReply(WorkerCrashed):
    """The worker answered a call with plain data of the wrong shape (a forged reply): the check
    it belongs to is lost, as when the worker crashes, though the worker lives on."""


@dataclass(frozen=True)
class KitObject:
    """An argument the worker builds: the kit's `name` (a class or function of the release, or
    kit code a part supplies) called on copies of `args` and `kwargs`. After the call, the
    attributes named in `read` come back in its place among the arguments after the call."""

    name: str
    args: tuple = ()
    kwargs: dict = field(default_factory=dict)
    read: tuple = ()


class Student:
    def __init__(self, worker: "Worker", timeout: float):
        self._worker = worker
        self._timeout = timeout

    def _call(self, op: str, **args) -> object:
        return self._worker.call(op, self._timeout, **args)

    def _answer(self, value, sent):
        """A call's answer for the arguments `sent`, with the ones the call left as they were put
        back in their places (the worker leaves them out: "same"); MalformedReply for a reply of
        another shape: a reply is the student's process talking (it can forge one)."""
        count = len(sent)
        if type(value) is not dict:
            raise MalformedReply("the Python process running your code sent a reply of the wrong shape")
        value.setdefault("kwargs_after", {})  # left out when empty, as "same" is
        same = value.pop("same", [])
        if (any(key not in value for key in ANSWER_KEYS) or type(value["args_after"]) is not list
                or len(value["args_after"]) != count or type(value["kwargs_after"]) is not dict
                or type(same) is not list
                or any(type(i) is not int or not 0 <= i < count or isinstance(sent[i], KitObject) for i in same)):
            raise MalformedReply("the Python process running your code sent a reply of the wrong shape")
        after = value["args_after"]
        for i in same:
            after[i] = sent[i]
        return value

    def call(self, stub: str, *args, **kwargs) -> dict:
        """The student's function `stub` called on copies of `args` and `kwargs`.

        Returns {"result": what it returned, "args_after", "kwargs_after": the arguments after
        the call}; a KitObject argument comes back as {attribute: value} of what it names in `read`."""
        plain, objects = _split(args)
        return self._answer(self._call("call", stub=stub, **_request(plain, kwargs, objects)), args)

    def call_method(self, stub: str, init: tuple = (), attributes: Optional[dict] = None, calls: tuple = (),
                    read: tuple = ()) -> dict:
        """An instance of the kit's class holding method `stub` (with the student's `stub` and own
        helpers on it) built with `init` and given copies of `attributes`, in their order; then
        each (method, args, kwargs) of `calls` in turn: the stub itself, or a kit method that
        calls it inside (forward_propagation, ...).

        Returns {"calls": [{"result", "args_after", "kwargs_after"} per call], "read":
        {attribute named in `read`: its value after the last call}}."""
        encoded = []
        for method, args, kwargs in calls:
            plain, objects = _split(args)
            encoded.append({"method": method, **_request(plain, kwargs, objects)})
        calls = list(calls)
        out = self._call("call_method", stub=stub, init=list(init), attributes=dict(attributes or {}),
                         calls=encoded, read=list(read))
        if (type(out) is not dict or type(out.get("calls")) is not list or len(out["calls"]) != len(encoded)
                or type(out.get("read")) is not dict or any(name not in out["read"] for name in read)):
            raise MalformedReply("the Python process running your code sent a reply of the wrong shape")
        for answer, (_, args, _) in zip(out["calls"], calls):
            self._answer(answer, tuple(args))
        return out


def _request(plain, kwargs, objects):
    """A call's arguments as the worker takes them; empty parts are left out (less to send)."""
    request = {"args": plain}
    if kwargs:
        request["kwargs"] = dict(kwargs)
    if objects:
        request["objects"] = objects
    return request


def _split(args):
    """(the arguments with each KitObject left as None, {position: what to build there})."""
    plain, objects = [], {}
    for position, value in enumerate(args):
        if isinstance(value, KitObject):
            objects[position] = {"name": value.name, "args": list(value.args), "kwargs": dict(value.kwargs),
                                 "read": list(value.read)}
            value = None
        plain.append(value)
    return plain, objects
