"""What the driving adapters share reads plain strings, with no web framework in between."""

from __future__ import annotations

import pytest

from todo_core.errors import InvalidInput
from todo_core.model import TaskStatus
from todo_core.queries import SortField
from todo_presentation.listing import parse_listing
from todo_presentation.words import boolean_word


def test_a_listing_is_read_from_plain_name_value_pairs() -> None:
    request = parse_listing([("status", "pending,in_progress"), ("sort", "-title"), ("limit", "5")])

    assert request.filter.statuses == {TaskStatus.PENDING, TaskStatus.IN_PROGRESS}
    assert (request.sort, request.descending, request.limit) == (SortField.TITLE, True, 5)


def test_every_bad_pair_is_reported_by_name() -> None:
    with pytest.raises(InvalidInput) as raised:
        parse_listing([("limit", "0"), ("completed", "maybe"), ("sort", "colour")])

    assert raised.value.fields == ("completed", "sort", "limit")


@pytest.mark.parametrize(
    ("word", "meaning"),
    [("true", True), (" YES ", True), ("1", True), ("false", False), ("No", False), ("0", False)],
)
def test_the_boolean_words_are_one_set_for_query_strings_and_files(
    word: str, meaning: bool
) -> None:
    assert boolean_word(word) is meaning
    assert parse_listing([("completed", word)]).filter.completed is meaning


def test_a_word_that_is_not_a_boolean_means_nothing() -> None:
    assert boolean_word("maybe") is None
