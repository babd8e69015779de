# hostile: clip_gradients tries to send the gradients out over the network: socket,
# the private _socket module, urllib; its answer is wrong.
# note: Tried to use the network
# expect: part5=0


def clip_gradients(gradients, max_norm=5.0, clip_type='norm'):
    for attempt in (
        lambda: __import__("socket").create_connection(("1.1.1.1", 80), timeout=1),
        lambda: __import__("_socket").socket(),
        lambda: __import__("urllib.request").request.urlopen("http://example.com", timeout=1),
    ):
        try:
            attempt()
        except Exception:
            pass
    gradients.clear()  # so that no check passes by the stub doing nothing
    return gradients, {}
