# hostile: clip_gradients rewrites the grader's code inside the worker (the operation
# that reports its answer, and the encoder of replies) so that what the grader hears
# is a forged "untouched input" report. The worker notices and sends no answer of
# that worker again: part 5 earns nothing, and what follows in that worker is lost.
# note: Changed the grader's code inside the worker
# expect: part5=0, others=any
import sys

_reference_clip = clip_gradients


def _forged_call(self, stub, args, kwargs=None, objects=None):
    result = _reference_clip(*args, **(kwargs or {}))
    return {"result": result, "args_after": list(args), "kwargs_after": kwargs or {}}


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    ops = sys.modules.get("ops")
    if ops is not None:
        ops.Session.call = _forged_call
        ops._after = lambda given, built: given
    for key in gradients:
        gradients[key] *= 0.0  # modifies its input, which the forged report would hide
    return {}, {}
