"""Cells safe to open in a spreadsheet.

A text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is read by Excel, LibreOffice and Google Sheets as a formula, and a
formula in a file exported from here could run on a user's machine (CSV
injection). Such cells are written with a leading apostrophe, which the
spreadsheet shows as text; numbers we format ourselves are never passed here.
"""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: str) -> str:
    return "'" + value if value.startswith(FORMULA_STARTS) else value
