"""MMEngine's text placeholders: predefined and environment variables substituted in
the text, ``{{_base_.a.b}}`` turned into same-length markers and, once the file is
evaluated, the markers replaced by the bases' values."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Callable, Iterator
from typing import Any, NamedTuple

from initcfg.config.evaluator import LocTable
from initcfg.config.loaded import _Context
from initcfg.config.redact import EnvValue
from initcfg.diagnostics import Diagnostic, Location, diagnostic, did_you_mean

_PREDEFINED = re.compile(
    r"\{\{\s*(fileDirname|fileBasename|fileBasenameNoExtension|fileExtname)\s*\}\}"
)
_ENVIRON = re.compile(r"\{\{['\"]?\s*\$(\w+)\s*\:\s*(\S*?)\s*['\"]?\}\}")
"""MMEngine's pattern for ``{{$NAME:default}}``: the specification of
:func:`_environment_placeholders`, which finds the same matches in linear time."""
# The part of _ENVIRON before the default; it cannot run past the next `{`, so trying
# it at every `{{` reads each character a bounded number of times.
_ENVIRON_HEAD = re.compile(r"\{\{['\"]?\s*\$(\w+)\s*\:\s*")
_SPACE = re.compile(r"\s")
_ENVIRON_TAIL_AFTER_SPACE = re.compile(r"\s+['\"]?\}\}")
_BASE_VAR = re.compile(r"\{\{\s*_base_\.([\w\.]+)\s*\}\}")
_MARKER_NUMBERS = itertools.count()


# A NamedTuple rather than a dataclass: defining it costs a tenth as much at import,
# which every `initcfg validate` pays (issue 15).
class Placeholder(NamedTuple):
    """A ``{{_base_.a.b}}`` placeholder, replaced in the text by ``marker``."""

    dotted: str
    location: Location


def preprocess(
    text: str, path: str, environment: list[EnvValue] | None = None
) -> tuple[str, dict[str, Placeholder], list[Diagnostic]]:
    """MMEngine's text substitutions, in its order: predefined variables, environment
    variables, then ``{{_base_.x}}`` placeholders turned into same-length string markers.

    Each value taken from the environment (not a placeholder's default) is added to
    ``environment``, so that diagnostics can show the placeholder instead."""
    problems: list[Diagnostic] = []
    if "{{" not in text:
        return text, {}, problems
    names = {
        "fileDirname": os.path.dirname(path),
        "fileBasename": os.path.basename(path),
        "fileBasenameNoExtension": os.path.splitext(os.path.basename(path))[0],
        "fileExtname": os.path.splitext(path)[1],
    }
    text = _PREDEFINED.sub(lambda m: names[m.group(1)].replace("\\", "/"), text)

    env_offsets = _Offsets(text, path)
    if "$" in text:
        substitutions = _Environment(problems, path, environment)
        pieces: list[str] = []
        done = 0
        for start, end, name, default in _environment_placeholders(text):
            pieces.append(text[done:start])
            pieces.append(
                substitutions.value(name, default, text[start:end], env_offsets, start)
            )
            done = end
        pieces.append(text[done:])
        text = "".join(pieces)
    placeholders: dict[str, Placeholder] = {}
    by_name: dict[str, str] = {}

    def base_var(match: re.Match[str]) -> str:
        width = match.end() - match.start()
        dotted = match.group(1)
        marker = by_name.get(dotted)
        if marker is None:
            # Numbered across the process, not per file: a base's value may carry its
            # own leftover marker (IC216 there) into a child, where a per-file number
            # would name one of the child's placeholders.
            inner = f"@ph{next(_MARKER_NUMBERS)}@"
            marker = by_name[dotted] = inner + "@" * max(0, width - 2 - len(inner))
            placeholders[marker] = Placeholder(dotted, base_offsets.location(match.start()))
        # The marker keeps the placeholder's width where it can, so columns after it on
        # the line stay right; each occurrence of one name shares the marker.
        return f'"{marker}"'

    base_offsets = _Offsets(text, path)
    text = _BASE_VAR.sub(base_var, text)
    return text, placeholders, problems


# Characters that make a default mean more than itself in the regular expression
# MMEngine builds from it; a `.` is handled as MMEngine's regex reads it, a wildcard, and
# `{`, `}` and `]` are plain characters there unless they make a repeat count (`a{2}`).
_REGEX_SPECIAL = re.compile(r"[\^$*+?\[\\|()]")


def _special(default: str) -> bool:
    """Whether MMEngine's regular expression reads ``default`` as more than its text
    (a `.` aside): a repeat count no longer matches the text it is written as."""
    if _REGEX_SPECIAL.search(default) is not None:
        return True
    if "{" not in default:
        return False
    try:
        return re.fullmatch(default.replace(".", "\\."), default) is None
    except (re.error, OverflowError):  # a count out of order or too large
        return True


# What comparing placeholders with the wildcard defaults before them may cost: characters
# matched in all, and the longest placeholder compared (a run of spaces in one makes
# the match quadratic). Configs stay far below; past either the load is refused (IC214).
_MAX_WILDCARD_WORK = 1_000_000
_MAX_WILDCARD_WIDTH = 1_000


class _Environment:
    """The value MMEngine puts in place of each ``{{$NAME:default}}`` of one file.

    MMEngine takes every match of its pattern in turn and replaces, with ``re.sub``,
    whatever a regular expression built from the match's own text finds: the default is
    written into that expression unescaped, and the value (the variable's, or else the
    default) is ``re.sub``'s replacement template. So a backslash in the value is an
    escape (``\\n`` a newline, ``\\d`` an error), a default that is no valid regular
    expression is an error, and a default with a ``.`` also replaces a later placeholder
    of the same variable that the wildcard matches (with the first one's value). A
    default with other special characters (``a+b``, ``x\\y``) is refused: MMEngine's
    expression does not find the placeholder as written (or fails), and initcfg does not
    run an expression a config wrote."""

    __slots__ = ("_found", "_order", "_path", "_problems", "_recorded", "_wildcards", "_work")

    def __init__(
        self, problems: list[Diagnostic], path: str, recorded: list[EnvValue] | None
    ) -> None:
        self._problems = problems
        self._path = path
        # Where each value set in the environment went, one per placeholder (its line).
        self._recorded = recorded
        # (name, default) → the value, or None where it is reported.
        self._found: dict[tuple[str, str], str | None] = {}
        # (name, default) → its place in MMEngine's order (its first placeholder's).
        self._order: dict[tuple[str, str], int] = {}
        # Per name, the wildcard defaults met so far, in order, and their regular
        # expressions once one is needed.
        self._wildcards: dict[str, list[list[Any]]] = {}
        self._work = 0

    def value(self, name: str, default: str, written: str, offsets: _Offsets, offset: int) -> str:
        """What MMEngine writes in place of ``written``, the placeholder at ``offset``;
        ``written`` itself where that is reported."""
        set_to = os.environ.get(name)
        if set_to and self._recorded is not None:
            line = offsets.location(offset).line or 1
            self._recorded.append(EnvValue(set_to, f"{{{{${name}}}}}", self._path, line))
        key = (name, default)
        order = self._order.setdefault(key, len(self._order))
        for wildcard in self._wildcards.get(name, ()):
            earlier = wildcard[0]
            if self._order[(name, earlier)] >= order or self._work > _MAX_WILDCARD_WORK:
                break  # the rest came later than this placeholder's default
            self._work += len(written)
            if len(written) > _MAX_WILDCARD_WIDTH or self._work > _MAX_WILDCARD_WORK:
                self._work = _MAX_WILDCARD_WORK + 1
                self._problems.append(
                    diagnostic(
                        "IC214", "the config is too large to load: too many environment "
                        "placeholders to compare with the wildcard defaults (a '.') before them",
                        hint="configs use a few placeholders; see `initcfg explain IC214`",
                    ).at(offsets.location(offset))
                )
                break
            if wildcard[1] is None:
                wildcard[1] = re.compile(_mmengine_pattern(name, earlier))
            if wildcard[1].fullmatch(written):
                taken = self._found[(name, earlier)]
                # MMEngine still reaches this default in its turn, and fails where it
                # cannot use it, though nothing is left for it to replace.
                if key not in self._found:
                    self._found[key] = self._resolve(
                        name, default, lambda: offsets.location(offset), taken=True
                    )
                return written if taken is None else taken
        if key not in self._found:
            self._found[key] = self._resolve(name, default, lambda: offsets.location(offset))
        found = self._found[key]
        return written if found is None else found

    def _resolve(
        self, name: str, default: str, where: Callable[[], Location], taken: bool = False
    ) -> str | None:
        """The value MMEngine substitutes for ``{{$name:default}}`` (None where that is
        reported); ``taken`` where a wildcard default before it replaced its placeholders
        already, so only what makes MMEngine fail is reported."""
        if _special(default):
            try:
                re.compile(_mmengine_pattern(name, default))
            except (re.error, OverflowError) as error:
                message = error.msg if isinstance(error, re.error) else str(error)
                reason = f"is not a valid one ({message}): MMEngine fails"
            else:
                if taken:
                    return None
                reason = "has characters special there: MMEngine does not find this " \
                    "placeholder as written and leaves it in the config"
            self._refuse(
                f"MMEngine reads the default of {{{{${name}:...}}}} as a regular expression, "
                f"and {default!r} {reason}", where, name,
            )
            return None
        if "." in default:
            self._wildcards.setdefault(name, []).append([default, None])
        value = os.environ.get(name, default)
        if not value:
            self._problems.append(
                diagnostic(
                    "IC205", f"environment variable {name} is not set and the placeholder "
                    "gives no default",
                    hint=f"set {name}, or write {{{{${name}:default}}}}",
                ).at(where())
            )
            return None
        try:
            # The template expanded at the one (empty) match of an empty text.
            return _EMPTY.sub(value, "", count=1)
        except re.error as error:
            source = f"environment variable {name}" if name in os.environ else "the default"
            self._refuse(
                f"the value {value!r} of {{{{${name}:...}}}} ({source}) is a replacement "
                f"template for MMEngine, where a backslash starts an escape, and this one "
                f"fails ({error.msg}): MMEngine cannot load the config", where, name,
                hint="double each backslash (\\\\) or use forward slashes",
            )
            return None

    def _refuse(
        self, message: str, where: Callable[[], Location], name: str, hint: str | None = None
    ) -> None:
        self._problems.append(
            diagnostic(
                "IC205", message,
                hint=hint or f"write a default of letters, digits, _ - / : ., or set {name}",
            ).at(where())
        )


def _mmengine_pattern(name: str, default: str) -> str:
    """The regular expression MMEngine builds for one ``{{$name:default}}``."""
    return r"\{\{['\"]?\s*\$" + name + r"\s*\:\s*" + default + r"\s*['\"]?\}\}"


_EMPTY = re.compile("")


def _environment_placeholders(text: str) -> Iterator[tuple[int, int, str, str]]:
    """``(start, end, name, default)`` of each match of :data:`_ENVIRON` that
    ``_ENVIRON.sub`` replaces, in order, found in time linear in ``text``.

    The regex's lazy default (``\\S*?``) is tried against every later position of the
    non-space run it starts in, from every ``{{`` inside that run: a line of 40,000
    ``{{$a:`` (200 kB) took it minutes. Here the default ends where the regex's would,
    at the first place its tail (``\\s*['"]?}}``) can match: the run's first ``}}``
    (one character earlier when a quote stands before it), or the run's end when
    spaces, an optional quote and ``}}`` follow. The first ``}}`` and the first space at
    or after a position are searched again only once a default starts past them, so
    every character is read a bounded number of times; so is the tail after a space,
    which all the defaults of one run share.
    """
    braces = space = -1  # where the last searches found `}}` and a space (-1: none yet)
    tail_at = -1  # the space the tail was last matched at, and what it matched
    tail: re.Match[str] | None = None
    position = 0
    size = len(text)
    while (head := _ENVIRON_HEAD.search(text, position)) is not None:
        default_start = head.end()
        if braces < default_start:
            found = text.find("}}", default_start)
            braces = found if found >= 0 else size
        if space < default_start:
            blank = _SPACE.search(text, default_start)
            space = blank.start() if blank is not None else size
        if braces < space:
            default_end = braces
            if braces > default_start and text[braces - 1] in "'\"":
                default_end = braces - 1
            end = braces + 2
        else:
            if tail_at != space:
                tail_at, tail = space, _ENVIRON_TAIL_AFTER_SPACE.match(text, space)
            if tail is None:
                position = head.start() + 1
                continue
            default_end, end = space, tail.end()
        yield head.start(), end, head.group(1), text[default_start:default_end]
        position = end


def _offset_location(text: str, offset: int, path: str) -> Location:
    line = text.count("\n", 0, offset) + 1
    start = text.rfind("\n", 0, offset) + 1
    return Location(path, line, offset - start + 1)


class _Offsets:
    """Locations of offsets into one text, asked for in increasing order (as ``re.sub``
    finds its matches): each reads only the text since the previous one, so a file of
    many placeholders is read once, not once per placeholder."""

    __slots__ = ("_line", "_offset", "_path", "_start", "_text")

    def __init__(self, text: str, path: str) -> None:
        self._text = text
        self._path = path
        self._offset = 0
        self._line = 1
        self._start = 0

    def location(self, offset: int) -> Location:
        if offset < self._offset:
            return _offset_location(self._text, offset, self._path)
        text = self._text
        self._line += text.count("\n", self._offset, offset)
        newline = text.rfind("\n", self._offset, offset)
        if newline >= 0:
            self._start = newline + 1
        self._offset = offset
        return Location(self._path, self._line, offset - self._start + 1)


def substitute(
    names: dict[str, Any],
    placeholders: dict[str, Placeholder],
    base: dict[str, Any] | None,
    table: LocTable,
    context: _Context,
) -> None:
    """Replace placeholder markers that ended up as values by the bases' values.

    Like MMEngine, only markers that are dict values or list and tuple items are
    replaced (after the file is evaluated), and a missing name is reported only then.
    A container holding a marker is replaced by a copy, never changed: the file's
    values may be shared with the cached bases. The bases' values are put in as they
    are, shared too, since nothing changes a loaded value afterwards (the merge builds
    new dicts), and the final result is copied whole.
    """

    def lookup(marker: str) -> tuple[bool, Any]:
        placeholder = placeholders[marker]
        node: Any = base
        walked: list[str] = []
        for part in placeholder.dotted.split("."):
            if not isinstance(node, dict) or part not in node:
                keys = [str(k) for k in node] if isinstance(node, dict) else []
                where = ".".join(["_base_", *walked])
                reason = (
                    "the config has no bases" if base is None
                    else f"{where} has no key {part!r}"
                )
                context.report(
                    diagnostic(
                        "IC205", f"placeholder {{{{_base_.{placeholder.dotted}}}}} cannot be "
                        f"substituted: {reason}", hint=did_you_mean(part, keys),
                    ).at(placeholder.location)
                )
                return False, None
            node = node[part]
            walked.append(part)
        return True, node

    def substituted(value: Any) -> Any:
        """``value`` with its markers replaced: the same object when it holds none."""
        kind = type(value)
        if kind is str:
            if value in placeholders:
                found, replacement = lookup(value)
                return replacement if found else value
            return value
        if isinstance(value, dict):
            changed: dict[Any, Any] | None = None
            for key, child in value.items():
                new = substituted(child)
                if new is not child:
                    if changed is None:
                        changed = kind(value)
                        table.share(changed, value)
                    changed[key] = new
            return value if changed is None else changed
        if kind is list or kind is tuple:
            items = [substituted(child) for child in value]
            if all(new is old for new, old in zip(items, value, strict=True)):
                return value
            rebuilt = items if kind is list else tuple(items)
            table.share(rebuilt, value)
            return rebuilt
        return value

    for key, value in list(names.items()):
        names[key] = substituted(value)
    _report_embedded(names, placeholders, context, base)


_MARKER_INNER = re.compile(r"@ph(\d+)@")


def _report_embedded(
    names: dict[str, Any], placeholders: dict[str, Placeholder], context: _Context,
    base: dict[str, Any] | None,
) -> None:
    """IC216 for each placeholder whose marker survives inside a longer string or as a
    dict key: written in quotes (``'{{_base_.lr}}'``, ``'pre_{{_base_.lr}}'``) or in an
    expression (``{{_base_.lr}} * 2``). MMEngine substitutes only a placeholder that is a
    whole value; elsewhere it leaves its own random text (``"_lr_3f2a1c"``), which no
    run can mean. So does a whole-value placeholder in a set, or one the file stores
    into its bases' values. A marker that is still a whole value of the file's own values
    is one IC205 reported already.

    Each container is walked once (values may be shared), and only for a file that has
    placeholders."""
    by_index = {
        int(match.group(1)): placeholder
        for marker, placeholder in placeholders.items()
        if (match := _MARKER_INNER.match(marker)) is not None
    }
    found: set[int] = set()

    def look(text: str, whole_allowed: bool) -> None:
        if "@ph" not in text or (whole_allowed and text in placeholders):
            return
        for match in _MARKER_INNER.finditer(text):
            index = int(match.group(1))
            if index in by_index:
                found.add(index)

    seen: set[int] = set()
    # (value, whether MMEngine substitutes it where it is a whole marker): it does in the
    # file's own values, dicts, lists and tuples, never in a set or in a base's values
    # (which the file changed in place: `_base_.model.x = {{_base_.lr}}`).
    pending: list[tuple[Any, bool]] = [(value, True) for value in names.values()]
    for key in names:  # a YAML or JSON file's top-level key may be a placeholder
        look(key, whole_allowed=False)
    if base is not None:
        pending.extend((value, False) for value in base.values())
    while pending:
        value, substituted = pending.pop()
        if isinstance(value, str):
            look(value, whole_allowed=substituted)
            continue
        if not isinstance(value, dict | list | tuple | set | frozenset) or id(value) in seen:
            continue
        seen.add(id(value))
        if isinstance(value, dict):
            for key, child in value.items():
                if isinstance(key, str):
                    look(key, whole_allowed=False)  # MMEngine never substitutes a key
                pending.append((child, substituted))
        else:
            inside = substituted and isinstance(value, list | tuple)
            pending.extend((child, inside) for child in value)
    for index in sorted(found):
        placeholder = by_index[index]
        dotted = placeholder.dotted
        context.report(
            diagnostic(
                "IC216", f"placeholder {{{{_base_.{dotted}}}}} is not a whole value of the "
                "file's own values (it is in a string, an expression, a key, a set, or a "
                "base's value), so MMEngine does not substitute it: it leaves its own random text "
                f"(\"_{dotted}_\" and six hex digits) in the value",
                hint=f"write it unquoted as the whole value (x = {{{{_base_.{dotted}}}}}), "
                f"or compute with the base's value as _base_.{dotted}",
            ).at(placeholder.location)
        )
