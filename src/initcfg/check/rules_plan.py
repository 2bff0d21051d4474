"""IC4xx: a config checked against a model, found while compiling an init plan."""

from initcfg.diagnostics import define

define(
    "IC401", "error", "An override name is not an attribute of the module",
    why="MMEngine looks the name up with hasattr on the module that owns the init_cfg and "
    "raises RuntimeError when it is missing, after earlier entries were already applied.",
    example="model:\n  roi_head:\n    bbox_head:\n      init_cfg:\n        type: Normal\n"
    "        override: {name: fc_clss, std: 0.01}",
    fix="Use the name of a direct child of that module (`fc_cls`); the hint lists them.",
)
define(
    "IC402", "warning", "A layer name matches no module of this model",
    why="`layer` is compared with class names (and direct base class names) of the "
    "modules under the init_cfg's owner. A name that matches nothing makes that part of "
    "the entry a silent no-op.",
    example="init_cfg: {type: Kaiming, layer: Conv2D}",
    fix="Use a class name that occurs under the module (`Conv2d`), or drop the name.",
)
define(
    "IC403", "warning", "An init_cfg is never applied",
    why="MMEngine's init_weights only descends into children that have init_weights. A "
    "plain nn.ModuleList, nn.Sequential or nn.Module has none, so every init_cfg below it "
    "is silently ignored (its parameters still get the ancestors' entries).",
    example="self.heads = nn.ModuleList([Head(init_cfg=dict(type='Normal', layer='Linear'))])",
    fix="Use mmengine.model.ModuleList/Sequential/BaseModule for the container, describe "
    "it in the config's model section, or plan descending everywhere: `initcfg plan "
    "--reach all`, or reach='all' for compile_init_plan and init_weights.",
)
define(
    "IC404", "info", "Loaded weights are overwritten later",
    why="A Pretrained entry or load_from writes tensors that a later step writes again, so "
    "those loaded values never survive. This is often intended (a new head) and sometimes "
    "the reason a fine-tune starts from scratch.",
    example="init_cfg:\n  - {type: Pretrained, checkpoint: r50.pth}\n"
    "# inside a child module that MMEngine initializes later: a Pretrained in an override",
    fix="Check that the overwritten tensors are the ones you meant to re-initialize.",
)
define(
    "IC405", "info", "Parameters that no step touches",
    why="These keep the values torch's constructors gave them; usually fine, but it shows "
    "where the config says nothing.",
    example="model with a Linear head and init_cfg only on the backbone",
    fix="Add an init_cfg entry for them if torch's default initialization is not wanted.",
)
define(
    "IC406", "error", "An initializer cannot run on a tensor it reaches",
    why="Xavier, Kaiming and Caffe2Xavier compute fans from a weight with at least two "
    "dimensions; torch raises ValueError on the 1-D weights of norm layers, also when an "
    "override reaches them through a whole submodule. Xavier also divides by the sum of "
    "the fans, so a weight with no elements in both of them (`Linear(0, 0)`, a kernel of "
    "size 0) raises ZeroDivisionError.",
    example="override: {name: neck, type: Kaiming}  # neck holds a BatchNorm2d",
    fix="Name a narrower submodule, or initialize norm layers with Constant in a separate "
    "entry.",
)
define(
    "IC407", "error", "An initializer reaches a module whose weight or bias is not a tensor",
    why="RNN, LSTM and GRU keep `bias` as a bool flag; MMEngine calls fill_ on it and "
    "crashes with AttributeError.",
    example="override: {name: lstm, type: Normal}",
    fix="Initialize recurrent modules in their own init_weights.",
)
define(
    "IC408", "warning", "A config init_cfg belongs to no module of this model",
    why="The config's model section puts an init_cfg at a path where the model has no "
    "module, so it is never applied.",
    example="model:\n  roi_head:\n    bbox_heads:   # the model calls it bbox_head\n"
    "      init_cfg: {type: Normal, layer: Linear}",
    fix="Use the module's attribute name; the hint suggests the closest one.",
)
define(
    "IC409", "error", "A checkpoint cannot be used",
    why="The file is missing, is not a weights-only checkpoint, uses a URL scheme that "
    "cannot be resolved, or has no key under the given prefix; MMEngine would raise. Or "
    "it holds no state dict of name → tensor pairs, or tensors torch cannot copy into a "
    "parameter (meta, sparse, quantized, nested): MMEngine prints the copy error and "
    "leaves the parameter as it was.",
    example="init_cfg: {type: Pretrained, checkpoint: r50.pth, prefix: backbone}",
    fix="Check the path and the prefix (the hint names the prefixes the file has); re-save "
    "pickled checkpoints as a plain state dict.",
)
define(
    "IC410", "warning", "A checkpoint does not fit the module it loads into",
    why="Loading is not strict: missing keys keep their values, unexpected keys are "
    "ignored, and tensors of another shape are skipped, all with only a log line.",
    example="init_cfg: {type: Pretrained, checkpoint: coco.pth}  # num_classes changed",
    fix="Check the listed keys; use a prefix to load only the part that fits.",
)
define(
    "IC411", "error", "An override name is an attribute but not a submodule",
    why="MMEngine applies the initializer with `.apply` on the attribute and raises "
    "AttributeError when it is a tensor or another value.",
    example="override: {name: weight, type: Constant, val: 1}",
    fix="Name the submodule that owns the parameter.",
)
define(
    "IC412", "info", "A module defines its own init_weights",
    why="MMEngine calls a child's own init_weights instead of applying its init_cfg, so "
    "what it writes is known only when it runs; the plan marks every tensor under it as "
    "possibly written.",
    example="class Head(BaseModule):\n    def init_weights(self): ...",
    fix="Nothing to fix; move the logic into init_cfg if you want it planned.",
)
define(
    "IC413", "error", "An initializer type has no torch implementation",
    why="The type is registered for validation only (register_initializer on a subclass "
    "of WeightInit or BaseInit, not of a built-in such as Normal); the backend has no "
    "operation for it, so nothing the entry reaches can be planned or written. Reported "
    "once per entry, at its type.",
    example="init_cfg: {type: MyInit, layer: Conv2d}",
    fix="Use a built-in initializer, or initialize those layers in code.",
)
define(
    "IC440", "error", "A lazy module has no parameter shapes yet",
    why="nn.LazyLinear, nn.LazyConv2d and the other lazy modules create their weights at "
    "the first forward pass. Until then nothing can be planned for them, and MMEngine "
    "raises ValueError ('uninitialized parameter') when an initializer reaches one.",
    example="def build_model():\n    return nn.Sequential(nn.Flatten(), nn.LazyLinear(10))",
    fix="Give the layers their input sizes (nn.Linear(512, 10)), or call the model once on "
    "a sample batch inside the factory before returning it.",
)
define(
    "IC414", "error", "An override name reaches a module the model does not register",
    why="MMEngine resolves the name with getattr, so a property may return any module; "
    "when that module is not registered anywhere in the model, the plan has no path to "
    "write it under (and its random draws would be lost from the sequence).",
    example="@property\ndef norm(self):\n    return self._unregistered_norm",
    fix="Register the module as a submodule, or name the registered attribute.",
)
define(
    "IC416", "warning", "An initializer writes a weight that is recomputed when read",
    why="A parametrized weight (torch.nn.utils.parametrize, "
    "parametrizations.weight_norm, orthogonal) and old-style weight_norm's weight are "
    "computed from other parameters: MMEngine's initializer fills that computed copy, "
    "draws its random numbers, and leaves every parameter as it was.",
    example="layer = parametrizations.weight_norm(nn.Linear(8, 8))\n"
    "init_cfg: {type: Normal, layer: Linear}",
    fix="Initialize the underlying parameter (parametrizations.weight.original) in the "
    "module's own init_weights, or initialize the layer before registering the "
    "parametrization.",
)
define(
    "IC417", "error", "A module's own init_weights adds or replaces a parameter",
    why="After each child's init_weights MMEngine checks that every parameter under it "
    "is one the model had when init_weights started, and raises AssertionError ('Find a "
    "new Parameter') for one that was added or assigned anew. Found by tracing on the "
    "meta device; applying the plan raises InitError at the same point.",
    example="def init_weights(self):\n    self.fc.weight = nn.Parameter(torch.ones(2, 2))",
    fix="Create parameters in __init__ and write them in place in init_weights "
    "(nn.init.normal_(self.fc.weight), self.fc.weight.data.copy_(...)).",
)
define(
    "IC415", "info", "The config's init_cfg differs from what the constructor made of it",
    why="A model built from the config by MMEngine's registry received each init_cfg in "
    "its constructor, which may map it (mmdet's ResNet turns None into Kaiming and "
    "Constant defaults); what init_weights applies is the module's attribute.",
    example="model:\n  backbone:\n    type: ResNet\n    init_cfg: null",
    fix="Nothing to fix; the plan shows the constructor's value.",
)
