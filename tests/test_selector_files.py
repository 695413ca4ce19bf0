"""Loading selector files: every mistake of a file is reported in one pass, each at the
``file:line:column`` of the key that is wrong, with a did-you-mean where one helps.

The broken files are in ``tests/corpus/selectors/``, each broken in one known way (its first
comment says which) and ``several_mistakes.yaml`` in many. Positions are computed from a
unique piece of text of the file, so the expectations say *where* as a reader would point.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from bots.errors import RecipeError, RecipeErrors
from bots.recipe.selectors import load_selectors

CORPUS = Path(__file__).resolve().parent / "corpus" / "selectors"
REPO = Path(__file__).resolve().parent.parent


def at(name: str, needle: str, message: str) -> str:
    """``name:line:column: message`` for the one occurrence of ``needle`` in the file."""
    text = (CORPUS / name).read_text(encoding="utf-8")
    assert text.count(needle) == 1, f"test setup: {needle!r} is not unique in {name}"
    before = text[: text.index(needle)]
    column = len(before) - (before.rfind("\n") + 1) + 1
    return f"{name}:{before.count(chr(10)) + 1}:{column}: {message}"


def problems(name: str) -> list[str]:
    with pytest.raises(RecipeError) as caught:
        load_selectors(CORPUS / name, name)
    return [str(p) for p in caught.value.problems]


URL_HINT = (
    "url 'login' must start with '/' (a path under the core system's address, e.g. '/login')"
    " or be a full http(s) URL"
)

ONE_MISTAKE = [
    (
        "unknown_strategy.yaml",
        'csss: "#user_id"',
        "unknown locator strategy 'csss' (did you mean 'css'?)",
    ),
    ("unknown_flag.yaml", "sensitve: true", "unknown flag 'sensitve' (did you mean 'sensitive'?)"),
    (
        "within_in_list.yaml",
        "within: result_row}",
        "'within: result_row' names no element of this screen (did you mean 'result_rows'?)",
    ),
    (
        "within_twice.yaml",
        "within: other_rows",
        "'within' is given twice with different elements ('result_rows', 'other_rows')",
    ),
    (
        "within_on_marker.yaml",
        "within: user_id",
        "'within' means nothing for 'marker': only an element of a screen's 'elements' can have it",
    ),
    (
        "name_without_role.yaml",
        "name: ログイン",
        "'name' is the accessible name of a 'role' strategy: add 'role' or remove 'name'",
    ),
    ("url_without_slash.yaml", "url: login", URL_HINT),
    ("unknown_screen_key.yaml", "urll: /login", "unknown screen key 'urll' (did you mean 'url'?)"),
    ("unknown_top_key.yaml", "interupts:", "unknown key 'interupts' (did you mean 'interrupts'?)"),
    ("login_unknown_screen.yaml", "screen: signin", "unknown screen 'signin'"),
    (
        "login_unknown_element.yaml",
        "user: user\n",
        "unknown login element 'user' (did you mean 'user_id'?)",
    ),
    ("unclosed_quote.yaml", "xpath: ", "'xpath' has a quote that is never closed"),
    (
        "bad_placeholder.yaml",
        '"#child_{0}"',
        "bad placeholder in 'css': '{0}' is not a name of a value, like '{index}'",
    ),
]


@pytest.mark.parametrize(
    ("name", "needle", "message"), ONE_MISTAKE, ids=[m[0] for m in ONE_MISTAKE]
)
def test_a_file_broken_in_one_way_reports_exactly_that(
    name: str, needle: str, message: str
) -> None:
    with pytest.raises(RecipeError) as caught:
        load_selectors(CORPUS / name, name)

    assert str(caught.value) == at(name, needle, message)
    assert caught.value.problems == [caught.value]


def test_a_mistyped_login_key_is_named_and_the_missing_one_too() -> None:
    name = "unknown_login_key.yaml"

    assert problems(name) == [
        at(name, "screen: login\n", "missing 'submit'"),
        at(name, "sumbit: submit", "unknown login key 'sumbit' (did you mean 'submit'?)"),
    ]


def test_every_mistake_of_a_file_is_reported_in_one_pass() -> None:
    name = "several_mistakes.yaml"

    with pytest.raises(RecipeErrors) as caught:
        load_selectors(CORPUS / name, name)

    expected = [
        at(name, "titel:", "unknown key 'titel' (did you mean 'title'?)"),
        at(name, "password: pasword", "unknown login element 'pasword' (did you mean 'password'?)"),
        at(name, "url: login", URL_HINT),
        at(
            name,
            "navigates: true",
            "'navigates' means nothing for 'marker': only an element of a screen's 'elements'"
            " can have it",
        ),
        at(name, 'csss: "#user_id"', "unknown locator strategy 'csss' (did you mean 'css'?)"),
        at(name, "frame: 5", "screens.search.frame: Input should be a valid string"),
        at(
            name,
            "within: result_row}",
            "'within: result_row' names no element of this screen (did you mean 'result_rows'?)",
        ),
        at(name, "sensitve: true", "unknown flag 'sensitve' (did you mean 'sensitive'?)"),
        at(name, "[]", "element has no locator strategy"),
        at(name, "bad: 12", "an element is a CSS string, a mapping or a list"),
        at(name, "windw: lookup", "unknown screen key 'windw' (did you mean 'window'?)"),
        at(
            name,
            "within: result_rows}",
            "'within' means nothing for 'busy': only an element of a screen's 'elements'"
            " can have it",
        ),
        at(name, '{detect: "#notice"', "missing 'close'"),
        at(name, "clos:", "unknown interrupt key 'clos' (did you mean 'close'?)"),
    ]
    assert [str(p) for p in caught.value.problems] == expected
    assert str(caught.value) == "\n".join(expected)
    assert caught.value.pos is not None and caught.value.pos.line == 3  # the first problem's


def test_flags_in_the_list_form_hold_for_the_element() -> None:
    sel = load_selectors(CORPUS / "valid.yaml")
    search = sel.screens["search"].elements

    assert search["search"].navigates
    assert search["toast"].latest
    assert search["result_name"].within == "result_rows"
    assert [s.kind for s in search["result_name"].strategies] == ["css", "column"]
    assert sel.screens["login"].elements["password"].sensitive
    assert not search["hospital"].sensitive and not search["hospital"].latest


def test_strategies_keep_the_order_the_file_writes_them(tmp_path: Path) -> None:
    path = tmp_path / "order.yaml"
    text = (CORPUS / "valid.yaml").read_text(encoding="utf-8")
    path.write_text(
        text.replace('{css: "#user_id", label: 職員ID}', '{label: 職員ID, css: "#user_id"}'),
        encoding="utf-8",
    )

    user = load_selectors(path).screens["login"].elements["user_id"]

    assert [s.describe() for s in user.strategies] == ["label='職員ID'", "css='#user_id'"]


def test_login_none_is_a_system_without_a_log_in_screen(tmp_path: Path) -> None:
    path = tmp_path / "open.yaml"
    text = (CORPUS / "valid.yaml").read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "login: {screen: login, user: user_id, password: password, submit: submit}",
            "login: none",
        ),
        encoding="utf-8",
    )

    assert load_selectors(path).login is None


@pytest.mark.parametrize("login", ["login: [login]", "login:"], ids=["list", "empty"])
def test_login_of_another_shape_is_refused_with_the_alternative(tmp_path: Path, login: str) -> None:
    path = tmp_path / "odd.yaml"
    text = (CORPUS / "valid.yaml").read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "login: {screen: login, user: user_id, password: password, submit: submit}", login
        ),
        encoding="utf-8",
    )

    with pytest.raises(RecipeError) as caught:
        load_selectors(path, "odd.yaml")

    assert str(caught.value) == (
        "odd.yaml:4:1: 'login' is a mapping {screen, user, password, submit},"
        " or 'none' for a system without a log-in screen"
    )


def test_an_absolute_url_is_a_valid_screen_url(tmp_path: Path) -> None:
    path = tmp_path / "abs.yaml"
    text = (CORPUS / "valid.yaml").read_text(encoding="utf-8")
    path.write_text(text.replace("url: /search", "url: https://lookup.example/search"), "utf-8")

    assert load_selectors(path).screens["search"].url == "https://lookup.example/search"


@pytest.mark.parametrize("name", ["kosodate", "kaigo", "boshi"])
def test_the_shipped_selector_files_load(name: str) -> None:
    sel = load_selectors(REPO / "selectors" / f"{name}.yaml")

    assert sel.system == name
    assert sel.login is not None and sel.login.screen in sel.screens
