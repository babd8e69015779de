# hostile: clip_gradients returns objects whose every method never returns: __len__,
# __iter__, keys and items of a dict subclass, __repr__ and __str__, a metaclass's
# __eq__, __hash__ and __module__. Nothing on the way back to the grader may call
# them: part 5 fails at once, without a single timeout.
# note: Returned a value that is not plain data
# expect: part5=0


def _forever(*args, **kwargs):
    while True:
        pass


class Trap(type):
    __eq__ = __hash__ = __instancecheck__ = _forever
    __module__ = property(_forever)


class Endless(dict, metaclass=Trap):
    __len__ = __iter__ = keys = items = values = __repr__ = __str__ = __getitem__ = _forever
    __eq__ = __hash__ = __reduce__ = __reduce_ex__ = __getattr__ = _forever
    __class__ = property(_forever)


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    forged = Endless(gradients)
    gradients.clear()  # so that no check passes by the stub doing nothing
    return forged, Endless()
