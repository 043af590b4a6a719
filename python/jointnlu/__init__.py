"""jointnlu: joint domain, intent and slot parsing of one utterance.

    >>> import jointnlu
    >>> parser = jointnlu.Parser("model.safetensors")
    >>> p = parser.parse("播放周杰伦的稻香")
    >>> p.domain, p.intent, p.slot_dict
    ('music', 'PLAY', {'artist': '周杰伦', 'song': '稻香'})

The binding of libjointnlu (the C++ runtime of the distilled BiLSTM student).
"""
from ._jointnlu import (
    Error,
    InternalError,
    InvalidInputError,
    InvalidModelError,
    IoError,
    ModelInfo,
    Parse,
    Parser,
    Slot,
    __version__,
)

__all__ = [
    "Error",
    "InternalError",
    "InvalidInputError",
    "InvalidModelError",
    "IoError",
    "ModelInfo",
    "Parse",
    "Parser",
    "Slot",
    "__version__",
]
