"""The runtime settings of a config, typed: dataloaders, evaluator, logger, work_dir,
default_scope and the factories initcfg's own loop builds.

MMEngine's Runner reads these keys too; initcfg reads them as far as it uses them (the
train loop, ``plan --train``). :func:`parse_runtime` never raises: a value the Runner
(or torch's DataLoader) would refuse is a diagnostic at its key path (IC319-IC323),
and the typed field keeps its default.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from initcfg.config.tree import ConfigTree
from initcfg.diagnostics import Diagnostic, KeyPath, diagnostic

__all__ = ["DataloaderCfg", "FactoryCfg", "RuntimeSettings", "parse_runtime"]

# A factory of each kind from the shipped example, for the hint of a missing one.
_FACTORY_EXAMPLES = {
    "dataset": "examples.shapes.data:ShapesDataset",
    "val_evaluator": "examples.shapes.metric:Accuracy",
}


# A NamedTuple rather than a dataclass: defining it costs a tenth as much at import,
# which every `initcfg validate` pays (issue 15).
class FactoryCfg(NamedTuple):
    """A dict with a ``type`` that something builds: a registry name or, for initcfg's
    own loop, ``'module:callable'``.

    Attributes:
        target: The ``type`` value ("" when missing or not a string).
        kwargs: The other keys, as written.
        path: Where the dict is in the config.
    """

    target: str
    kwargs: dict[str, Any]
    path: KeyPath

    @property
    def is_callable(self) -> bool:
        """``type`` names a ``module:callable`` factory (not a registry type)."""
        return ":" in self.target


class DataloaderCfg(NamedTuple):
    """``train_dataloader`` or ``val_dataloader`` as initcfg uses it.

    Attributes:
        path: The dataloader's key path.
        dataset: Its ``dataset`` (None when missing: IC320).
        batch_size: ``batch_size`` as written (None when absent or invalid).
        num_workers: ``num_workers`` (0 when absent or invalid).
        shuffle: ``sampler.shuffle`` (True when absent).
        drop_last: ``drop_last``.
        seed: ``sampler.seed``, which MMEngine's Runner gives the sampler over
            ``randomness.seed`` (None when absent or invalid).
        sampler_type: ``sampler.type`` as written, when it is a string.
    """

    path: KeyPath
    dataset: FactoryCfg | None
    batch_size: int | None = None
    num_workers: int = 0
    shuffle: bool = True
    drop_last: bool = False
    seed: int | None = None
    sampler_type: str | None = None


@dataclass(slots=True)
class RuntimeSettings:
    """The runtime settings of one config.

    Attributes:
        model: The ``model`` section as a factory (None when absent or not a dict).
        train_dataloader: ``train_dataloader`` (None when absent or not a dict).
        val_dataloader: ``val_dataloader``.
        val_evaluator: ``val_evaluator`` (None when absent or not a dict).
        log_interval: ``default_hooks.logger.interval`` (10, MMEngine's default).
        work_dir: ``work_dir`` (None when unset or empty).
        default_scope: ``default_scope``, when a string.
        custom_imports: ``custom_imports`` as written.
        factory_diagnostics: What initcfg's own loop cannot build (IC320, IC321): reported
            by ``validate`` only when ``model.type`` names a factory (MMEngine's
            Runner trains the others); ``initcfg train`` refuses them always. Left
            at their key paths, not yet placed at file:line:col.
    """

    model: FactoryCfg | None = None
    train_dataloader: DataloaderCfg | None = None
    val_dataloader: DataloaderCfg | None = None
    val_evaluator: FactoryCfg | None = None
    log_interval: int = 10
    work_dir: str | None = None
    default_scope: str | None = None
    custom_imports: Any = None
    factory_diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def uses_factories(self) -> bool:
        """``model.type`` is ``'module:callable'``: initcfg's own loop trains it."""
        return self.model is not None and self.model.is_callable


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class _RuntimeParser:
    def __init__(self, tree: ConfigTree) -> None:
        self.tree = tree
        self.diagnostics: list[Diagnostic] = []
        self.factory_diagnostics: list[Diagnostic] = []

    def report(
        self,
        code: str,
        message: str,
        path: KeyPath,
        hint: str | None = None,
        into: list[Diagnostic] | None = None,
    ) -> None:
        found = diagnostic(code, message, path, hint)
        if into is self.factory_diagnostics:
            # Left at their key paths: they are shown only for a config whose model is a
            # factory (validate places what it shows), and placing one makes the fast YAML
            # reader read every position of the file, for the many configs that are not.
            into.append(found)
            return
        target = self.diagnostics if into is None else into
        target.append(found.at(self.tree.location(path), self.tree.path))

    def mapping(self, value: Any, path: KeyPath, what: str, code: str) -> Mapping[str, Any] | None:
        if isinstance(value, Mapping):
            self.string_keys(value, path, what, code)
            return value
        self.report(code, f"expected {what} as a dict, got {type(value).__name__}", path)
        return None

    def string_keys(self, value: Mapping[Any, Any], path: KeyPath, what: str, code: str) -> None:
        """Report each key of ``value`` that is no string: the Runner (and initcfg's own
        loop) passes these keys to what it builds as keyword arguments, which Python
        refuses ("keywords must be strings")."""
        for key in value:
            if not isinstance(key, str):
                self.report(
                    code,
                    f"key {_show(key)} of {what} is not a string: its keys are passed as "
                    "keyword arguments",
                    (*path, key),
                )

    def count(self, body: Mapping[str, Any], key: str, path: KeyPath, minimum: int) -> int | None:
        value = body.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
            self.report(
                "IC319", f"expected an integer >= {minimum}, got {value!r}", (*path, key)
            )
            return None
        return value

    def factory(self, value: Any, path: KeyPath, what: str) -> FactoryCfg | None:
        if not isinstance(value, Mapping):
            self.report(
                "IC321",
                f"expected {what} as a dict, got {type(value).__name__}",
                path,
                into=self.factory_diagnostics,
            )
            return None
        self.string_keys(value, path, what, "IC302")
        body = {key: item for key, item in value.items() if isinstance(key, str)}
        target = body.pop("type", None)
        made = FactoryCfg(target if isinstance(target, str) else "", body, path)
        if not made.is_callable:
            example = _FACTORY_EXAMPLES.get(str(path[-1]), "my_project.module:build")
            self.report(
                "IC321",
                f"{what} needs type='module:callable' naming a factory, got {target!r}",
                (*path, "type"),
                f"for example type='{example}'",
                into=self.factory_diagnostics,
            )
        return made

    def dataloader(self, key: str) -> DataloaderCfg | None:
        raw = self.tree.data.get(key)
        if raw is None:
            return None
        path: KeyPath = (key,)
        body = self.mapping(raw, path, key, "IC319")
        if body is None:
            return None
        dataset = None
        if "dataset" not in body:
            self.report(
                "IC320",
                f"{key} has no dataset",
                path,
                "add dataset=dict(type=...)",
                into=self.factory_diagnostics,
            )
        else:
            dataset = self.factory(body["dataset"], (*path, "dataset"), f"{key}.dataset")
        shuffle, seed, kind = True, None, None
        sampler = body.get("sampler") or {}
        checked = self.mapping(sampler, (*path, "sampler"), "sampler", "IC319")
        if checked is not None:
            shuffle = bool(checked.get("shuffle", True))
            seed = self.sampler_seed(checked, (*path, "sampler", "seed"))
            kind = checked.get("type") if isinstance(checked.get("type"), str) else None
        return DataloaderCfg(
            path=path,
            dataset=dataset,
            batch_size=self.count(body, "batch_size", path, 1),
            num_workers=self.count(body, "num_workers", path, 0) or 0,
            shuffle=shuffle,
            drop_last=bool(body.get("drop_last", False)),
            seed=seed,
            sampler_type=kind,
        )

    def sampler_seed(self, sampler: Mapping[str, Any], path: KeyPath) -> int | None:
        """``sampler.seed``: any integer (DefaultSampler adds the epoch to it)."""
        value = sampler.get("seed")
        if value is None or (isinstance(value, int) and not isinstance(value, bool)):
            return value
        self.report("IC319", f"the sampler's seed must be an integer (got {_show(value)})", path)
        return None

    def log_interval(self) -> int:
        hooks = self.tree.data.get("default_hooks")
        logger = hooks.get("logger") if isinstance(hooks, Mapping) else None
        if not isinstance(logger, Mapping) or "interval" not in logger:
            return 10
        value = logger["interval"]
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            self.report(
                "IC323",
                f"the logger's interval must be an integer (got {_show(value)})",
                ("default_hooks", "logger", "interval"),
            )
            return 10
        return max(1, value)

    def work_dir(self) -> str | None:
        value = self.tree.data.get("work_dir")
        if value is None or value == "":
            return None
        if not isinstance(value, str):
            self.report(
                "IC322", f"work_dir must be a path (got {_show(value)})", ("work_dir",)
            )
            return None
        return value

    def model(self, value: Any) -> FactoryCfg | None:
        # A registry name (`type='ImageClassifier'`) is kept: `--model` may replace the
        # callable while the section's arguments still apply.
        if value is None:
            return None
        if not isinstance(value, Mapping):
            # MMEngine's Runner raises TypeError on it: validate says so too.
            self.report(
                "IC302", f"model must be a dict, which the Runner builds (got {_show(value)})",
                ("model",),
            )
            self.report(
                "IC321",
                f"expected model as a dict, got {type(value).__name__}",
                ("model",),
                into=self.factory_diagnostics,
            )
            return None
        self.string_keys(value, ("model",), "model", "IC302")
        body = {key: item for key, item in value.items() if isinstance(key, str)}
        target = body.pop("type", None)
        return FactoryCfg(target if isinstance(target, str) else "", body, ("model",))

    def settings(self) -> RuntimeSettings:
        data = self.tree.data
        model = data.get("model")
        evaluator = data.get("val_evaluator")
        scope = data.get("default_scope")
        return RuntimeSettings(
            model=self.model(model),
            train_dataloader=self.dataloader("train_dataloader"),
            val_dataloader=self.dataloader("val_dataloader"),
            val_evaluator=(
                None
                if evaluator is None
                else self.factory(evaluator, ("val_evaluator",), "val_evaluator")
            ),
            log_interval=self.log_interval(),
            work_dir=self.work_dir(),
            default_scope=scope if isinstance(scope, str) else None,
            custom_imports=data.get("custom_imports"),
            factory_diagnostics=self.factory_diagnostics,
        )


def parse_runtime(tree: ConfigTree) -> tuple[RuntimeSettings, list[Diagnostic]]:
    """The runtime settings of a loaded config and the problems found in them, placed at
    their source locations (factory problems are in ``factory_diagnostics``, not here).
    Never raises for bad input."""
    if not isinstance(tree.data, Mapping):
        return RuntimeSettings(), []
    parser = _RuntimeParser(tree)
    return parser.settings(), parser.diagnostics
