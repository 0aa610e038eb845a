"""What the pages people read show, as data: the README and every page under docs/, their fenced
blocks, the shell commands in them and the files they ask the reader to save.

The conventions a page follows (`docs/development.md` says them for writers):

- a block fenced as ```` ```sh ```` is run, line by line in page order, in a scratch folder of the
  page's own (see ``tests/test_docs.py``); a line's exit code must be 0, or the one its comment
  names: ``herald health   # exit 1: no engine has run here``;
- ```` ```sh no-run: REASON ```` is shown and not run (a service manager, a container tool, a real
  network); the reason is required and the ``herald`` commands in it are still parsed;
- ```` ```yaml file=PATH ```` (any language) is saved at PATH in the scratch folder before the
  blocks after it run, as the reader is asked to save it; ```` ```yaml append=PATH ```` is added at
  the end of PATH (a section the reader adds to a file they have);
- a command ending in ``&`` runs in the background until the page's end; the commands after it
  wait until the ``127.0.0.1:PORT`` it names answers.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^( *)(`{3,})(.*)$")  # indented in a list item, too
EXIT = re.compile(r"#\s*exit (\d+)\b")
NO_RUN = re.compile(r"^no-run:\s*(\S.*)$")


def pages() -> list[Path]:
    """The README and every page under docs/ (how-tos, reference, tutorial, architecture)."""
    return [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]


def name(page: Path) -> str:
    return str(page.relative_to(ROOT))


@dataclass
class Block:
    page: Path
    line: int  # the line of its opening fence, 1-based
    lang: str
    options: str  # the rest of the info string: "no-run: why", "file=PATH"
    text: str

    @property
    def where(self) -> str:
        return f"{name(self.page)}:{self.line}"

    @property
    def runs(self) -> bool:
        return self.lang == "sh" and not self.options

    @property
    def writes(self) -> tuple[str, str] | None:
        """``("file", PATH)`` or ``("append", PATH)``: the block is saved in the scratch folder."""
        match = re.fullmatch(r"(file|append)=(\S+)", self.options)
        return (match.group(1), match.group(2)) if match else None

    @property
    def no_run_reason(self) -> str | None:
        match = NO_RUN.match(self.options)
        return match.group(1) if self.lang == "sh" and match else None



def blocks(page: Path) -> list[Block]:
    """Every fenced block of a page, with its info string split into language and options (a
    block in a list item loses its indentation)."""
    found: list[Block] = []
    opened: tuple[int, str, str, int] | None = None
    body: list[str] = []
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), 1):
        fence = FENCE.match(line)
        if opened is None and fence:
            lang, _, options = fence.group(3).strip().partition(" ")
            opened, body = (number, lang, options.strip(), len(fence.group(1))), []
        elif opened is not None and fence and not fence.group(3).strip():
            found.append(Block(page, opened[0], opened[1], opened[2], "".join(body)))
            opened = None
        elif opened is not None:
            indent = opened[3]
            body.append((line[indent:] if not line[:indent].strip() else line.lstrip(" ")) + "\n")
    assert opened is None, f"{name(page)}:{opened[0]}: a fenced block is never closed"
    return found


@dataclass
class Command:
    block: Block
    line: int  # the page line it starts on
    text: str
    exit: int = 0
    background: bool = field(init=False)

    def __post_init__(self) -> None:
        self.background = self.text.rstrip().endswith("&") and not self.text.rstrip().endswith("&&")

    @property
    def where(self) -> str:
        return f"{name(self.block.page)}:{self.line}"


def commands(block: Block) -> list[Command]:
    """A shell block's commands: continuation lines joined, comment lines and blank ones left out;
    a trailing ``# exit N`` names the exit code the command must end with."""
    found: list[Command] = []
    pending: list[str] = []
    start = 0
    for offset, line in enumerate(block.text.splitlines(), block.line + 1):
        if not pending and (not line.strip() or line.lstrip().startswith("#")):
            continue
        if not pending:
            start = offset
        if line.rstrip().endswith("\\"):
            pending.append(line.rstrip()[:-1])
            continue
        text = " ".join(part.strip() for part in [*pending, line])
        pending = []
        expected = EXIT.search(_comment(text))
        found.append(Command(block, start, text, int(expected.group(1)) if expected else 0))
    assert not pending, f"{block.where}: a line ends in a backslash with nothing after it"
    return found


def _comment(text: str) -> str:
    """The trailing comment of a shell line (``#`` after a blank, outside quotes), or ''."""
    try:
        lexer = shlex.shlex(text, posix=True, punctuation_chars=True)
        lexer.commenters = ""
        tokens = list(lexer)
    except ValueError:
        return ""
    return " ".join(tokens[tokens.index("#"):]) if "#" in tokens else ""


SUBSTITUTION = re.compile(r"\$\(([^()]*)\)")
OPERATORS = {";", "&&", "||", "|", "&", "(", ")"}
HERALD = ("herald", ".venv/bin/herald", "/srv/herald/.venv/bin/herald")


def herald_argv(text: str) -> list[list[str]]:
    """The ``herald`` invocations of a command line (also after ``&&``, ``;``, ``|`` and inside
    ``$(…)``), as the argument lists after ``herald``, redirections left out, for the parser."""
    found = [argv for inner in SUBSTITUTION.findall(text) for argv in herald_argv(inner)]
    lexer = shlex.shlex(SUBSTITUTION.sub("VALUE", text), posix=True, punctuation_chars=True)
    lexer.whitespace_split, lexer.commenters = True, "#"
    try:
        tokens = list(lexer)
    except ValueError:
        return found
    words: list[str] = []
    redirected = False
    for token in [*tokens, ";"]:
        if token in OPERATORS:
            found += _invocation(words)
            words, redirected = [], False
        elif token[0] in "<>":  # `> plan.jsonl`, `2>&1`: the rest of this command is not its arguments
            words, redirected = words[:-1] if words and words[-1].isdigit() else words, True
        elif not redirected:
            words.append(token)
    return found


def _invocation(words: list[str]) -> list[list[str]]:
    while words and re.fullmatch(r"[A-Z_][A-Z0-9_]*=.*", words[0]):  # VAR=value herald …
        words = words[1:]
    return [words[1:]] if words and words[0] in HERALD else []
