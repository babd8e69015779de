# hostile: clip_gradients finds the grader's reply pipe (the worker's command line names
# it) and the number of the request being served (in the caller's frame), writes a
# forged reply claiming a perfect answer, then returns. A forged reply is still only
# plain data, checked like any answer (and this one is wrong); the real reply that
# follows is out of step, so the grader drops it and later checks are unaffected.
# note: Wrote to the grader's reply channel
# expect: part5=0
import json
import os
import struct
import sys


def _request():
    frame = sys._getframe()
    while frame is not None:
        request = frame.f_locals.get("request")
        if isinstance(request, dict) and "seq" in request:
            return request
        frame = frame.f_back
    return {}


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    config = json.loads(sys.argv[1])
    request = _request()
    # The arguments as the request sent them: "the input came back untouched".
    sent = dict((key, value) for key, value in request.get("args", {}).get("__dict__", []))
    body = json.dumps({"ok": {"__dict__": [["result", {"__tuple__": [{"__dict__": []}, {"__dict__": []}]}],
                                           ["args_after", sent.get("args", [])],
                                           ["kwargs_after", {"__dict__": []}], ["same", []]]},
                       "seq": request.get("seq"), "notes": []}).encode()
    try:
        os.write(config["reply_fd"], struct.pack(">Q", len(body)) + body)
    except OSError:
        pass
    return gradients, {}
