"""User-facing errors: one line each, `FILE:LINE: field.path: message (hint)`, exit code 2."""

from __future__ import annotations

from dataclasses import dataclass, field

EXIT_USER_ERROR = 2


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one input file, located as precisely as we can."""

    file: str
    line: int | None
    path: str
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        what = f"{self.path}: {self.message}" if self.path else self.message
        return f"{where}: {what}" + (f" (hint: {self.hint})" if self.hint else "")


@dataclass
class InputError(Exception):
    """Raised for any bad user input: a scenario, a trace, a job file, a run folder."""

    problems: list[Problem] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(self.first_line())

    def first_line(self) -> str:
        """The one line shown by `run`: the first problem, and how many more there are."""
        if not self.problems:
            return "invalid input"
        more = len(self.problems) - 1
        tail = f" [and {more} more: run `orbitgrid validate` to list all]" if more else ""
        return str(self.problems[0]) + tail

    def all_lines(self) -> list[str]:
        return [str(p) for p in self.problems]
