"""The ``todo tasks`` commands call the use cases directly, against real databases."""

from __future__ import annotations

import csv
import json
import time
import uuid
from pathlib import Path

from tests.integration.cli.conftest import Todo


def add(todo: Todo, user: str, *args: str) -> dict[str, object]:
    result = todo("tasks", "add", "--user", user, "--json", *args)
    assert result.exit_code == 0, result.output
    task: dict[str, object] = json.loads(result.stdout)
    return task


def listed(todo: Todo, user: str, *args: str) -> list[dict[str, object]]:
    result = todo("tasks", "list", "--user", user, "--json", *args)
    assert result.exit_code == 0, result.output
    tasks: list[dict[str, object]] = json.loads(result.stdout)
    return tasks


def test_adding_a_task_prints_it_in_the_api_shape(todo: Todo, user: str) -> None:
    task = add(todo, user, "  Write the report ", "--priority", "high", "--due", "2026-12-01")

    assert task["title"] == "Write the report"
    assert task["priority"] == "high"
    assert task["due_date"] == "2026-12-01T00:00:00.000000Z"
    assert task["version"] == 1
    assert task["user_id"] == user


def test_list_filters_sorts_and_prints_a_readable_table(todo: Todo, user: str) -> None:
    add(todo, user, "Low one", "--priority", "low")
    add(todo, user, "High one", "--priority", "high")
    add(todo, user, "Done one", "--status", "completed")

    table = todo("tasks", "list", "--user", user, "--sort", "priority", "--not-completed")
    titles = [
        task["title"] for task in listed(todo, user, "--sort", "-priority", "--status", "pending")
    ]

    assert table.exit_code == 0
    assert "High one" in table.stdout
    assert "Done one" not in table.stdout
    assert "2 of 2 matching task(s)" in table.stdout
    assert titles == ["High one", "Low one"]


def test_show_update_done_and_rm_work_on_one_task(todo: Todo, user: str) -> None:
    task_id = str(add(todo, user, "Draft")["id"])

    updated = todo("tasks", "update", task_id, "--user", user, "--title", "Final", "--json")
    done = todo("tasks", "done", task_id, "--user", user, "--json")
    shown = todo("tasks", "show", task_id, "--user", user, "--json")
    removed = todo("tasks", "rm", task_id, "--user", user)
    missing = todo("tasks", "show", task_id, "--user", user)

    assert json.loads(updated.stdout)["title"] == "Final"
    assert json.loads(done.stdout)["completed"] is True
    assert json.loads(shown.stdout)["version"] == 3
    assert removed.exit_code == 0
    assert missing.exit_code == 1
    assert "Task not found" in missing.stderr


def test_another_users_task_is_not_found(todo: Todo, user: str) -> None:
    task_id = str(add(todo, user, "Mine")["id"])

    result = todo("tasks", "show", task_id, "--user", f"{user}-other")

    assert result.exit_code == 1
    assert result.stderr.strip() == "error: Task not found"


def test_a_stale_version_is_refused_and_changes_nothing(todo: Todo, user: str) -> None:
    task_id = str(add(todo, user, "Draft")["id"])

    result = todo("tasks", "update", task_id, "--user", user, "--title", "X", "--if-version", "7")
    shown = todo("tasks", "show", task_id, "--user", user, "--json")

    assert result.exit_code == 1
    assert "modified by another request" in result.stderr
    assert json.loads(shown.stdout)["title"] == "Draft"


def test_an_invalid_title_is_a_domain_error_with_exit_code_1(todo: Todo, user: str) -> None:
    result = todo("tasks", "add", "--user", user, "   ")

    assert result.exit_code == 1
    assert "title" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_usage_error_exits_with_code_2(todo: Todo, user: str) -> None:
    result = todo("tasks", "show", "not-a-uuid", "--user", user)

    assert result.exit_code == 2


def test_export_then_import_copies_every_task(todo: Todo, user: str, tmp_path: Path) -> None:
    add(todo, user, "One", "--due", "2026-12-01T10:00+02:00")
    add(todo, user, "Two", "-d", "line one\n\tline two", "--status", "completed")
    target = f"{user}-copy"

    exported_json = todo("tasks", "export", "--user", user, "-o", str(tmp_path / "t.json"))
    exported_csv = todo("tasks", "export", "--user", user, "--format", "csv")
    (tmp_path / "t.csv").write_text(exported_csv.stdout, encoding="utf-8")
    from_json = todo("tasks", "import", str(tmp_path / "t.json"), "--user", target)
    from_csv = todo("tasks", "import", str(tmp_path / "t.csv"), "--user", f"{target}-csv")

    assert exported_json.exit_code == 0
    assert from_json.exit_code == 0, from_json.output
    assert from_csv.exit_code == 0, from_csv.output
    for owner in (target, f"{target}-csv"):
        copies = listed(todo, owner, "--sort", "title")
        assert [(t["title"], t["status"], t["due_date"]) for t in copies] == [
            ("One", "pending", "2026-12-01T08:00:00.000000Z"),
            ("Two", "completed", None),
        ]


def test_an_import_with_one_bad_row_writes_nothing_and_names_the_row(
    todo: Todo, user: str, tmp_path: Path
) -> None:
    rows = [{"title": f"Task {n}", "priority": "low"} for n in range(1, 6)]
    rows[3]["priority"] = "urgent"
    source = tmp_path / "bad.json"
    source.write_text(json.dumps(rows), encoding="utf-8")

    result = todo("tasks", "import", str(source), "--user", user)

    assert result.exit_code == 1
    assert "row 4: priority" in result.stderr
    assert listed(todo, user) == []


def test_an_import_of_10k_rows_lands_in_one_go(todo: Todo, user: str, tmp_path: Path) -> None:
    source = tmp_path / "big.csv"
    with source.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["title", "description", "priority", "due_date", "completed"])
        for n in range(10_000):
            writer.writerow([f"Task {n}", "imported", "high", "2027-01-01", str(n % 2 == 0)])

    started = time.perf_counter()
    result = todo("tasks", "import", str(source), "--user", user)
    elapsed = time.perf_counter() - started
    stats = todo("tasks", "list", "--user", user, "--limit", "1", "--completed")

    assert result.exit_code == 0, result.output
    assert "imported 10000 task(s)" in result.stdout
    assert "1 of 5000 matching task(s)" in stats.stdout
    print(f"10k-row import into {todo.database_url.split(':')[0]}: {elapsed:.2f} s")


def test_a_cursor_printed_by_list_continues_the_listing(todo: Todo, user: str) -> None:
    for n in range(3):
        add(todo, user, f"Task {n}")

    first = todo("tasks", "list", "--user", user, "--limit", "2")
    cursor = first.stdout.split("--cursor ")[1].strip()
    rest = listed(todo, user, "--limit", "2", "--cursor", cursor)

    assert [task["title"] for task in rest] == ["Task 0"]


def test_a_bad_listing_option_names_the_parameter(todo: Todo, user: str) -> None:
    result = todo("tasks", "list", "--user", user, "--status", "pending,nope")

    assert result.exit_code == 1
    assert "status" in result.stderr


def test_an_unknown_task_id_is_not_found(todo: Todo, user: str) -> None:
    result = todo("tasks", "rm", str(uuid.uuid4()), "--user", user)

    assert result.exit_code == 1


def test_tags_a_rule_and_a_reminder_are_given_when_adding_and_listed_by_tag(
    todo: Todo, user: str
) -> None:
    task = add(
        todo,
        user,
        "Weekly review",
        "--tag",
        "Work",
        "--tag",
        "review",
        "--due",
        "2026-12-04T16:00Z",
        "--repeat",
        "FREQ=WEEKLY;BYDAY=FR",
        "--remind-at",
        "2026-12-04T15:00Z",
    )
    add(todo, user, "Groceries", "--tag", "home")

    by_tag = listed(todo, user, "--tag", "WORK")
    tags = todo("tasks", "tags", "--user", user, "--json")
    table = todo("tasks", "list", "--user", user)

    assert (task["tags"], task["recurrence"]) == (["Work", "review"], "FREQ=WEEKLY;BYDAY=FR")
    assert task["remind_at"] == "2026-12-04T15:00:00.000000Z"
    assert [found["title"] for found in by_tag] == ["Weekly review"]
    assert json.loads(tags.stdout) == [
        {"name": "home", "count": 1},
        {"name": "review", "count": 1},
        {"name": "Work", "count": 1},
    ]
    assert "Work," in table.stdout
    assert "review" in table.stdout


def test_done_on_a_recurring_task_names_the_next_occurrence(todo: Todo, user: str) -> None:
    task_id = str(add(todo, user, "Daily", "--due", "2026-12-04", "--repeat", "FREQ=DAILY")["id"])

    done = todo("tasks", "done", task_id, "--user", user, "--json")

    following = json.loads(done.stdout)["next_occurrence_id"]
    assert done.exit_code == 0
    assert f"next occurrence: {following}" in done.stderr
    assert len(listed(todo, user)) == 2


def test_update_replaces_or_clears_tags_and_stops_a_repetition(todo: Todo, user: str) -> None:
    task_id = str(
        add(todo, user, "t", "--tag", "a", "--due", "2026-12-04", "--repeat", "FREQ=DAILY")["id"]
    )

    replaced = todo("tasks", "update", task_id, "--user", user, "--tag", "b", "--json")
    cleared = todo(
        "tasks", "update", task_id, "--user", user, "--clear-tags", "--repeat", "", "--json"
    )

    assert json.loads(replaced.stdout)["tags"] == ["b"]
    assert (json.loads(cleared.stdout)["tags"], json.loads(cleared.stdout)["recurrence"]) == (
        [],
        None,
    )


def test_export_and_import_carry_tags_rules_and_reminders_through_csv(
    todo: Todo, user: str, tmp_path: Path
) -> None:
    add(
        todo,
        user,
        "Carried",
        "--tag",
        "x",
        "--tag",
        "y",
        "--due",
        "2026-12-04",
        "--repeat",
        "FREQ=MONTHLY;BYMONTHDAY=-1",
        "--remind-at",
        "2026-12-03",
    )
    exported = todo("tasks", "export", "--user", user, "--format", "csv")
    path = tmp_path / "tasks.csv"
    path.write_text(exported.stdout, encoding="utf-8")
    other = f"{user}-copy"

    imported = todo("tasks", "import", str(path), "--user", other)

    [row] = list(csv.DictReader(exported.stdout.splitlines()))
    [copy] = listed(todo, other)
    assert row["tags"] == "x;y"
    assert imported.exit_code == 0, imported.output
    assert (copy["tags"], copy["recurrence"]) == (["x", "y"], "FREQ=MONTHLY;BYMONTHDAY=-1")
    assert copy["remind_at"] == "2026-12-03T00:00:00.000000Z"


def test_changes_prints_json_lines_then_a_token_that_continues(todo: Todo, user: str) -> None:
    first = add(todo, user, "One")
    second = add(todo, user, "Two")

    everything = todo("tasks", "changes", "--user", user, "--limit", "1")
    *lines, token = everything.stdout.splitlines()
    todo("tasks", "rm", str(first["id"]), "--user", user)
    later = todo("tasks", "changes", "--user", user, "--since", token)
    *later_lines, next_token = later.stdout.splitlines()
    bad = todo("tasks", "changes", "--user", user, "--since", "nonsense")

    assert everything.exit_code == 0, everything.output
    assert [json.loads(line)["changed"]["id"] for line in lines] == [first["id"], second["id"]]
    assert [json.loads(line)["deleted"]["id"] for line in later_lines] == [first["id"]]
    assert next_token != token
    assert bad.exit_code == 1
    assert "since" in bad.stderr
