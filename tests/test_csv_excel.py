"""CSV for German Excel (app.csv_excel), read back the way Excel reads it."""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from decimal import Decimal

import pytest

from admin_views.csv_excel import csv_filename, csv_response, csv_rows, excel_cell, neutralise


def read_as_excel(data: bytes) -> list[list[str]]:
    """What German Excel does with the file: BOM means UTF-8, ``;`` separates cells."""
    assert data.startswith(b"\xef\xbb\xbf")
    text = data.decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        (True, "ja"),
        (False, "nein"),
        (42, "42"),
        (-3, "-3"),
        (2.5, "2,5"),
        (Decimal("66.7"), "66,7"),
        (dt.date(2026, 3, 1), "01.03.2026"),
        (dt.datetime(2026, 3, 1, 11, 30, tzinfo=dt.UTC), "01.03.2026 12:30"),
        ("Müller-Lüdenscheidt", "Müller-Lüdenscheidt"),
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+49 211 123", "'+49 211 123"),
        ("-3", "'-3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("<5", "<5"),
    ],
)
def test_excel_cell(value, expected):
    assert excel_cell(value) == expected


def test_neutralise_leaves_harmless_text_alone():
    assert neutralise("Wartezeit = lang") == "Wartezeit = lang"


def test_file_reads_back_with_separator_quotes_and_line_breaks_inside_cells():
    rows = [
        ["Semikolon; im Text", 5, dt.date(2026, 1, 2), True],
        ["Zeile 1\nZeile 2", 0, None, False],
        ['Ein "Zitat"', -1, dt.date(2026, 12, 31), None],
        ["=1+1", "<5", "", "-"],
    ]
    data = "".join(csv_rows(["Name", "Anzahl", "Datum", "Aktiv"], rows)).encode("utf-8")
    assert read_as_excel(data) == [
        ["Name", "Anzahl", "Datum", "Aktiv"],
        ["Semikolon; im Text", "5", "02.01.2026", "ja"],
        ["Zeile 1\nZeile 2", "0", "", "nein"],
        ['Ein "Zitat"', "-1", "31.12.2026", ""],
        ["'=1+1", "<5", "", "'-"],
    ]
    assert b"\r\n" in data
    assert b'"Semikolon; im Text"' in data


def test_only_the_first_chunk_carries_the_bom():
    chunks = list(csv_rows(["a"], [["b"], ["c"]]))
    assert chunks[0].startswith("\ufeff")
    assert not any(chunk.startswith("\ufeff") for chunk in chunks[1:])


def test_rows_are_read_lazily():
    endless = ([number] for number in itertools.count())
    chunks = csv_rows(["Nr."], endless)
    assert list(itertools.islice(chunks, 3)) == ["\ufeffNr.\r\n", "0\r\n", "1\r\n"]


def test_filename_is_german_and_safe():
    assert csv_filename("statistik", "Barrieren", "AWO", day=dt.date(2026, 11, 25)) == (
        "statistik_barrieren_awo_2026-11-25.csv"
    )
    assert csv_filename("Übersicht Fälle/../x", day=dt.date(2026, 1, 2)) == (
        "uebersicht_faelle_x_2026-01-02.csv"
    )


def test_response_streams_a_download(app):
    with app.test_request_context():
        response = csv_response("statistik_größen_2026-11-25.csv", ["Name"], iter([["x;y"]]))
        assert response.is_streamed
        body = b"".join(response.iter_encoded())
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert 'filename="statistik_groessen_2026-11-25.csv"' in disposition
    assert "filename*=UTF-8''statistik_gr%C3%B6%C3%9Fen_2026-11-25.csv" in disposition
    assert read_as_excel(body) == [["Name"], ["x;y"]]
