# hostile: while its definitions load, prints 1 GB, writes to the output's file
# descriptors until refused, and fills its scratch folder with files; its stubs
# are correct, so only the note remains (and the kept output is capped).
# note: Printed more than
# expect: full
import os


def _flood():
    chunk = "spam " * 200_000  # 1 MB
    for _ in range(1000):
        print(chunk)
    for fd in (1, 2):
        try:
            while True:
                os.write(fd, b"eggs " * 200_000)
        except OSError:
            pass
    try:
        for i in range(100_000):
            with open(f"junk-{i}.txt", "w") as handle:
                handle.write("ham " * 2_500)
    except OSError:
        pass
    try:
        with open("big.bin", "wb") as handle:
            while True:
                handle.write(b"\0" * (1 << 20))
    except OSError:
        pass
    return None


def flooded(done=_flood()):
    return done
