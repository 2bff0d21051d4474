"""IC45x-IC47x: a config's optimizer, schedule and checkpoint compiled against a model."""

from initcfg.diagnostics import define

define(
    "IC451", "error", "A decay multiplier is set but the optimizer has no weight_decay",
    why="MMEngine's DefaultOptimWrapperConstructor raises ValueError('base_wd should not be "
    "None') when bias_decay_mult, norm_decay_mult, dwconv_decay_mult or a custom key's "
    "decay_mult is given without `optimizer.weight_decay`.",
    example="optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01), "
    "paramwise_cfg=dict(norm_decay_mult=0.))",
    fix="Set `weight_decay` in `optim_wrapper.optimizer`.",
)
define(
    "IC452", "error", "A learning-rate multiplier is set but the optimizer has no lr",
    why="The constructor multiplies `optimizer.lr` by the multiplier; with no lr it raises "
    "TypeError.",
    example="optim_wrapper = dict(optimizer=dict(type='SGD'), "
    "paramwise_cfg=dict(bias_lr_mult=2.))",
    fix="Set `lr` in `optim_wrapper.optimizer`.",
)
define(
    "IC453", "error", "A shared parameter would be placed in two optimizer groups",
    why="With paramwise_cfg every parameter gets its own group, module by module; a "
    "parameter owned by two modules (tied weights, a shared module) is added twice and "
    "torch raises 'some parameters appear in more than one parameter group'.",
    example="paramwise_cfg=dict(norm_decay_mult=0.)  # model ties head.weight to embed.weight",
    fix="Add `bypass_duplicate=True` to `paramwise_cfg`.",
)
define(
    "IC454", "warning", "A custom key matches no parameter",
    why="`custom_keys` match by substring of the parameter name; a key that matches nothing "
    "silently leaves every parameter at the base lr and weight decay.",
    example="paramwise_cfg=dict(custom_keys={'bakbone': dict(lr_mult=0.1)})  # backbone.*",
    fix="Use a substring of a real parameter name (`initcfg plan --train` lists them).",
)
define(
    "IC455", "warning", "The model has an attribute named `module`",
    why="MMEngine takes any model with a `module` attribute for a DDP wrapper and builds "
    "the optimizer for that attribute alone: every other parameter is never trained.",
    example="self.module = nn.Linear(4, 4)  # in the top-level model",
    fix="Rename the attribute.",
)
define(
    "IC456", "info", "The optimizer is not a torch.optim class",
    why="initcfg reads the defaults of options the config leaves out from the torch class; "
    "for another optimizer they are unknown and shown as such.",
    example="optimizer=dict(type='Lion', lr=1e-4)",
    fix="Nothing to fix; write lr and weight_decay explicitly to see them in the plan.",
)
define(
    "IC457", "error", "No parameter is left for the optimizer",
    why="Every parameter is frozen (or skipped), so torch raises 'optimizer got an empty "
    "parameter list'.",
    example="model.requires_grad_(False) with paramwise_cfg set",
    fix="Leave some parameters trainable.",
)
define(
    "IC458", "info", "The config has no optim_wrapper to plan",
    why="The training plan starts from the optimizer: without `optim_wrapper` there are no "
    "parameter groups and no learning-rate table, only the loop. MMEngine's Runner trains "
    "only when train_cfg, train_dataloader and optim_wrapper are all set; a schedule "
    "fragment meant to be inherited often has the loop alone.",
    example="train_cfg = dict(by_epoch=True, max_epochs=12)  # and no optim_wrapper",
    fix="Plan the config that inherits this one, or add "
    "`optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.01))`.",
)
define(
    "IC460", "info", "The learning-rate table needs the number of iterations per epoch",
    why="An iteration-based scheduler, `convert_to_iter_based`, or a default `end` in "
    "iterations depends on the dataloader length, which the config alone does not give.",
    example="param_scheduler=[dict(type='LinearLR', by_epoch=False, end=500), ...]",
    fix="Pass `iters_per_epoch` (`initcfg plan --train --iters-per-epoch N`).",
)
define(
    "IC461", "warning", "An epoch-based scheduler under an iteration-based loop",
    why="IterBasedTrainLoop steps `by_epoch` schedulers only once, after the last "
    "iteration, so the scheduler never changes the learning rate used in training.",
    example="train_cfg=dict(type='IterBasedTrainLoop', max_iters=9000), "
    "param_scheduler=dict(type='MultiStepLR', milestones=[6000, 8000])",
    fix="Set `by_epoch=False` on the scheduler.",
)
define(
    "IC462", "warning", "A scheduler never acts during training",
    why="Its `begin` is at or after the end of training, so it changes nothing.",
    example="train_cfg=dict(max_epochs=8), "
    "param_scheduler=dict(type='MultiStepLR', begin=8, end=12, milestones=[9])",
    fix="Move `begin` (and its milestones) inside the run, or remove it.",
)
define(
    "IC463", "error", "A scheduler's arguments are rejected by MMEngine",
    why="MMEngine raises when it builds or steps the scheduler: `end` not after `begin` "
    "(an unset `end` is max_epochs or max_iters, as the Runner sets it), OneCycleLR "
    "stepped past its total steps, and similar. A value wrong in the config alone (a "
    "factor outside [0, 1]) is IC302, from `initcfg validate` already.",
    example="train_cfg=dict(max_epochs=8), "
    "param_scheduler=dict(type='MultiStepLR', begin=8, milestones=[9])  # end: max_epochs",
    fix="Correct the value the message names.",
)
define(
    "IC464", "info", "A scheduler is not tabulated",
    why="ReduceOnPlateauLR depends on validation metrics, momentum and weight-decay "
    "schedulers do not change the learning rate, and a project's own scheduler (mmdet's "
    "QuadraticWarmupLR) is not modelled, so the table leaves them out. One that changes "
    "the lr (ReduceOnPlateauLR, a project's warm-up, a *ParamScheduler with "
    "param_name='lr') makes the run's rates differ from the table. `initcfg train`, "
    "whose own loop steps only the table's schedulers, refuses every scheduler the "
    "table leaves out, a momentum or weight-decay one too.",
    example="dict(type='ReduceOnPlateauLR', monitor='loss')",
    fix="Read the table as the rates without that scheduler; train the config with "
    "MMEngine's Runner (registry types) to have it stepped.",
)
define(
    "IC470", "warning", "The load_from checkpoint cannot be read",
    why="The train plan cannot tell which parameters the checkpoint loads; MMEngine would "
    "fail at the start of training.",
    example="load_from = 'work_dirs/pretrain/epoch_12.pth'  # not written yet",
    fix="Check the path, or run the pretraining first.",
)
define(
    "IC466", "warning", "auto_scale_lr cannot be applied in the plan",
    why="The Runner scales every rate by world size × train_dataloader.batch_size / "
    "base_batch_size; without a batch size in the config the plan shows unscaled rates.",
    example="auto_scale_lr = dict(enable=True, base_batch_size=16)  # no train_dataloader",
    fix="Set `train_dataloader.batch_size`.",
)
define(
    "IC467", "info", "The optimizer wrapper uses its own constructor",
    why="A project constructor (layer-wise decay and the like) assigns rates its own way, "
    "so initcfg does not plan the parameter groups or the lr table.",
    example="optim_wrapper = dict(constructor='LearningRateDecayOptimizerConstructor', ...)",
    fix="Nothing to fix; the rest of the plan stands.",
)
define(
    "IC468", "warning", "OneCycleLR erases the per-group learning rates",
    why="OneCycleLR sets every group's initial rate to eta_max / div_factor, so the lr_mult "
    "of paramwise_cfg (custom_keys, bias_lr_mult) no longer makes any difference.",
    example="paramwise_cfg=dict(custom_keys={'backbone': dict(lr_mult=0.1)}), "
    "param_scheduler=dict(type='OneCycleLR', eta_max=0.1)",
    fix="Drop the multipliers, or use a scheduler that scales the groups' own rates.",
)
define(
    "IC469", "info", "The run is too long to tabulate its learning rate",
    why="The plan replays MMEngine's schedulers step by step; past a few million steps that "
    "costs more time and memory than a plan should (and such a length is usually a typo).",
    example="train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=100000000000)",
    fix="Check max_epochs / max_iters; the run itself is unaffected.",
)
define(
    "IC471", "error", "Another training run holds the work dir",
    why="Two runs writing one work dir interleave their log and replace each other's "
    "checkpoints. `initcfg train` locks the work dir for the whole run (the lock goes "
    "with the process, also after a crash), and a second run stops at once.",
    example="initcfg train cfg.py --work-dir wd   # while another `initcfg train ... wd` runs",
    fix="Wait for the other run to end, or train into another --work-dir.",
)
define(
    "IC472", "error", "An input of the run is a file the run writes",
    why="A run writes `epoch_N.pth`, `iter_N.pth`, `interrupted.pth`, `last_checkpoint` "
    "and `train_log.jsonl` in its work dir, and rotates old checkpoints away: a "
    "`load_from` or `Pretrained` checkpoint of that name there would be overwritten or "
    "deleted by the run that reads it.",
    example="load_from = 'wd/epoch_3.pth'  # with --work-dir wd",
    fix="Copy the checkpoint elsewhere first, or choose another --work-dir.",
)
define(
    "IC473", "error", "The work dir holds a previous run",
    why="A new run would replace the previous run's log and checkpoints one by one, "
    "leaving a mix of both.",
    example="initcfg train cfg.py --work-dir wd   # wd holds epoch_1.pth, train_log.jsonl",
    fix="`--resume` to continue the run, `--overwrite` to start over (its files are "
    "removed first), or another --work-dir.",
)
define(
    "IC474", "error", "A file in the work dir is not a regular file",
    why="A run never writes through a symbolic link (it would write outside the work "
    "dir) nor reads a fifo or device (it would block forever); `--resume` passes such a "
    "`*.pth` over and takes the newest regular checkpoint.",
    example="ln -s ~/.bashrc wd/train_log.jsonl",
    fix="Remove the link or special file.",
)
define(
    "IC475", "warning", "The training log ends in a line cut short",
    why="A crash during a write leaves the last line of `train_log.jsonl` incomplete; a "
    "resumed run drops it (the checkpoint holds the run's state) and says so.",
    example='{"mode": "train", "epoch": 2, "it',
    fix="Nothing to fix: the resumed run rewrites the log from its checkpoint on.",
)
define(
    "IC476", "error", "The training log holds a line that is not a record",
    why="A damaged line before the last one is not what a crash leaves: the log was "
    "edited or written by something else, and resuming would mix it into the run's.",
    example="wd/train_log.jsonl line 3: `<<<<<<< HEAD`",
    fix="Move the log aside and resume: the checkpoint holds the run's state.",
)
define(
    "IC477", "info", "Temp files of an interrupted write were removed",
    why="A process killed during an atomic write (kill -9, power loss) leaves its temp "
    "file (`.epoch_3.pth.abcd1234.tmp`); the next run in the work dir removes them while "
    "it holds the work dir's lock.",
    example="kill -9 during a checkpoint write, then initcfg train ... --resume",
    fix="Nothing to fix.",
)
define(
    "IC478", "error", "A file of the run cannot be written",
    why="A write in the work dir failed; the message names the file and the cause (the "
    "file-size limit `ulimit -f`, a full disk, a quota) instead of torch's "
    "`inline_container.cc` text. The previous checkpoint is intact (writes are atomic).",
    example="ulimit -f 1000; initcfg train cfg.py",
    fix="Free space or raise the limit, then continue with --resume.",
)
