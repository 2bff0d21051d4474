"""What a fine-tune ``type`` names when it is a class path rather than a registry name.

New-style configs name types by imported classes (``from torch.optim import AdamW``;
``type=AdamW``), which the loader records as the dotted path the import binds
(``torch.optim.AdamW``), as MMEngine's ``Config.to_dict`` dumps them. MMEngine builds
both the same: ``build_from_cfg`` calls a class ``type`` itself, and ``Registry.get``
imports a dotted string that names no registered type (``get_object_from_string``). So
a path where torch or MMEngine 0.10.7 defines or re-exports a class the schema models
is checked exactly as the registry name of that class, and a path into a module
initcfg cannot see is a class MMEngine imports: nothing here can say it is unknown.

The MMEngine paths are written out (MMEngine is not a dependency);
``tests/unit/schema/test_class_paths.py`` checks each against the installed MMEngine.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

from initcfg.schema.fields import _MMENGINE_SCOPE
from initcfg.schema.optimizers_table import OPTIMIZER_ARGS, OPTIMIZER_MODULES

__all__ = [
    "CONSTRUCTORS",
    "HOOKS",
    "LOOPS",
    "MMENGINE_OPTIMIZERS",
    "OPTIMIZERS",
    "OPTIM_WRAPPERS",
    "SCHEDULERS",
    "ClassPaths",
    "TypeName",
    "optimizer_package",
]

class TypeName(NamedTuple):
    """How the schema reads one ``type`` string.

    Attributes:
        name: The registry name to look up: the known class a path names (``AdamW``
            for ``torch.optim.adamw.AdamW``), the class name after a known module
            (``Foo`` for ``torch.optim.Foo``, which is not there), or the string with
            the ``mmengine.`` scope removed.
        module: The known module a class path names a class of (``torch.optim``); ""
            for a registry name. A name that module lacks cannot be registered into
            it: MMEngine fails to import the path.
        elsewhere: A class path into a module initcfg does not know
            (``timm.optim.Lamb``): MMEngine imports it; initcfg cannot check it.
    """

    name: str
    module: str = ""
    elsewhere: bool = False


class ClassPaths:
    """The public paths of the classes of one kind the schema models.

    Args:
        paths: Each dotted path MMEngine resolves to a modelled class, mapped to the
            class's registry name.
    """

    __slots__ = ("aliases", "foreign", "modules", "paths")

    def __init__(
        self,
        paths: dict[str, str],
        aliases: dict[str, str] | None = None,
        foreign: dict[str, str] | None = None,
    ) -> None:
        self.paths = paths
        self.modules = frozenset(path.rpartition(".")[0] for path in paths)
        # Registry names MMEngine gives a modelled class besides its own
        # (`TorchAdafactor` for torch.optim.Adafactor).
        self.aliases = aliases or {}
        # Registry names that MMEngine gives another package's class although a
        # modelled class has the same name (`Adafactor` is transformers' optimizer):
        # read as that class's path, which initcfg cannot check.
        self.foreign = foreign or {}

    def __repr__(self) -> str:
        return f"ClassPaths({sorted(self.modules)})"

    def read(self, written: str) -> TypeName:
        """How the schema reads ``written``, a ``type`` string of this kind."""
        module, _, name = written.rpartition(".")
        known = self.paths.get(written)
        if known is not None:
            return TypeName(known, module)
        if module in self.modules:
            return TypeName(name, module)
        # One dot is MMEngine's `scope.Name`, looked up in a registry before anything
        # is imported; more can only be a module path (MMEngine's own classes the
        # schema does not model, such as `mmengine.optim.ZeroRedundancyOptimizer`,
        # included).
        if written.count(".") > 1:
            return TypeName(written, elsewhere=True)
        bare = written.removeprefix(_MMENGINE_SCOPE)
        if bare in self.foreign:
            return TypeName(self.foreign[bare], elsewhere=True)
        return TypeName(self.aliases.get(bare, bare))

    def misplaced(self, written: str) -> str | None:
        """Where the modelled class ``written`` names is, when ``written`` puts it in a
        known module that does not hold it (``mmengine.optim.CosineRestartLR``, which
        ``mmengine.optim`` does not re-export): MMEngine fails to import the path.

        Only for paths that list every modelled class each module holds, as
        :data:`SCHEDULERS` does; a torch module also holds the classes it imports
        (``torch.optim.adamw.Adam``), which :data:`OPTIMIZERS` does not list."""
        read = self.read(written)
        if not read.module or written in self.paths:
            return None
        return next((path for path, name in self.paths.items() if name == read.name), None)

    def name(self, written: str) -> str:
        """The registry name ``written`` stands for (see :attr:`TypeName.name`)."""
        return self.read(written).name


def _at(modules: Iterable[str], names: Iterable[str]) -> dict[str, str]:
    return {f"{module}.{name}": name for module in modules for name in names}


OPTIMIZERS = ClassPaths(
    {
        **_at(("torch.optim",), OPTIMIZER_ARGS),
        **{f"{module}.{name}": name for name, module in OPTIMIZER_MODULES.items()},
    },
    # MMEngine 0.10.7 registers torch's Adafactor under this name, keeping `Adafactor`
    # for transformers' optimizer (registered only where transformers is installed).
    aliases={"TorchAdafactor": "Adafactor"},
    foreign={"Adafactor": "transformers.Adafactor"},
)
"""``torch.optim`` and the public torch modules that define its optimizers."""

# The optimizers MMEngine 0.10.7 registers from other packages, each only where that
# package imports (mmengine/optim/optimizer/builder.py), by the name read here: the
# package's import name and pip name.
_PACKAGE_OPTIMIZERS = {
    "transformers.Adafactor": ("transformers", "transformers"),
    "Lion": ("lion_pytorch", "lion-pytorch"),
    "DAdaptAdaGrad": ("dadaptation", "dadaptation"),
    "DAdaptAdam": ("dadaptation", "dadaptation"),
    "DAdaptSGD": ("dadaptation", "dadaptation"),
}
_BITSANDBYTES = ("bitsandbytes", "bitsandbytes")


def optimizer_package(name: str) -> tuple[str, str] | None:
    """The package MMEngine registers optimizer ``name`` (as :meth:`ClassPaths.name`
    reads it) from, as ``(import name, pip name)``; None for torch's, MMEngine's own and
    any other. bitsandbytes' names are its own (``Adam8bit``, ``PagedAdamW32bit``) or,
    where torch has the name, ``bnb_`` and torch's (``bnb_Adam``)."""
    if name in _PACKAGE_OPTIMIZERS:
        return _PACKAGE_OPTIMIZERS[name]
    if name.startswith("bnb_") or name.endswith(("8bit", "32bit")):
        return _BITSANDBYTES
    return None


MMENGINE_OPTIMIZERS = frozenset({"ZeroRedundancyOptimizer"})
"""The optimizers MMEngine 0.10.7 registers itself, beside torch's; the schema does not
model their arguments."""

_LR_SCHEDULERS = (
    "LinearLR", "ConstantLR", "MultiStepLR", "StepLR", "ExponentialLR",
    "CosineAnnealingLR", "PolyLR", "OneCycleLR", "CosineRestartLR",
)
# `torch.optim.lr_scheduler` has classes of the same names, but they are torch's, not
# MMEngine's: they take no `by_epoch`, `begin` or `end`, so they are not these.
SCHEDULERS = ClassPaths(
    {
        **_at(("mmengine.optim.scheduler", "mmengine.optim.scheduler.lr_scheduler"),
              _LR_SCHEDULERS),
        # mmengine.optim re-exports every lr scheduler but CosineRestartLR.
        **_at(("mmengine.optim",), [name for name in _LR_SCHEDULERS
                                    if name != "CosineRestartLR"]),
    }
)
"""MMEngine's lr schedulers: ``mmengine.optim``, ``mmengine.optim.scheduler`` and the
module defining them."""

LOOPS = ClassPaths(
    _at(("mmengine.runner", "mmengine.runner.loops"),
        ("EpochBasedTrainLoop", "IterBasedTrainLoop", "ValLoop", "TestLoop"))
)
"""MMEngine's loops, from ``mmengine.runner`` or ``mmengine.runner.loops``."""

OPTIM_WRAPPERS = ClassPaths(
    {
        **_at(("mmengine.optim", "mmengine.optim.optimizer"),
              ("OptimWrapper", "AmpOptimWrapper")),
        "mmengine.optim.optimizer.optimizer_wrapper.OptimWrapper": "OptimWrapper",
        "mmengine.optim.optimizer.amp_optimizer_wrapper.AmpOptimWrapper": "AmpOptimWrapper",
    }
)
"""MMEngine's optimizer wrappers."""

CONSTRUCTORS = ClassPaths(
    _at(("mmengine.optim", "mmengine.optim.optimizer",
         "mmengine.optim.optimizer.default_constructor"),
        ("DefaultOptimWrapperConstructor",))
)
"""MMEngine's default optimizer wrapper constructor."""

HOOKS = ClassPaths(
    _at(("mmengine.hooks", "mmengine.hooks.checkpoint_hook"), ("CheckpointHook",))
)
"""The hooks the schema models (``CheckpointHook``)."""
