"""IC481-IC499: initcfg inside MMEngine's Runner, and plans made without a model."""

from initcfg.diagnostics import define

define(
    "IC481", "warning", "InitcfgHook could not compile the init plan for the runner's model",
    why="The hook plans the initialization of the model MMEngine built; when that fails (a "
    "module initcfg cannot walk, a checkpoint it cannot read) the run goes on unchecked "
    "beyond the config's own rules, and the load report cannot name the writers of fresh "
    "tensors.",
    example="custom_hooks = [dict(type='InitcfgHook')]  # model with an unusual init_cfg",
    fix="Run `initcfg plan CONFIG` on the same config to see the failure with its cause.",
)
define(
    "IC482", "info", "The training plan was made without a model",
    why="Parameter groups (`paramwise_cfg`) and the `load_from` map need the model; the "
    "schedule does not. Without a model the table shows the optimizer's own learning rate "
    "(scaled by `auto_scale_lr`), which is every group's rate unless `paramwise_cfg` sets "
    "multipliers.",
    example="initcfg plan configs/retinanet_finetune.py --train --dataset-size 1200",
    fix="Nothing to fix. To plan the groups and the load too, pass `--model MODULE:FACTORY`, "
    "or name the installed OpenMMLab package that registers the model (`default_scope`).",
)
