"""Ways to damage a parser's input: each takes bytes and a random source and returns bytes.

The list is what broke the parsers before (issue 13): cut-off files, flipped bytes, repeated
chunks, numbers hundreds or thousands of digits long, NaN and infinities, values of another
JSON type, non-UTF-8 bytes, lone carriage returns, very long lines of spaces, deep nesting.
"""
from __future__ import annotations

import random
import re
import typing as t

_NUMBER = re.compile(rb"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
_JSON_VALUE = re.compile(rb'"value": ')
_ODD_NUMBERS = (b"NaN", b"Infinity", b"-Infinity", b"nan", b"inf", b"-1", b"0", b"1e400", b"-0", b'"fast"',
                b"1.2.3", b"0x1F", b"")
_ODD_VALUES = (b"[]", b"[1]", b'["a"]', b"{}", b'{"a": 1}', b"null", b"true", b'"1"', b'"A"', b"1e999", b"NaN")
_ODD_BYTES = (b"\r", b"\x00", b"\xff\xfe", b"\xc3\x28", b"\x1b[2J", b'"', b",", b"<", b">", b"&", b"]]>", b"\t")


def _span(data: bytes, rng: random.Random) -> tuple[int, int]:
    start = rng.randrange(len(data) + 1)
    return start, min(len(data), start + rng.choice((1, 8, 64, 512, 4096)))


def truncate(data: bytes, rng: random.Random) -> bytes:
    return data[:rng.randrange(len(data) + 1)]


def flip(data: bytes, rng: random.Random) -> bytes:
    if not data:
        return data
    buffer = bytearray(data)
    for _index in range(rng.randint(1, 16)):
        buffer[rng.randrange(len(buffer))] = rng.randrange(256)
    return bytes(buffer)


def delete(data: bytes, rng: random.Random) -> bytes:
    start, end = _span(data, rng)
    return data[:start] + data[end:]


def duplicate(data: bytes, rng: random.Random) -> bytes:
    start, end = _span(data, rng)
    return data[:end] + data[start:end] * rng.choice((1, 2, 10, 100)) + data[end:]


def huge_number(data: bytes, rng: random.Random) -> bytes:
    digits = b"9" * rng.choice((20, 310, 400, 4301, 5000, 20000))
    return _replace_number(data, rng, digits if rng.random() < 0.8 else digits + b".5")


def odd_number(data: bytes, rng: random.Random) -> bytes:
    return _replace_number(data, rng, rng.choice(_ODD_NUMBERS))


def _replace_number(data: bytes, rng: random.Random, new: bytes) -> bytes:
    found = list(_NUMBER.finditer(data, rng.randrange(len(data) + 1))) if data else []
    if not found:
        return data + new
    match = found[0] if rng.random() < 0.5 else rng.choice(found[:50])
    return data[:match.start()] + new + data[match.end():]


def odd_json_value(data: bytes, rng: random.Random) -> bytes:
    """Give a `"value": ...` of a LoadGen record another JSON type."""
    found = list(_JSON_VALUE.finditer(data))
    if not found:
        return data
    match = rng.choice(found)
    line_end = data.find(b"\n", match.end())
    line_end = len(data) if line_end < 0 else line_end
    comma = data.find(b", \"", match.end(), line_end)
    end = comma if comma >= 0 else max(match.end(), line_end - 1)
    return data[:match.end()] + rng.choice(_ODD_VALUES) + data[end:]


def odd_bytes(data: bytes, rng: random.Random) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + rng.choice(_ODD_BYTES) * rng.choice((1, 2, 100)) + data[at:]


def long_line(data: bytes, rng: random.Random) -> bytes:
    size = rng.choice((1000, 5000, 20000, 100000, 300000))
    filler = rng.choice((b" ", b"a", b"9", b"=", b":", b"|", b"/", b"[", b"x "))
    line = rng.choice((b"x", b"=", b"| 0 ", b"a ", b"Mode : ", b"")) + filler * (size // len(filler)) + rng.choice((b"y", b"", b" On |"))
    at = rng.randrange(len(data) + 1)
    return data[:at] + line + data[at:]


def deep_nesting(data: bytes, rng: random.Random) -> bytes:
    depth = rng.choice((100, 1000, 10000, 200000))
    opener, closer = rng.choice(((b"<gpu>", b"</gpu>"), (b"[", b"]"), (b"{", b"}"), (b"(", b")")))
    at = rng.randrange(len(data) + 1)
    return data[:at] + opener * depth + closer * depth + data[at:]


def shuffle_lines(data: bytes, rng: random.Random) -> bytes:
    lines = data.split(b"\n")
    if len(lines) < 2:
        return data
    first, second = rng.randrange(len(lines)), rng.randrange(len(lines))
    action = rng.randrange(3)
    if action == 0:
        lines[first], lines[second] = lines[second], lines[first]
    elif action == 1:
        del lines[first]
    else:
        lines.insert(second, lines[first])
    return b"\n".join(lines)


MUTATORS: tuple[t.Callable[[bytes, random.Random], bytes], ...] = (
    truncate, flip, delete, duplicate, huge_number, odd_number, odd_json_value, odd_bytes, long_line,
    deep_nesting, shuffle_lines,
)


def mutate(data: bytes, rng: random.Random) -> tuple[bytes, list[str]]:
    """`data` damaged one to three times; the names of the damages, to reproduce a finding."""
    names = []
    for _round in range(rng.choice((1, 1, 2, 3))):
        mutator = rng.choice(MUTATORS)
        data = mutator(data, rng)
        names.append(mutator.__name__)
    return data, names
