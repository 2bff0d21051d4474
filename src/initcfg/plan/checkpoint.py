"""Checkpoint resolution, weights-only reading and key selection: what planning reads.

Reading a checkpoint is not executing a plan, so it lives here; the backend loads
the selected tensors into a model (:func:`initcfg.backend.torch._checkpoint.load_into`).

Reading always uses ``torch.load(..., weights_only=True)``: a checkpoint that pickles
arbitrary Python objects is refused with a :class:`CheckpointError` saying so. The one
exception is the handful of objects MMEngine itself writes into every checkpoint (its
message hub's ``HistoryBuffer``, holding numpy arrays): :func:`mmengine_checkpoint_globals`
allowlists exactly those, so a checkpoint MMEngine wrote loads without unpickling
anything else. Key
handling follows MMEngine's ``Pretrained``: without a prefix a leading ``module.`` is
stripped; with one, only the keys under it are kept (prefix removed).
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import pickle
import re
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, ClassVar, cast

import torch

from initcfg.config.files import not_a_regular_file
from initcfg.errors import CheckpointError

StateDict = dict[str, torch.Tensor]
_MODULE_PREFIX = re.compile(r"^module\.")
# Runner.load_checkpoint (load_from and resume) revises keys with r'^module.', the dot
# unescaped: one character of any kind after 'module' goes too, so the keys of a child
# named 'module_list' lose 'module_' and no longer fit the model.
_RUNNER_MODULE_PREFIX = re.compile(r"^module.")
_URL_SCHEMES = ("http://", "https://")


@dataclass(slots=True)
class LoadResult:
    """What a non-strict load did: keys loaded, and the three kinds of misfit.

    ``mismatched`` holds ``(key, checkpoint shape, model shape)``; such tensors are
    skipped, as MMEngine skips them.
    """

    loaded: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    unexpected: list[str] = field(default_factory=list)
    mismatched: list[tuple[str, tuple[int, ...], tuple[int, ...]]] = field(default_factory=list)


def _mmengine_hub_table(name: str) -> dict[str, str]:
    try:
        import mmengine  # type: ignore[import-untyped]
    except ImportError:
        return {}
    path = Path(mmengine.__path__[0]) / "hub" / name
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in table.items()} if isinstance(table, dict) else {}


def _torchvision_url(model_name: str) -> str | None:
    """The URL of torchvision's weights ``model_name``; None when torchvision is not
    installed or has no such weights.

    Raises:
        CheckpointError: torchvision is installed but fails to import.
    """
    try:
        from torchvision import models  # type: ignore[import-not-found, import-untyped, unused-ignore]
    except ImportError:
        return None
    except Exception as error:  # any failure of its import code is reported
        # A torchvision built for another torch registers its ops against torch's C++
        # library at import and raises RuntimeError there; that is no fault of the model.
        hint = (
            ": the installed torchvision was built for another torch than "
            f"{torch.__version__}; install the torchvision release made for it"
            if "torchvision::" in str(error) else ""
        )
        raise CheckpointError(
            f"cannot resolve 'torchvision://{model_name}': importing torchvision failed "
            f"({type(error).__name__}: {error}){hint}"
        ) from error
    stem, _, variant = model_name.partition(".")
    try:
        weights = models.get_model_weights(stem)
    except (ValueError, KeyError):
        return None
    chosen = weights.DEFAULT if not variant or variant == "default" else None
    for member in weights:
        if member.name.lower() == variant.lower():
            chosen = member
    return None if chosen is None else str(chosen.url)


def resolve_checkpoint(checkpoint: str) -> str:
    """A URL or local path for ``checkpoint``, schemes like ``torchvision://`` resolved.

    Raises:
        CheckpointError: The scheme is unknown or the name cannot be resolved here.
    """
    if checkpoint.startswith(_URL_SCHEMES):
        return checkpoint
    for scheme in ("torchvision://", "modelzoo://"):
        if checkpoint.startswith(scheme):
            name = checkpoint[len(scheme) :]
            url = _torchvision_url(name)
            if url is None:
                raise CheckpointError(
                    f"cannot resolve {checkpoint!r}: torchvision is not installed or has no "
                    f"weights named {name!r}; give the https:// URL of the weights instead"
                )
            return url
    for scheme in ("open-mmlab://", "openmmlab://"):
        if checkpoint.startswith(scheme):
            name = checkpoint[len(scheme) :]
            name = _mmengine_hub_table("deprecated.json").get(name, name)
            url = _mmengine_hub_table("openmmlab.json").get(name)
            if url is None or not url.startswith(_URL_SCHEMES):
                raise CheckpointError(
                    f"cannot resolve {checkpoint!r}: the open-mmlab model table (shipped with "
                    "mmengine) is not installed or does not list it; give the https:// URL"
                )
            return url
    found = re.match(r"^([A-Za-z][A-Za-z0-9+.-]*)://", checkpoint)
    if found:
        raise CheckpointError(
            f"checkpoint {checkpoint!r} uses the scheme {found.group(1)!r}, which initcfg "
            "cannot load; use a local path, an http(s):// URL, torchvision:// or open-mmlab://"
        )
    return checkpoint


# MMEngine's runner stores its message hub in every checkpoint: ``HistoryBuffer``
# objects whose state holds numpy arrays and scalars, and a table of statistics methods
# pickled as ``getattr(HistoryBuffer, 'mean')``. These are the only globals besides
# torch's own that such a checkpoint holds (torch.serialization.get_unsafe_globals_in_
# checkpoint lists them), so they are the only ones allowed.
HISTORY_BUFFER = "mmengine.logging.history_buffer.HistoryBuffer"
_HISTORY_STATISTICS = frozenset({"min", "max", "current", "mean"})
# numpy 2 moved numpy.core to numpy._core; a checkpoint names whichever wrote it.
_NUMPY_CORE_NAMES = ("numpy.core.multiarray", "numpy._core.multiarray")
Allowed = tuple[Callable[..., Any], str]


class HistoryBufferState:
    """Stands in for MMEngine's ``HistoryBuffer`` when only the state dict is wanted.

    It receives the buffer's pickled attributes and does nothing with them; no code of
    MMEngine runs, and MMEngine need not be installed.
    """

    _statistics_methods: ClassVar[dict[str, str]] = {}


def _statistics_getattr(history_buffer: type) -> Callable[[Any, str], Any]:
    """``getattr`` restricted to what a HistoryBuffer's pickled state asks for: one of
    its statistics methods, looked up on the HistoryBuffer class itself."""
    known = _HISTORY_STATISTICS | set(getattr(history_buffer, "_statistics_methods", {}))

    def restricted_getattr(owner: Any, name: str) -> Any:
        if owner is not history_buffer or name not in known:
            raise pickle.UnpicklingError(
                f"refusing getattr({owner!r}, {name!r}): an MMEngine checkpoint only "
                f"looks up the statistics methods of {HISTORY_BUFFER}"
            )
        if history_buffer is HistoryBufferState:
            return name
        return getattr(history_buffer, name)

    return restricted_getattr


def _numpy_globals() -> list[Allowed]:
    try:
        numpy = importlib.import_module("numpy")
    except ImportError:
        return []
    core = getattr(numpy, "_core", None) or numpy.core
    multiarray = core.multiarray
    allowed: list[Allowed] = [(numpy.ndarray, "numpy.ndarray"), (numpy.dtype, "numpy.dtype")]
    for module in _NUMPY_CORE_NAMES:
        allowed.append((multiarray._reconstruct, f"{module}._reconstruct"))
        allowed.append((multiarray.scalar, f"{module}.scalar"))
    # Since numpy 1.25 every dtype instance has its own class (Float64DType, ...); the
    # unpickler restores a dtype's state only when that class is allowed too.
    dtype_classes = getattr(numpy, "dtypes", None)
    for name in dir(dtype_classes) if dtype_classes is not None else ():
        value = getattr(dtype_classes, name)
        if isinstance(value, type) and issubclass(value, numpy.dtype):
            allowed.append((value, f"numpy.dtypes.{name}"))
    return allowed


def mmengine_checkpoint_globals(history_buffer: type | None = None) -> list[Allowed]:
    """The globals an MMEngine-written checkpoint needs, for ``torch.serialization``.

    Args:
        history_buffer: MMEngine's ``HistoryBuffer`` class, when the objects must come
            back as MMEngine's own (to resume a message hub); by default an inert
            stand-in receives them.

    Returns:
        ``(object, qualified name)`` pairs for ``torch.serialization.safe_globals``: the
        HistoryBuffer class, a ``getattr`` that only looks up its statistics methods,
        and numpy's array, dtype and scalar reconstructors.
    """
    buffer_class = history_buffer or HistoryBufferState
    return [
        (buffer_class, HISTORY_BUFFER),
        (_statistics_getattr(buffer_class), "builtins.getattr"),
        *_numpy_globals(),
    ]


@contextlib.contextmanager
def mmengine_checkpoints_allowed(history_buffer: type | None = None) -> Iterator[None]:
    """Within the block, ``torch.load(weights_only=True)`` also accepts the objects of
    :func:`mmengine_checkpoint_globals` (and nothing else)."""
    allowed: list[Callable[..., Any] | Allowed] = list(
        mmengine_checkpoint_globals(history_buffer)
    )
    with torch.serialization.safe_globals(allowed):
        yield


def load_weights_only(source: str | BinaryIO, name: str, map_location: str | None) -> Any:
    """``torch.load(source, weights_only=True)`` (MMEngine's own objects allowed), with
    each way it fails turned into a :class:`CheckpointError` that names ``name`` and the
    cause in a line (torch's own text for a refused global advises ``weights_only=False``,
    which initcfg never does).

    Raises:
        CheckpointError: Not a torch file, truncated, or not weights-only.
    """
    return _torch_load(source, map_location, mmap=False, name=name)


def _torch_load(
    path: str | BinaryIO, map_location: str | None, mmap: bool, name: str | None = None
) -> Any:
    if name is None:
        name = str(path)
    try:
        with mmengine_checkpoints_allowed():
            return torch.load(path, map_location=map_location, weights_only=True, mmap=mmap)
    except pickle.UnpicklingError as error:
        text = str(error)
        if "Unsupported operand" in text or "could not find MARK" in text:
            raise CheckpointError(f"{name} is not a torch checkpoint file") from error
        # torch words it "Unsupported global: GLOBAL x.y", or for a blocked module
        # "Trying to load unsupported GLOBAL posix.system whose module posix is blocked".
        found = re.search(r"unsupported global:? (?:GLOBAL )?([\w.]+)", text, re.IGNORECASE)
        what = f" (it holds a {found.group(1)})" if found else ""
        raise CheckpointError(
            f"{name} is not a weights-only checkpoint{what}: it pickles Python objects that "
            "torch.load(weights_only=True) refuses to execute. initcfg never loads such "
            "files; re-save it with torch.save(model.state_dict(), path) from code you trust"
        ) from error
    except (EOFError, ValueError) as error:
        reason = str(error) or "it is empty or truncated"
        raise CheckpointError(f"{name} is not a torch checkpoint file ({reason})") from error
    except RuntimeError as error:
        if mmap and "mmap" in str(error):
            return _torch_load(path, map_location, mmap=False, name=name)
        raise CheckpointError(f"cannot read checkpoint {name}: {error}") from error
    except (OSError, KeyError, IndexError, TypeError, AttributeError) as error:
        # The weights-only unpickler fails in these ways on text and on cut-off files.
        raise CheckpointError(
            f"{name} is not a torch checkpoint file ({type(error).__name__}: {error})"
        ) from error


def _readable_on_cpu(path: str) -> bool:
    """Whether ``path`` is a whole weights-only checkpoint when mapped to the CPU."""
    if not os.path.isfile(path):
        return False
    try:
        _torch_load(path, "cpu", mmap=True)
    except CheckpointError:
        return False
    return True


def read_checkpoint(
    checkpoint: str, map_location: str | None = "cpu", *, mmap: bool = False
) -> StateDict:
    """The state dict inside ``checkpoint`` (its ``state_dict`` entry, else the top level,
    as MMEngine reads it), read weights-only. ``_metadata`` (module versions) is kept.

    Raises:
        CheckpointError: Unresolvable, missing, unreadable, not weights-only, or not a dict.
            Tensors no parameter can take are refused only by :func:`select_keys`, for
            the keys a module would load.
    """
    source = resolve_checkpoint(checkpoint)
    if source.startswith(_URL_SCHEMES):
        try:
            with mmengine_checkpoints_allowed():
                loaded: Any = torch.hub.load_state_dict_from_url(
                    source, map_location=map_location, progress=False, weights_only=True
                )
        except pickle.UnpicklingError as error:
            raise CheckpointError(
                f"{source} is not a weights-only checkpoint; initcfg never loads such files"
            ) from error
        except OSError as error:
            raise CheckpointError(f"cannot download checkpoint {source}: {error}") from error
        except (EOFError, ValueError, RuntimeError, KeyError, IndexError, TypeError,
                AttributeError) as error:
            # The download (now or earlier) left a file torch cannot read in its hub
            # cache, and every later run reads that copy: name it, so it can be removed.
            cached = os.path.join(
                torch.hub.get_dir(), "checkpoints",
                os.path.basename(urllib.parse.urlparse(source).path),
            )
            cause = str(error).split(". ")[0] or "it is empty or truncated"
            if map_location != "cpu" and _readable_on_cpu(cached):
                # The copy is whole: it is the storage location that torch cannot map
                # (map_location='cuda' without CUDA, a device name torch does not know).
                raise CheckpointError(
                    f"cannot read checkpoint {source} with map_location={map_location!r}: "
                    f"{cause}"
                ) from error
            raise CheckpointError(
                f"{source}: its copy in torch's hub cache, {cached}, is not a torch "
                f"checkpoint file ({cause}); delete that file to download it again"
            ) from error
    else:
        unreadable = not_a_regular_file(source)
        if unreadable is not None:
            raise CheckpointError(f"cannot read checkpoint file {source}: {unreadable}")
        if not os.path.isfile(source):
            # MMEngine opens the name as written, so a relative one is read from the
            # working directory, not from the config's folder; say which was looked in.
            where = "" if os.path.isabs(os.path.expanduser(source)) else (
                f" in the working directory {os.getcwd()} (MMEngine reads a relative "
                "checkpoint path from there, not from the config's folder)"
            )
            raise CheckpointError(f"checkpoint file {source} does not exist{where}")
        loaded = _torch_load(source, map_location, mmap)
    if not isinstance(loaded, Mapping):
        raise CheckpointError(
            f"checkpoint {checkpoint} holds a {type(loaded).__name__}, not a dict of tensors"
        )
    # MMEngine (`_load_checkpoint_to_model`, PretrainedInit) takes the `state_dict` entry
    # when there is one and the whole file otherwise: nothing else is unwrapped.
    state: Any = loaded.get("state_dict", loaded)
    if not isinstance(state, Mapping):
        raise CheckpointError(
            f"checkpoint {checkpoint} has a 'state_dict' that is a {type(state).__name__}, "
            "not a dict of tensors"
        )
    strays = [
        repr(key) for key, value in state.items()
        if not isinstance(key, str) or not isinstance(value, torch.Tensor)
    ]
    if strays:
        shown = ", ".join(strays[:3]) + (" ..." if len(strays) > 3 else "")
        raise CheckpointError(
            f"checkpoint {checkpoint} is not a state dict: entries {shown} are not "
            f"name → tensor pairs{_weights_elsewhere(state)}"
        )
    versions = getattr(state, "_metadata", None)
    if versions is not None and not (
        isinstance(versions, Mapping)
        and all(isinstance(entry, Mapping) for entry in versions.values())
    ):
        # torch's loader looks each module's entry up with .get(): anything else fails
        # there (in MMEngine too), after the init steps already wrote the model.
        raise CheckpointError(
            f"checkpoint {checkpoint} holds module versions (_metadata) that are not a "
            "dict of dicts by module name, so torch cannot load it; re-save the state dict"
        )
    return cast(StateDict, state)  # every entry was just checked to be name → tensor


def _why_not_loadable(tensor: torch.Tensor) -> str | None:
    """Why ``Tensor.copy_`` into a dense parameter fails for ``tensor``, if it does.

    ``_load_from_state_dict`` copies each entry with ``param.copy_(value)``; for these
    tensors the copy fails, which a non-strict load (MMEngine's) only prints, so the
    parameter keeps its value while a comparison of shapes alone counts it as loaded.
    """
    if tensor.is_nested:
        return "a nested tensor"
    if tensor.is_meta:
        return "a meta tensor: it holds no data"
    if tensor.layout != torch.strided:
        return f"layout {str(tensor.layout).removeprefix('torch.')}; save it dense"
    if tensor.is_quantized:
        return "quantized; save it dequantized"
    return None


def _weights_elsewhere(state: Mapping[Any, Any]) -> str:
    """Why a file that keeps its weights under another key (``model``, as timm and DeiT
    save them) loads nothing in MMEngine, and how to re-save it; empty for other files."""
    nested = [
        key for key, value in state.items()
        if isinstance(value, Mapping) and value
        and all(isinstance(item, torch.Tensor) for item in value.values())
    ]
    if not nested:
        return ""
    key = nested[0]
    return (
        f"; its weights are under {key!r}, but MMEngine reads only 'state_dict' or the top "
        f"level, so it would load none of them: re-save it as "
        f"{{'state_dict': checkpoint[{key!r}]}}"
    )


def select_keys(
    state: StateDict,
    prefix: str | None,
    checkpoint: str,
    *,
    into: torch.nn.Module,
    runner: bool = False,
) -> StateDict:
    """The keys a Pretrained entry loads into ``into``: ``module.`` stripped (no prefix,
    module versions kept), or only those under ``prefix`` with it removed. ``runner``: the
    keys the Runner's ``load_from`` loads, which strips ``module`` and the character after
    it. Keys ``into`` does not have are kept (they are reported as unexpected).

    Raises:
        CheckpointError: No key starts with the prefix, or a tensor ``into`` would take
            cannot be copied into it.
    """
    if prefix is None:
        pattern = _RUNNER_MODULE_PREFIX if runner else _MODULE_PREFIX
        selected: OrderedDict[str, torch.Tensor] = OrderedDict(
            (pattern.sub("", key), value) for key, value in state.items()
        )
        selected._metadata = getattr(state, "_metadata", OrderedDict())  # type: ignore[attr-defined]
        _refuse_uncopyable(selected, into, checkpoint)
        return selected
    head = prefix if prefix.endswith(".") else prefix + "."
    size = len(head)
    kept = {key[size:]: value for key, value in state.items() if key.startswith(head)}
    if not kept:
        raise CheckpointError(
            f"no key of checkpoint {checkpoint} starts with prefix {head!r}; "
            "MMEngine raises AssertionError here"
        )
    _refuse_uncopyable(kept, into, checkpoint)
    return kept


def _refuse_uncopyable(
    selected: Mapping[str, torch.Tensor], into: torch.nn.Module, checkpoint: str
) -> None:
    """Refuse the load when a tensor ``into`` would take cannot be copied into it.

    Only keys the module has matter: a non-strict load (MMEngine's) never looks at the
    others, so a meta or sparse tensor under a key the model lacks, or outside the
    prefix, loads nothing and breaks nothing.
    """
    wanted = into.state_dict(keep_vars=True).keys()
    unloadable = [
        f"{key!r} ({reason})" for key in wanted
        if (value := selected.get(key)) is not None
        and (reason := _why_not_loadable(value)) is not None
    ]
    if unloadable:
        shown = ", ".join(unloadable[:3]) + (" ..." if len(unloadable) > 3 else "")
        raise CheckpointError(
            f"checkpoint {checkpoint} holds tensors that cannot be copied into a model's "
            f"parameters: {shown}; loading would leave those parameters as they were"
        )


def expected_state(module: torch.nn.Module) -> dict[str, tuple[int, ...]]:
    """Every key ``module`` loads from a state dict, with its shape (works on meta)."""
    return {key: tuple(value.shape) for key, value in module.state_dict(keep_vars=True).items()}


def compare(
    expected: Mapping[str, tuple[int, ...]], state: Mapping[str, torch.Tensor]
) -> LoadResult:
    """What loading ``state`` into a module expecting ``expected`` will do."""
    result = LoadResult()
    for key, shape in expected.items():
        value = state.get(key)
        if value is None:
            result.missing.append(key)
        elif tuple(value.shape) != shape and not (len(shape) == 0 and value.dim() == 1):
            result.mismatched.append((key, tuple(value.shape), shape))
        else:
            result.loaded.append(key)
    result.unexpected = [key for key in state if key not in expected]
    return result


def checkpoint_available(checkpoint: str) -> bool:
    """Whether reading ``checkpoint`` needs no download: a local path, or a remote one
    already in torch's hub cache (where ``read_checkpoint`` would put it)."""
    try:
        source = resolve_checkpoint(checkpoint)
    except CheckpointError:
        return True  # reading reports why it cannot be used; no download happens
    if not source.startswith(("http://", "https://")):
        return True
    name = os.path.basename(urllib.parse.urlparse(source).path)
    return os.path.isfile(os.path.join(torch.hub.get_dir(), "checkpoints", name))
