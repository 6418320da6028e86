"""Regular expressions the driving adapters publish in their schemas (OpenAPI, MCP tools).

Plain strings, valid alike in Python, ECMA-262 and Rust regexes (the
dialects of the clients and validators that read them).
"""

from __future__ import annotations

from typing import Final

_DAY: Final = "(?:MO|TU|WE|TH|FR|SA|SU)"
_DAYS: Final = f"{_DAY}(?:,{_DAY})*"
_MONTH_DAYS: Final = "(?:[+-]?[1-5])?" + _DAY
_MONTH_DAY: Final = "(?:[1-9]|[12][0-9]|3[01]|-1)"
_MONTH: Final = "(?:[1-9]|1[0-2])"
_YEAR: Final = "(?:[1-9][0-9]{3}|0[1-9][0-9]{2}|00[1-9][0-9]|000[1-9])"
_DATE: Final = f"{_YEAR}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])"
_REST: Final = (
    f"(?:;BYMONTHDAY={_MONTH_DAY}(?:,{_MONTH_DAY})*)?(?:;BYMONTH={_MONTH}(?:,{_MONTH})*)?"
    f"(?:;(?:COUNT=(?:1000|[1-9][0-9]{{0,2}})|UNTIL={_DATE}(?:T(?:[01][0-9]|2[0-3])"
    "[0-5][0-9][0-5][0-9]Z)?))?"
)
_INTERVAL: Final = "(?:;INTERVAL=[1-9][0-9]{0,2})?"
#: A recurrence rule (API.md section 8) in the canonical form the server returns; the HTTP
#: API also reads its parts in any order.
RECURRENCE_PATTERN: Final = (
    f"^FREQ=(?:(?:DAILY|WEEKLY|YEARLY){_INTERVAL}(?:;BYDAY={_DAYS})?"
    f"|MONTHLY{_INTERVAL}(?:;BYDAY={_MONTH_DAYS}(?:,{_MONTH_DAYS})*)?){_REST}$"
)
