"""IC1xx: the init_cfg grammar and layer names, checked without a model."""

from initcfg.diagnostics import define

define(
    "IC101", "error", "init_cfg is not a dict or a list of dicts",
    why="MMEngine raises TypeError (or AssertionError for a string) when it initializes "
    "the module.",
    example="init_cfg: Kaiming",
    fix="Write a dict such as `{type: Kaiming, layer: Conv2d}` or a list of them.",
)
define(
    "IC102", "error", "An init_cfg entry has no `type`, or `type` is not a string",
    why="MMEngine raises KeyError('type') when it builds the initializer.",
    example="init_cfg: {layer: Conv2d, std: 0.01}",
    fix="Add `type:` naming one of Constant, Xavier, Normal, TruncNormal, Uniform, Kaiming, "
    "Caffe2Xavier, Pretrained.",
)
define(
    "IC103", "error", "Unknown initializer type",
    why="Type names are case-sensitive registry names; MMEngine raises KeyError at run time.",
    example="init_cfg: {type: kaiming, layer: Conv2d}",
    fix="Use the registered name (`Kaiming`), or register your own initializer.",
)
define(
    "IC104", "error", "Unknown or forbidden argument for this initializer",
    why="Every key becomes a constructor argument, so MMEngine raises TypeError "
    "(unexpected keyword argument). Caffe2Xavier fixes a, mode, nonlinearity and "
    "distribution; Pretrained takes no layer or bias.",
    example="init_cfg: {type: Normal, layer: Conv2d, stdd: 0.01}",
    fix="Correct the spelling or remove the key.",
)
define(
    "IC105", "error", "An argument has an invalid value",
    why="MMEngine passes it to torch, which fails only when some module matches, or the "
    "value silently produces nonsense (bias_prob outside (0, 1) fills the bias with inf "
    "or NaN). An integer `val` or `bias` past 64 bits fails in torch's fill_ "
    "(OverflowError) where the same number as a float fills. What torch accepts is "
    "accepted: Kaiming's mode in any case (torch "
    "lower-cases it) and `a: null` (leaky_relu's default slope, 0.01).",
    example="init_cfg: {type: Kaiming, layer: Conv2d, mode: fan_inn}",
    fix="Use a value from the range or set the message names.",
)
define(
    "IC106", "error", "A required argument is missing",
    why="MMEngine raises TypeError (missing required argument) when it builds the "
    "initializer.",
    example="init_cfg: {type: Constant, layer: Conv2d}",
    fix="Add the argument, such as `val:` for Constant or `checkpoint:` for Pretrained.",
)
define(
    "IC107", "warning", "The entry initializes nothing",
    why="Without `layer` (or with an empty one: `[]`, `''`, only non-strings) the entry "
    "matches no module, and without `override` it names no submodule: MMEngine silently "
    "does nothing.",
    example="init_cfg: {type: Normal, std: 0.01}",
    fix="Add `layer: Conv2d` (or the classes you mean), or an `override` naming a submodule.",
)
define(
    "IC108", "warning", "Both `bias` and `bias_prob` are given",
    why="`bias_prob` silently replaces `bias`, so the `bias` value is ignored.",
    example="init_cfg: {type: Normal, layer: Conv2d, bias: 0, bias_prob: 0.01}",
    fix="Keep one of them.",
)
define(
    "IC109", "error", "An override item has no `name`",
    why="MMEngine raises ValueError: an override initializes the submodule called `name`.",
    example="override: {type: Constant, val: 3}",
    fix="Add `name:` with the attribute name of the submodule, such as `fc_cls`.",
)
define(
    "IC110", "error", "An override item has arguments but no `type`",
    why="Only a name-only override inherits the parent's type; with other keys MMEngine "
    "raises ValueError.",
    example="override: {name: reg, val: 3, bias: 4}",
    fix="Add `type:`, or leave only `name:` to reuse the parent entry's initializer.",
)
define(
    "IC111", "warning", "`layer` inside an override is ignored",
    why="An override initializes every module with a weight or bias in the named "
    "submodule; MMEngine drops its `layer` without a word.",
    example="override: {name: cls, type: Normal, layer: Conv2d, std: 0.01}",
    fix="Remove `layer`; name a deeper submodule instead if you meant a narrower set.",
)
define(
    "IC112", "error", "An override is nested inside an override",
    why="MMEngine passes it as a constructor argument and raises TypeError.",
    example="override: {name: a, type: Constant, val: 1, override: {name: b}}",
    fix="Flatten it: list both items under the entry's own `override`.",
)
define(
    "IC113", "error", "An override name is a dotted path",
    why="MMEngine looks the name up with hasattr on the module, so `neck.lateral` never "
    "matches and MMEngine raises RuntimeError.",
    example="override: {name: neck.lateral_convs, type: Xavier}",
    fix="Put the init_cfg on the module that owns the attribute, or name a direct child.",
)
define(
    "IC114", "error", "override is not a dict or a list of dicts",
    why="MMEngine raises TypeError (or AttributeError for a list item), after it already "
    "applied the entry.",
    example="override: cls",
    fix="Write `override: {name: cls}` or a list of such dicts.",
)
define(
    "IC115", "warning", "A layer name is a near-miss of a torch.nn class",
    why="Layer names are compared as exact strings; `Conv2D` matches nothing, so "
    "MMEngine silently initializes nothing.",
    example="init_cfg: {type: Kaiming, layer: Conv2D}",
    fix="Use the class name exactly (`Conv2d`), or list your own class in "
    "`[tool.initcfg] extra-layers`.",
)
define(
    "IC116", "warning", "The layer class has no weight or bias",
    why="MMEngine initializes only `weight` and `bias`; a class without them is matched "
    "and left untouched. MultiheadAttention keeps its projections in `in_proj_weight` and "
    "`out_proj`; only `out_proj` is reached, by `layer: Linear`.",
    example="init_cfg: {type: Xavier, layer: MultiheadAttention}",
    fix="Name the classes that hold the parameters (`Linear` for out_proj), or use an "
    "override naming the submodule.",
)
define(
    "IC117", "error", "The layer is a recurrent module",
    why="RNN, LSTM, GRU and their cells keep `bias` as a bool flag and have no `weight`; "
    "MMEngine crashes with AttributeError: 'bool' object has no attribute 'fill_'.",
    example="init_cfg: {type: Normal, layer: LSTM}",
    fix="Initialize recurrent weights in the module's own init_weights.",
)
define(
    "IC118", "error", "A fan-based initializer on a layer with a 1-D weight",
    why="Xavier, Kaiming and Caffe2Xavier compute fan-in and fan-out from a weight of at "
    "least two dimensions; torch raises ValueError on BatchNorm, LayerNorm, GroupNorm, "
    "PReLU and the like.",
    example="init_cfg: {type: Kaiming, layer: BatchNorm2d}",
    fix="Use Constant (val=1, bias=0) for norm layers, in a separate entry.",
)
define(
    "IC119", "warning", "Unknown layer name",
    why="Not a torch.nn class nor a name listed in `[tool.initcfg] extra-layers`; if it is "
    "not one of your own classes it matches nothing. Reported with --strict.",
    example="init_cfg: {type: Normal, layer: MyConv}",
    fix="List your own classes in `[tool.initcfg] extra-layers` in pyproject.toml.",
)
define(
    "IC120", "warning", "A degenerate truncated normal",
    why="With a == b every value is the constant a; with the mean more than 2 std outside "
    "[a, b] MMEngine's routine makes every value the cutoff a.",
    example="init_cfg: {type: TruncNormal, layer: Linear, mean: 5, std: 0.02}",
    fix="Use Constant if a constant is meant; otherwise widen [a, b] or move the mean.",
)
define(
    "IC121", "warning", "A layer list holds a value that is not a string",
    why="MMEngine compares class names with the list's strings and silently ignores other "
    "hashable values such as `2` or `None` (a list or dict inside the list makes it raise "
    "TypeError, reported as IC105; a tuple instead of the list too).",
    example="layer: [Conv2d, 2]",
    fix="Write the class names as strings in a list.",
)
define(
    "IC122", "warning", "An empty init_cfg",
    why="`{}` applies nothing under init_weights and makes `initialize` raise; it is "
    "usually a leftover.",
    example="init_cfg: {}",
    fix="Remove it, or write `init_cfg: null` to say there is none.",
)
define(
    "IC123", "warning", "A checkpoint without an initializer type",
    why="Some modules' own init_weights read `init_cfg['checkpoint']` directly (MMDetection's "
    "PyramidVisionTransformer does), so the config works for them; for any other module "
    "MMEngine's generic initialization raises KeyError('type').",
    example="init_cfg: {checkpoint: pvt_tiny.pth}",
    fix="Write `type: Pretrained` unless the module's own init_weights expects this form.",
)
define(
    "IC124", "warning", "An empty override list",
    why="MMEngine loops over the items of `override`; with none it initializes no "
    "submodule, so the key is a leftover or an unfinished edit.",
    example="init_cfg: {type: Normal, layer: Conv2d, override: []}",
    fix="Add the items (`{name: fc_cls, type: Normal, std: 0.01}`), or remove the key.",
)
define(
    "IC125", "warning", "A bool where a number belongs",
    why="MMEngine checks `bias` with isinstance(bias, (int, float)) and passes `val`, "
    "`mean`, `std`, `gain` and Uniform's and TruncNormal's `a` and `b` to torch as they "
    "are, and a bool is an int in Python: `bias: true` silently fills the bias with 1, "
    "`std: true` draws with std 1. (Kaiming's `a` is an error instead: torch refuses a "
    "bool slope for leaky_relu; so is a bool that makes a value invalid, such as "
    "TruncNormal's `std: false`.)",
    example="init_cfg: {type: Normal, layer: Conv2d, bias: true}",
    fix="Write the number (`bias: 1`), or `bias: 0` if the flag meant \"no bias\".",
)
