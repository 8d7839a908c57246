"""LineIndex: byte offsets <-> (line, column) in UTF-8/16/32, including non-BMP text."""

import pytest

from specloop.analysis.text import ColumnUnit, LineIndex, TextPoint, encode, units_in

# "😀" is one code point, two UTF-16 code units and four UTF-8 bytes.
SOURCE = encode('x = "😀"; y = 1\nz = 2\n')


def test_units_of_a_non_bmp_character():
    assert units_in("😀", ColumnUnit.UTF32) == 1
    assert units_in("😀", ColumnUnit.UTF16) == 2
    assert units_in("😀", ColumnUnit.UTF8) == 4


@pytest.mark.parametrize(
    ("unit", "column_of_y"),
    [(ColumnUnit.UTF16, 10), (ColumnUnit.UTF32, 9), (ColumnUnit.UTF8, 12)],
)
def test_column_after_a_non_bmp_character_round_trips(unit, column_of_y):
    lines = LineIndex.of(SOURCE)
    offset_of_y = SOURCE.index(b"y")
    assert lines.point_of(SOURCE, offset_of_y, unit) == TextPoint(0, column_of_y)
    assert lines.offset_of(SOURCE, TextPoint(0, column_of_y), unit) == offset_of_y
    assert lines.column_in(SOURCE, 0, offset_of_y, unit) == column_of_y


def test_a_column_inside_a_surrogate_pair_clamps_to_the_character_start():
    lines = LineIndex.of(SOURCE)
    # UTF-16 column 6 is the second half of the emoji, which starts at column 5 (byte 5).
    assert lines.offset_of(SOURCE, TextPoint(0, 6), ColumnUnit.UTF16) == 5


def test_positions_past_the_end_clamp():
    lines = LineIndex.of(SOURCE)
    assert lines.offset_of(SOURCE, TextPoint(1, 99), ColumnUnit.UTF16) == SOURCE.index(b"\n", 5) + 6
    assert lines.offset_of(SOURCE, TextPoint(42, 0), ColumnUnit.UTF16) == len(SOURCE)


def test_crlf_line_endings_count_as_columns_only_for_a_client_that_counts_them():
    source = b"a = 1\r\nbb = 2\r\n"
    lines = LineIndex.of(source)
    assert lines.line_bytes(source, 0) == b"a = 1"
    assert lines.offset_of(source, TextPoint(0, 50), ColumnUnit.UTF16) == 5
    assert lines.offset_of(source, TextPoint(1, 2), ColumnUnit.UTF16) == 9
    # Neovim counts the "\r" it shows as ^M: the column just past the text is after it.
    assert lines.offset_of(source, TextPoint(0, 6), ColumnUnit.UTF16) == 6
    assert lines.point_of(source, 6, ColumnUnit.UTF16) == TextPoint(0, 6)


@pytest.mark.parametrize(
    ("start", "end", "inserted"),
    [(0, 0, b"new\nlines\n"), (3, 12, b""), (5, 5, b"x"), (10, 20, b"a\nb\nc"), (25, 25, b"\n")],
)
def test_replaced_index_equals_a_fresh_index(start, end, inserted):
    source = b"abc\ndef\nghi\n\njkl\nmno pqr\n"
    edited = source[:start] + inserted + source[end:]
    assert LineIndex.of(source).replaced(start, end, inserted).starts == LineIndex.of(edited).starts
