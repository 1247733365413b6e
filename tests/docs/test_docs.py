"""The docs say only true things about the project, in English and in Japanese.

Checks README.md, README.ja.md, docs/*.md and apps/README*.md, reading text only
(no synth, no network):

- every ``make <target>`` they name is a target of the Makefile;
- every settings variable they name (``VAR=value``, or a row of a table whose first
  column is "Variable" / "変数") is read somewhere in the project;
- every repository path in backticks or in a link exists;
- every English doc has a Japanese twin (``X.md`` -> ``X.ja.md``) that names the same
  ``make`` targets and settings variables, and the two link to each other;
- every figure with a unit (``1.2 s``, ``100 MB``) quoted beside a mention of
  docs/performance.md is one that docs/performance.md states.

The extractors and checkers are small pure functions, tested on sample texts below.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Where settings are read: build files, code and workflows (never the docs or tests);
# apps/ reads the sample apps' own variables (PORT, BACKEND_URL ...).
READERS = ("Makefile", "main.py", "config", "tools", "scripts", ".github", "modules", "apps")
READER_SUFFIXES = {"", ".py", ".cjs", ".js", ".yml", ".yaml", ".toml", ".json", ".sh", ".cfg"}

# Variables that belong to the tools we run, not to this project: the docs may name
# them although no project file reads them.
FOREIGN_VARIABLES = {
    "AWS_PROFILE": "AWS SDKs and CLI: the named credentials profile",
    "TF_LOG": "Terraform's own log level",
    "TF_CLI_CONFIG_FILE": "Terraform's own CLI config file variable",
    "TF_STATE_PERSIST_INTERVAL": "Terraform's own state persistence interval",
    "NODE_OPTIONS": "Node.js's own command-line options variable",
    "JSII_RUNTIME_PACKAGE_CACHE": "the jsii runtime's package cache switch",
    "JSII_RUNTIME_PACKAGE_CACHE_ROOT": "the jsii runtime's package cache directory",
    "MOTO_IAM_LOAD_MANAGED_POLICIES": "moto's own switch for AWS managed policies",
}
# Named by the docs ahead of the change that introduces them (the local-endpoint work);
# drop each entry once the project reads the variable or holds the file.

# Paths that exist only after a command ran, or outside this repository.
GENERATED_PREFIXES = {
    "cdktf.out/": "synth output (git-ignored)",
    ".rehearsal/": "emulator and rehearsal runtime files (git-ignored)",
    ".terraform-cli/": "the CLI config tools/terraform.py writes (git-ignored)",
    ".cache/": "caches the synth and the benchmark write (git-ignored)",
    "plans/": "plan JSON written by the commands in docs/plan-review.md",
    "node_modules/": "npm install output, or a scratch directory in a measurement",
    "lib/": "inside the @cdktf/provider-aws npm package, not this repository",
    "cdktf_cdktf_provider_aws/": "inside the installed provider package (site-packages)",
    "_jsii/": "inside the installed provider package (site-packages)",
}

# A figure with a unit: "1.2 s", "~100 MB", "7.16x", "2,135 ms", "1.2 秒" (s after a digit
# only when no letter follows, so "3 stacks" is not a figure).
FIGURE = re.compile(r"(?<![\w.,])(\d+(?:[.,]\d+)*)\s?(ms|s|MB|GB|KB|x|%|ミリ秒|秒)(?![A-Za-z])")
UNIT_ALIASES = {"秒": "s", "ミリ秒": "ms"}
PERFORMANCE_DOCS = ("performance.md", "performance.ja.md")

SETTINGS_TABLE_HEADERS = {"variable", "変数", "環境変数", "setting", "設定"}
FILE_SUFFIX = re.compile(r"\.[A-Za-z0-9]+$")


# --- Extracting what a text names ----------------------------------------------------


def code_segments(text: str) -> list[str]:
    """Fenced code blocks, then inline code spans (which may wrap one line)."""
    fences = re.findall(r"^```[^\n]*\n(.*?)^```", text, flags=re.M | re.S)
    prose = re.sub(r"^```[^\n]*\n.*?^```", "", text, flags=re.M | re.S)
    spans = re.findall(r"`([^`\n]+(?:\n[^`\n]+)?)`", prose)
    return [*fences, *spans]


def makefile_targets(makefile: str) -> set[str]:
    """The targets a Makefile defines (``name: ...`` rules, not variables)."""
    return set(re.findall(r"^([a-z][a-z0-9_-]*)\s*:(?!=)", makefile, flags=re.M))


def make_targets(text: str) -> set[str]:
    """Targets of every ``make ...`` command in code: ``make deploy ENV=dev``,
    ``TARGET=aws make diff``, ``make deploy|diff`` and ``make deploy/diff``."""
    command = re.compile(
        r"(?:^|[\s;&|(])make\s+(?:[A-Z][A-Z0-9_]*=\S*\s+)*"
        r"([a-z][a-z0-9_-]*(?:[|/][a-z][a-z0-9_-]*)*)"
    )
    found: set[str] = set()
    for segment in code_segments(text):
        for match in command.finditer(segment):
            found.update(re.split(r"[|/]", match[1]))
    return found


def assigned_variables(text: str) -> set[str]:
    """Names written as ``VAR=value`` anywhere in the text."""
    pattern = r"(?<![\w$.-])([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*)=(?=[^=\s])"
    return set(re.findall(pattern, text))


def table_variables(text: str) -> set[str]:
    """First-column names of tables headed "Variable" (or "変数")."""
    found: set[str] = set()
    in_table = False
    for line in text.splitlines():
        if not line.startswith("|"):
            in_table = False
            continue
        first = line.strip("|").split("|")[0].strip()
        if first.lower() in SETTINGS_TABLE_HEADERS:
            in_table = True
        elif in_table:
            found.update(re.findall(r"^`([A-Z][A-Z0-9_]*)`", first))
    return found


def settings_variables(text: str) -> set[str]:
    return assigned_variables(text) | table_variables(text)


def linked_paths(text: str) -> set[str]:
    """Targets of Markdown links that point into the repository."""
    found = set()
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        if re.match(r"[a-z]+:|#", target):
            continue
        found.add(target.split("#")[0])
    return found


def backticked_paths(text: str) -> set[str]:
    """Inline code that looks like a repository path: ``config/loader.py``, ``tests/e2e``."""
    top_level = {p.name for p in ROOT.iterdir()}
    found = set()
    prose = re.sub(r"^```[^\n]*\n.*?^```", "", text, flags=re.M | re.S)
    for span in re.findall(r"`([^`\n]+)`", prose):
        path = span.split("::")[0]
        if "/" not in path or not re.fullmatch(r"[\w.][\w./-]*", path):
            continue
        first = path.split("/")[0]
        if first in top_level or path.endswith("/") or FILE_SUFFIX.search(path):
            found.add(path)
    return found


def figures(text: str) -> set[str]:
    """Every figure with a unit in ``text``, normalized: ``1.2 秒`` and ``1.2s`` -> ``1.2 s``."""
    return {f"{number} {UNIT_ALIASES.get(unit, unit)}" for number, unit in FIGURE.findall(text)}


def text_blocks(text: str) -> list[str]:
    """Paragraphs (split at blank lines); each table row is a block of its own."""
    blocks: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        lines = paragraph.splitlines()
        if lines and all(line.lstrip().startswith("|") for line in lines):
            blocks += lines
        else:
            blocks.append(paragraph)
    return blocks


def performance_quotes(text: str) -> set[str]:
    """The figures of every block that names or links docs/performance.md (or its twin)."""
    found: set[str] = set()
    for block in text_blocks(text):
        if any(name in block for name in PERFORMANCE_DOCS):
            found |= figures(block)
    return found


# --- Checking ------------------------------------------------------------------------


def unknown_targets(text: str, targets: set[str]) -> list[str]:
    return [
        f"`make {t}`: no such target in the Makefile"
        for t in sorted(make_targets(text))
        if t not in targets
    ]


def unread_variables(names: Iterable[str], sources: str, allowed: Mapping[str, str]) -> list[str]:
    return [
        f"{name}: read nowhere in the project"
        for name in sorted(names)
        if name not in allowed and not re.search(rf"\b{name}\b", sources)
    ]


def missing_paths(doc: Path, text: str, root: Path, allowed: Mapping[str, str]) -> list[str]:
    """Paths that exist neither beside the doc nor from the repository root."""
    findings = []
    for path in sorted(linked_paths(text) | backticked_paths(text)):
        if path in allowed or any(path.startswith(prefix) for prefix in allowed):
            continue
        if not ((doc.parent / path).exists() or (root / path).exists()):
            findings.append(f"{path}: no such file or directory")
    return findings


def twin_of(doc: Path) -> Path:
    return doc.with_name(doc.name.removesuffix(".md") + ".ja.md")


def twin_differences(english: str, japanese: str) -> list[str]:
    """What one of a twin pair names (targets, settings) and the other does not."""
    findings = []
    for kind, extract in (("make target", make_targets), ("setting", settings_variables)):
        en, ja = extract(english), extract(japanese)
        findings += [f"{kind} {name}: only in the English doc" for name in sorted(en - ja)]
        findings += [f"{kind} {name}: only in the Japanese doc" for name in sorted(ja - en)]
    return findings


def twin_link_missing(doc: Path, twin: Path, text: str) -> list[str]:
    head = "\n".join(text.splitlines()[:8])
    return [] if f"]({twin.name})" in head else [f"no link to {twin.name} at the top"]


def unmatched_performance_figures(text: str, performance: str) -> list[str]:
    """Figures quoted beside a mention of docs/performance.md that it does not state."""
    stated = figures(performance)
    return [
        f"{figure}: quoted beside docs/performance.md, which does not state it"
        for figure in sorted(performance_quotes(text))
        if figure not in stated
    ]


# --- The project's docs --------------------------------------------------------------


def project_docs(root: Path = ROOT) -> list[Path]:
    found = [root / "README.md", root / "README.ja.md"]
    return sorted([*found, *root.glob("docs/*.md"), *root.glob("apps/README*.md")])


def english_docs(root: Path = ROOT) -> list[Path]:
    return [d for d in project_docs(root) if not d.name.endswith(".ja.md")]


def reader_sources(root: Path = ROOT) -> str:
    """The text of every file that may read a setting."""
    texts = []
    for name in READERS:
        base = root / name
        files = [base] if base.is_file() else sorted(base.rglob("*"))
        for path in files:
            if path.is_file() and (path.suffix in READER_SUFFIXES or path.name == "Dockerfile"):
                texts.append(path.read_text(errors="replace"))
    return "\n".join(texts)


def doc_params(docs: list[Path]) -> list[object]:
    return [pytest.param(doc, id=str(doc.relative_to(ROOT))) for doc in docs]


@pytest.fixture(scope="module")
def targets() -> set[str]:
    return makefile_targets((ROOT / "Makefile").read_text())


@pytest.fixture(scope="module")
def sources() -> str:
    return reader_sources()


@pytest.mark.parametrize("doc", doc_params(project_docs()))
def test_every_make_target_named_exists(doc: Path, targets: set[str]) -> None:
    assert unknown_targets(doc.read_text(), targets) == []


@pytest.mark.parametrize("doc", doc_params(project_docs()))
def test_every_setting_named_is_read_by_the_project(doc: Path, sources: str) -> None:
    names = settings_variables(doc.read_text())
    allowed = FOREIGN_VARIABLES
    assert unread_variables(names, sources, allowed) == []


@pytest.mark.parametrize("doc", doc_params(project_docs()))
def test_every_path_named_exists(doc: Path) -> None:
    allowed = GENERATED_PREFIXES
    assert missing_paths(doc, doc.read_text(), ROOT, allowed) == []


@pytest.mark.parametrize("doc", doc_params(english_docs()))
def test_every_english_doc_has_a_japanese_twin(doc: Path) -> None:
    assert twin_of(doc).is_file(), f"{twin_of(doc).relative_to(ROOT)} is missing"


@pytest.mark.parametrize("doc", doc_params(english_docs()))
def test_twin_names_the_same_targets_and_settings(doc: Path) -> None:
    twin = twin_of(doc)
    if not twin.is_file():
        pytest.skip("no twin yet (reported by the twin test)")
    assert twin_differences(doc.read_text(), twin.read_text()) == []


@pytest.mark.parametrize("doc", doc_params(english_docs()))
def test_twins_link_to_each_other_at_the_top(doc: Path) -> None:
    twin = twin_of(doc)
    if not twin.is_file():
        pytest.skip("no twin yet (reported by the twin test)")
    findings = twin_link_missing(doc, twin, doc.read_text())
    findings += twin_link_missing(twin, doc, twin.read_text())
    assert findings == []


@pytest.mark.parametrize(
    "doc", doc_params([d for d in project_docs() if d.name not in PERFORMANCE_DOCS])
)
def test_figures_quoted_from_performance_md_match_it(doc: Path) -> None:
    performance = (ROOT / "docs" / "performance.md").read_text()
    assert unmatched_performance_figures(doc.read_text(), performance) == []


# --- The checkers themselves ---------------------------------------------------------

MAKEFILE = """\
ENV ?= dev
SHELL := /bin/bash
.PHONY: deploy diff
.venv/.installed: requirements.txt
\ttouch $@
deploy: install ## Deploy
\techo deploy
diff: install ## Diff
\techo diff
"""


def test_makefile_targets_are_rules_not_variables() -> None:
    assert makefile_targets(MAKEFILE) == {"deploy", "diff"}


def test_make_targets_are_read_from_commands_with_settings_and_lists() -> None:
    # GIVEN commands with settings before and after the target, and target lists
    text = "Run `TARGET=aws make deploy ENV=dev`, then `make diff|destroy` or `make a/b`."
    # THEN every listed target is found
    assert make_targets(text) == {"deploy", "diff", "destroy", "a", "b"}


def test_make_targets_are_read_from_code_blocks() -> None:
    assert make_targets("```sh\nmake rehearse   # one shot\n```\n") == {"rehearse"}


def test_make_in_prose_is_not_a_command() -> None:
    assert make_targets("These make sure nothing is left.") == set()


def test_a_command_split_over_two_lines_is_read() -> None:
    assert make_targets("see `make\nplan-summary PLAN=x.json` below") == {"plan-summary"}


def test_an_unknown_target_is_reported() -> None:
    # GIVEN a doc naming a target the Makefile lacks
    text = "Then run `make deploy` and `make no-such-target`."
    # WHEN it is checked against the Makefile's targets
    findings = unknown_targets(text, makefile_targets(MAKEFILE))
    # THEN exactly the unknown one is reported
    assert findings == ["`make no-such-target`: no such target in the Makefile"]


def test_assigned_variables_are_found_in_prose_and_code() -> None:
    text = "Set `TARGET=aws` and `TF_STATE_BUCKET=…`; `x=1`, `$HOME=/` and `a.B=1` are not."
    assert assigned_variables(text) == {"TARGET", "TF_STATE_BUCKET"}


def test_settings_table_rows_are_variables() -> None:
    text = (
        "| Variable | Default |\n|---|---|\n| `ENV` (make) | `dev` |\n| `ENVS` | x |\n\n"
        "| Check | Resource |\n|---|---|\n| `CKV_AWS_2` | x |\n"
    )
    assert table_variables(text) == {"ENV", "ENVS"}


def test_japanese_settings_table_rows_are_variables() -> None:
    assert table_variables("| 変数 | 既定値 |\n|---|---|\n| `PORT` | `3000` |\n") == {"PORT"}


def test_a_variable_nobody_reads_is_reported() -> None:
    # GIVEN sources that read TARGET only
    sources = 'target = environ.get("TARGET", "local")'
    # WHEN a doc names TARGET, NO_SUCH_SETTING and an allowed foreign variable
    findings = unread_variables(["TARGET", "NO_SUCH_SETTING", "TF_LOG"], sources, FOREIGN_VARIABLES)
    # THEN only the unknown one is reported
    assert findings == ["NO_SUCH_SETTING: read nowhere in the project"]


def test_a_variable_is_matched_as_a_whole_word() -> None:
    assert unread_variables(["ENV"], 'os.environ["ENVS"]', {}) == [
        "ENV: read nowhere in the project"
    ]


def test_paths_are_taken_from_backticks_and_links() -> None:
    text = (
        "See `config/environments.py`, `tests/e2e`, `tests/e2e/x.py::test_y`, "
        "[security](docs/security.md#controls) and [site](https://example.com/a.md); "
        "not `linux/amd64`, `<env>/<stack>.tfstate`, `~/.cache/x` or `s3:GetObject`."
    )
    assert linked_paths(text) | backticked_paths(text) == {
        "config/environments.py",
        "tests/e2e",
        "tests/e2e/x.py",
        "docs/security.md",
    }


def test_a_missing_path_is_reported(tmp_path: Path) -> None:
    # GIVEN a tree with docs/a.md and tools/real.py
    (tmp_path / "docs").mkdir()
    (tmp_path / "tools").mkdir()
    (tmp_path / "tools" / "real.py").write_text("")
    doc = tmp_path / "docs" / "a.md"
    # WHEN the doc names a real file, a sibling link, a missing file and a generated one
    text = "`tools/real.py`, [b](a.md), `tools/gone.py`, `cdktf.out/stacks/x/cdk.tf.json`"
    doc.write_text(text)
    findings = missing_paths(doc, text, tmp_path, GENERATED_PREFIXES)
    # THEN only the missing one is reported
    assert findings == ["tools/gone.py: no such file or directory"]


def test_twin_path_is_the_ja_md_beside_it() -> None:
    assert twin_of(Path("docs/emulator.md")) == Path("docs/emulator.ja.md")
    assert twin_of(Path("README.md")) == Path("README.ja.md")


def test_a_japanese_twin_missing_a_command_is_reported() -> None:
    # GIVEN an English doc naming two targets and a setting
    english = "Run `make deploy` then `make down`; `AUTO_APPROVE=1` skips the prompt."
    # AND a translation that lost `make down`
    japanese = "`make deploy` を実行します。`AUTO_APPROVE=1` で確認を省きます。"
    # THEN the difference is reported
    assert twin_differences(english, japanese) == ["make target down: only in the English doc"]


def test_a_japanese_twin_with_an_extra_setting_is_reported() -> None:
    findings = twin_differences("`make deploy`", "`TARGET=aws make deploy`")
    assert findings == ["setting TARGET: only in the Japanese doc"]


def test_a_missing_twin_link_is_reported() -> None:
    doc, twin = Path("docs/x.md"), Path("docs/x.ja.md")
    assert twin_link_missing(doc, twin, "# X\n\nNo link here.\n") == [
        "no link to x.ja.md at the top"
    ]
    assert twin_link_missing(doc, twin, "# X\n\n[日本語版](x.ja.md)\n") == []


def test_every_doc_is_collected() -> None:
    names = {str(d.relative_to(ROOT)) for d in english_docs()}
    assert {"README.md", "apps/README.md", "docs/emulator.md", "docs/security.md"} <= names


PERFORMANCE = "A dev synth takes 1.08 s and 101 MB; plain cdktf 7.75 s and 593 MB (7.16x).\n"


def test_figures_are_read_with_their_units() -> None:
    text = "~1.2 s, 100MB, 7.16x, 2,135 ms and 1.2 秒; not 3 stacks, v1.2 or 10.0.0.0/24."
    assert figures(text) == {"1.2 s", "100 MB", "7.16 x", "2,135 ms"}


def test_figures_beside_a_performance_link_are_quotes() -> None:
    # GIVEN a paragraph that links docs/performance.md and one that does not
    text = (
        "A synth takes 1.08 s ([docs/performance.md](docs/performance.md)).\n\n"
        "The rehearsal takes 187 s.\n"
    )
    # THEN only the linked paragraph's figures are quotes
    assert performance_quotes(text) == {"1.08 s"}


def test_each_table_row_is_its_own_block() -> None:
    text = "| Symptom | Fix |\n| --- | --- |\n| slow, 30 s | see performance.md |\n| 5 s | x |\n"
    assert performance_quotes(text) == {"30 s"}


def test_a_figure_performance_md_states_passes() -> None:
    text = "It takes 1.08 s and 101 MB (see docs/performance.md)."
    assert unmatched_performance_figures(text, PERFORMANCE) == []


def test_a_figure_performance_md_does_not_state_is_reported() -> None:
    # GIVEN a doc quoting 1.2 s and 9 s beside a link, while performance.md says 1.08 s, 7.75 s
    text = "A dev synth takes ~1.2 s instead of ~9 s ([performance](docs/performance.md))."
    # THEN both figures are reported
    assert unmatched_performance_figures(text, PERFORMANCE) == [
        "1.2 s: quoted beside docs/performance.md, which does not state it",
        "9 s: quoted beside docs/performance.md, which does not state it",
    ]


def test_a_japanese_quote_is_compared_in_seconds() -> None:
    text = "dev の synth は約 1.08 秒、約 101 MB です（[詳細](performance.ja.md)）。"
    assert unmatched_performance_figures(text, PERFORMANCE) == []
