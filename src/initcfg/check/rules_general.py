"""IC0xx: reading files, parsing them, and inline suppressions."""

from initcfg.diagnostics import define

define(
    "IC001", "error", "The file cannot be read",
    why="A config that cannot be read cannot be checked; the training run would fail too.",
    example="initcfg validate missing.yaml",
    fix="Check the path and the file's permissions.",
)
define(
    "IC002", "error", "The file is not valid YAML, JSON or Python",
    why="MMEngine stops at the first syntax error, usually long after the job was queued.",
    example="model:\n  init_cfg: {type: Kaiming",
    fix="Correct the syntax at the reported position.",
)
define(
    "IC003", "error", "A key is written twice in one mapping",
    why="YAML and JSON readers silently keep the last value, so the first one is lost "
    "without a word.",
    example="init_cfg:\n  type: Normal\n  std: 0.01\n  std: 0.001",
    fix="Keep one of the two keys.",
)
define(
    "IC004", "warning", "A suppression comment silences nothing",
    why="A stale `# initcfg: ignore[CODE]` hides the next real problem on that line. "
    "Reported with --strict.",
    example="layer: Conv2d  # initcfg: ignore[IC114]",
    fix="Remove the comment, or name the code that is actually reported on that line.",
)
define(
    "IC005", "error", "The file's root is not a mapping of names",
    why="A config is a mapping of top-level keys; a list or a scalar at the root cannot "
    "be a config, and MMEngine reads each top-level key as a name, so a key that is not "
    "a string (`1:` or `null:` in YAML, or such a key in a mapping given to "
    "`initcfg.validate`) makes it crash. A YAML or JSON file that holds no value (empty, "
    "only comments, `null`) crashes it too (`'NoneType' object has no attribute 'get'`).",
    example="- type: Kaiming",
    fix="Put the settings under keys such as `model:`.",
)
define(
    "IC006", "error", "A config given as a mapping contains itself or nests too deeply",
    why="Only a mapping built in code can do this (a dict stored inside itself, or "
    "hundreds of levels of nesting); every step that copies or walks the config, "
    "MMEngine's included, then recurses until Python gives up.",
    example="cfg = dict(model=dict()); cfg['model']['parent'] = cfg",
    fix="Build the mapping from plain values that each appear outside themselves.",
)
define(
    "IC007", "error", "pyproject.toml cannot be read as TOML",
    why="The project's [tool.initcfg] settings (extra layers, selected and ignored codes, "
    "fail-on) would otherwise be dropped without a word, and the run would check with "
    "defaults the project did not choose.",
    example="[tool.initcfg\nextra-layers = [\"ConvModule\"]",
    fix="Correct the TOML at the reported line (here the table header lacks its `]`).",
)
define(
    "IC008", "warning", "[tool.initcfg] has a key initcfg does not read",
    why="A misspelt setting (`extra_layers` for `extra-layers`) is otherwise ignored "
    "silently, and the checks run as if it were not there.",
    example="[tool.initcfg]\nextra_layers = [\"ConvModule\"]",
    fix="Use one of the documented keys (the hint names the closest); settings are "
    "spelt with hyphens.",
)
define(
    "IC009", "error", "A [tool.initcfg] setting has a value of the wrong kind",
    why="A setting that cannot be understood (a string where a list is expected, a code "
    "that does not exist, a `select` that names no code and would hide every finding) "
    "is not applied, so the checks run otherwise than the project asked.",
    example="[tool.initcfg]\nignore = \"IC310\"\nselect = [\"IC99\"]",
    fix="Give lists of codes or code prefixes (`[\"IC310\"]`), and fail-on as one of "
    "'error', 'warning', 'info'.",
)
define(
    "IC010", "error", "A plan file is not a plan initcfg can read",
    why="A plan read back from JSON (`InitPlan.load`, `loads`, `from_json`, "
    "`TrainPlan.read_file`, `loads`) is executed on a model; a field of the wrong kind "
    "(a string where a number is, a missing key, a list where a shape is) would stop "
    "`apply` part way, with some tensors written and others not. The file is refused "
    "before anything is built from it.",
    example='{"format": 1, "steps": [{"kind": "init", "writes": [{"shape": "3x3", ...}]}]}',
    fix="Write the plan again with `plan.save(path)` (or `initcfg plan --format json`); "
    "the diagnostic's path names the field (`steps[0].writes[0].shape`).",
)
