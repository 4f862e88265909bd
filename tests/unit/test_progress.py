"""The progress line: drawn on a terminal, ending at the total; silent otherwise."""

import io

from wss.progress import Progress


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_draws_on_a_terminal_and_ends_at_the_total() -> None:
    out = Tty()
    bar = Progress("replaying", out)
    bar(0, 5_000)
    bar(1_000, 5_000)  # within 0.1 s of the last: not redrawn
    bar(5_000, 5_000)  # the end is always drawn
    bar.close()
    text = out.getvalue()
    assert text.startswith("\rreplaying:   0%")
    last_frame = text.rstrip("\n").split("\r")[-1]
    assert "100%" in last_frame
    assert "5.00k/5.00k" in last_frame
    assert "1.00k/5.00k" not in text
    assert text.endswith("\n")


def test_progress_is_silent_when_stderr_is_not_a_terminal() -> None:
    out = io.StringIO()
    bar = Progress("replaying", out)
    bar(5_000, 5_000)
    bar.close()
    assert out.getvalue() == ""
