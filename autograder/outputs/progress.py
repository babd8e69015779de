"""The batch's progress on the terminal: a bar with counts and ETA, plain lines when piped."""
import time


class Progress:
    """A bar with counts and ETA on a terminal; plain lines otherwise."""

    def __init__(self, total, done, stream):
        self.total, self.done, self.stream = total, done, stream
        self.fresh = 0
        self.start = time.monotonic()
        self.tty = hasattr(stream, "isatty") and stream.isatty()
        if done:
            self._line(f"{done} of {total} unchanged since the last run: reusing their results")

    def step(self, sid, seconds):
        self.done += 1
        self.fresh += 1
        elapsed = time.monotonic() - self.start
        left = (self.total - self.done) * elapsed / self.fresh
        if self.tty:
            width = 30
            filled = int(width * self.done / max(self.total, 1))
            self.stream.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} "
                              f"ETA {left:4.0f} s  ")
            self.stream.flush()
        else:
            self._line(f"graded {self.done}/{self.total}: {sid} ({seconds:.1f} s)")

    def close(self):
        if self.tty and self.fresh:
            self.stream.write("\n")
        self._line(f"{self.total} submissions, {self.fresh} graded in {time.monotonic() - self.start:.1f} s")

    def _line(self, text):
        print(text, file=self.stream, flush=True)
