"""One exception tree for everything the core reports to users.

Every message names the file or character at fault; the CLI prints it on one line and exits with
code 2, the GUI shows it in a dialog. Programming errors are *not* SeganErrors and keep their traceback.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar, overload


class SeganError(Exception):
    """A problem with the user's input or environment, explained in one line."""

    exit_code = 2


class InputFileError(SeganError):
    """A file is missing, unreadable or of the wrong kind."""


class FontError(InputFileError):
    """A font file cannot be opened or lacks what was asked of it."""


class CharsetError(SeganError):
    """A character set is empty or cannot be read."""


class OutputError(SeganError):
    """An output location cannot be written."""


class DatasetError(SeganError):
    """A dataset folder is missing, foreign or inconsistent."""


class CheckpointError(SeganError):
    """A model checkpoint is missing, truncated, foreign or does not match its config."""


class StyleError(SeganError):
    """A style name is unknown or has no model."""


class TrainingError(SeganError):
    """Training cannot go on (for example the losses became NaN)."""


class EvaluationError(SeganError):
    """An evaluation cannot run: a model/data mismatch, or a missing evaluator component (e.g. the OCR recognizer)."""


ResultT = TypeVar("ResultT")


class Cancelled(SeganError, Generic[ResultT]):
    """A long job was cancelled by the user: the one way every job stops on its cancel token.

    Nothing partial was written, except what a job keeps on purpose to resume from (a training run's
    checkpoint): that job's result then rides along as ``result``, typed. Such a job raises its own subclass
    (``Cancelled[TrainResult]``: :class:`~segan_core.training.engine.TrainingCancelled`; a fine-tune's
    ``FinetuneCancelled``), which a caller catches to read the result; a plain ``Cancelled("...")`` kept
    nothing and its ``result`` is None.
    """

    exit_code = 130
    result: ResultT

    @overload
    def __init__(self: Cancelled[None], message: str = "cancelled") -> None: ...

    @overload
    def __init__(self, message: str, result: ResultT) -> None: ...

    def __init__(self, message: str = "cancelled", result: Any = None) -> None:
        super().__init__(message)
        self.result = result

    def __reduce__(self) -> tuple[Any, ...]:  # pickled with its result (a job run in another process)
        return (type(self), (str(self), self.result))
