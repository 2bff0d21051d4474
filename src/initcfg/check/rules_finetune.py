"""IC3xx: fine-tune settings (train_cfg, optim_wrapper, param_scheduler, load_from, ...)."""

from initcfg.diagnostics import define

define(
    "IC301", "error", "Unknown argument for a loop, optimizer, wrapper or scheduler",
    why="MMEngine passes every key of these dicts to a constructor, so an unknown key "
    "raises TypeError (unexpected keyword argument) when the Runner builds it; an "
    "optimizer argument is checked against the real torch.optim signature (`momentum` "
    "on Adam fails), a dict `loss_scale` of AmpOptimWrapper against torch's "
    "GradScaler, which gets it as keyword arguments, and the keys of an EMAHook against "
    "the averaged model it passes them to (timm's `decay` fails when training starts).",
    example="optim_wrapper:\n  optimizer: {type: Adam, lr: 0.001, momentum: 0.9}",
    fix="Remove the key or correct its spelling (the hint names the closest argument).",
)
define(
    "IC302", "error", "A fine-tune setting has an invalid value",
    why="MMEngine or torch raises when the object is built (lr <= 0, momentum outside "
    "[0, 1), betas outside [0, 1), eps <= 0, nesterov without momentum, a scheduler "
    "whose end is not after its begin, also one that sets no end and begins at or after "
    "the run's length, which the Runner gives it as end; LinearLR factors outside "
    "[0, 1]; an AmpOptimWrapper loss_scale that is not exactly 'dynamic', a float or a "
    "dict, such as the int 512), when training starts (an EMAHook momentum outside (0, 1), or a "
    "begin_epoch or begin_iter past the run, which it asserts; MMDetection's "
    "LearningRateDecayOptimizerConstructor given a decay_type other than layer_wise or "
    "stage_wise, or a backbone that is not a ConvNeXt, and MMPretrain's "
    "LearningRateDecayOptimWrapperConstructor given a model or backbone without "
    "get_layer_depth (SwinTransformerV2, EfficientNet, TimmClassifier, ResNet-18), when "
    "it builds the optimizer wrapper), or when it is stepped (a OneCycleLR whose "
    "total_steps run out while it still acts), or the value is meaningless (max_epochs "
    "<= 0, a negative T_max).",
    example="optim_wrapper:\n  optimizer: {type: SGD, lr: 0.01, momentum: 1.5}",
    fix="Use a value in the range the message names.",
)
define(
    "IC303", "error", "A fine-tune setting lacks a required argument",
    why="MMEngine raises KeyError or TypeError when it builds the loop, optimizer or "
    "scheduler (train_cfg without type or by_epoch, MultiStepLR without milestones, an "
    "optim_wrapper without optimizer, a paramwise_cfg for MMDetection's "
    "LearningRateDecayOptimizerConstructor without num_layers or decay_rate, one for "
    "MMPretrain's LearningRateDecayOptimWrapperConstructor whose optimizer writes no "
    "weight_decay). A decay_mult without optimizer.weight_decay is IC451.",
    example="param_scheduler:\n  - {type: MultiStepLR, gamma: 0.1}",
    fix="Add the argument the message names.",
)
define(
    "IC304", "warning", "Optimizer or scheduler type is not one MMEngine/torch provides",
    why="The registry lookup fails at run time unless your project registers the name; "
    "a near-miss (`SDG`, `MultiStepLr`) is usually a typo. An imported class "
    "(`from torch.optim import AdamW`) is checked as its name; one that its module "
    "lacks fails to import. MMEngine's own names are known: `TorchAdafactor` (torch's "
    "Adafactor) and `ZeroRedundancyOptimizer`; a plain `Adafactor` is transformers' "
    "optimizer there, whose arguments initcfg does not check. MMEngine also registers "
    "`Adafactor`, `Lion`, the `DAdapt*` and bitsandbytes' optimizers (`AdamW8bit`, "
    "`bnb_Adam`), each only where its package is installed: one whose package is not "
    "installed where validate runs is told with the package to install.",
    example="optim_wrapper:\n  optimizer: {type: SDG, lr: 0.01}",
    fix="Use the torch.optim / MMEngine name, or make sure your project registers it.",
)
define(
    "IC305", "warning", "A paramwise_cfg key is ignored",
    why="MMEngine's DefaultOptimWrapperConstructor reads only its known keys with "
    "`.get`; a misspelt one (`bias_lr_mul`) silently changes nothing. The layer-decay "
    "constructors read fewer: MMPretrain's LearningRateDecayOptimWrapperConstructor "
    "reads layer_decay_rate, custom_keys and the bias, norm and flat decay multipliers, "
    "and sets each group's lr from the layer depth after copying a custom key's options "
    "(its `lr_mult` does nothing); MMDetection's LearningRateDecayOptimizerConstructor "
    "reads num_layers, decay_rate and decay_type alone (`custom_keys` does nothing), "
    "the usual case being a fine-tune of its ConvNeXt configs that adds custom_keys to "
    "the paramwise_cfg it inherits. A zero bias, norm or flat decay multiplier is not "
    "reported for MMDetection's: it gives those parameters no weight decay anyway.",
    example="optim_wrapper:\n  optimizer: {type: SGD, lr: 0.01}\n"
    "  paramwise_cfg: {bias_lr_mul: 2.0}",
    fix="Use one of custom_keys, bias_lr_mult, bias_decay_mult, norm_decay_mult, "
    "dwconv_decay_mult, flat_decay_mult, dcn_offset_lr_mult, bypass_duplicate; with a "
    "layer-decay constructor, one of the keys it reads, or MMEngine's default "
    "constructor (`_delete_=True` on optim_wrapper) for per-key lr multipliers.",
)
define(
    "IC306", "warning", "A MultiStepLR milestone is never reached",
    why="A milestone at or after the end of the run never fires, so the decay it stands "
    "for silently does not happen. The classic case: max_epochs cut from 12 to 8 while "
    "milestones stay at [8, 11]. `initcfg validate` and `initcfg plan --train` (which "
    "also counts iterations) report it alike.",
    example="train_cfg: {type: EpochBasedTrainLoop, max_epochs: 8}\n"
    "param_scheduler:\n  - {type: MultiStepLR, milestones: [8, 11], by_epoch: true}",
    fix="Move the milestones inside the run (for 8 epochs, e.g. [6, 7]) or drop them.",
)
define(
    "IC307", "warning", "A scheduler starts or ends outside the run",
    why="A scheduler whose `begin` is at or after the run's length never acts; one whose "
    "`end` lies beyond it is cut short, so the lr never reaches its planned value. The "
    "same holds for a curve given a length of its own (CosineAnnealingLR's `T_max`, "
    "OneCycleLR's `total_steps`) that reaches past the run: the usual leftover of a "
    "max_epochs cut while `T_max` stayed.",
    example="train_cfg: {type: EpochBasedTrainLoop, max_epochs: 8}\n"
    "param_scheduler:\n  - {type: CosineAnnealingLR, begin: 0, end: 12, by_epoch: true}",
    fix="Make begin/end (and T_max or total_steps) fit the run (end: 8 here), or derive "
    "them from max_epochs.",
)
define(
    "IC308", "warning", "The run validates only at its end, or never",
    why="MMEngine's train loops validate at each multiple of val_interval epochs "
    "(iterations) from val_begin on, and after the last one. With val_begin beyond "
    "max_epochs (max_iters) the validation loop never runs; with val_interval beyond it "
    "the run validates only once, after its last step. Either way there is no feedback "
    "while it trains, and checkpoint selection by metric has at most one point to choose "
    "from. Reported when the run validates and the loop has no dynamic_intervals: for "
    "initcfg's own loop (a factory model) when val_dataloader and val_evaluator are set "
    "(it reads no val_cfg), for MMEngine's Runner when val_cfg is set.",
    example="train_cfg: {type: EpochBasedTrainLoop, max_epochs: 8, val_interval: 10}\n"
    "val_cfg: {type: ValLoop}",
    fix="Set val_interval and val_begin to at most max_epochs (max_iters).",
)
define(
    "IC309", "error", "num_classes does not match the dataset's classes",
    why="A head left at COCO's 80 classes for a 3-class dataset trains without a word "
    "and wastes the run (the mistake the MMDetection fine-tuning guide warns about). "
    "Heads of open-vocabulary models (a text encoder in the model), heads with an "
    "explicit extra background/ignore class and class-agnostic heads are recognised and "
    "not reported.",
    example="model:\n  roi_head:\n    bbox_head: {num_classes: 80}\n"
    "train_dataloader:\n  dataset:\n    metainfo: {classes: [a, b, c]}",
    fix="Set num_classes to len(metainfo['classes']) in every head (cascade heads too).",
)
define(
    "IC310", "warning", "A fine-tune does not lower the learning rate",
    why="A config that loads pre-trained weights (load_from) usually fine-tunes with a "
    "smaller lr than its base; an equal or larger one tends to destroy the pre-trained "
    "features.",
    example="# base: lr=0.02\n_base_: faster_rcnn.py\nload_from: model.pth\n"
    "optim_wrapper: {optimizer: {lr: 0.02}}",
    fix="Lower optim_wrapper.optimizer.lr (the MMDetection recipe halves it or more).",
)
define(
    "IC311", "info", "A fine-tune trains as long as its base",
    why="Fine-tuning from load_from usually needs fewer epochs than training from "
    "scratch; this notes that max_epochs was not reduced.",
    example="# base: max_epochs=12\n_base_: faster_rcnn.py\nload_from: model.pth",
    fix="Reduce train_cfg.max_epochs if a shorter schedule was intended.",
)
define(
    "IC312", "error", "load_from or a Pretrained entry names a local file that does not exist",
    why="The Runner fails only after building the model and dataloaders, often after "
    "the job waited in a queue (a Pretrained checkpoint fails when `init_weights` reaches "
    "it, a backbone's own included). `initcfg validate` and `initcfg finetune-summary` skip "
    "the check with --no-fs-checks (`fs_checks=False` in the library); `initcfg train` "
    "needs the file.",
    example="load_from: checkpoints/faster_rcnn.pth  # not there",
    fix="Correct the path, download the checkpoint, or use its URL.",
)
define(
    "IC313", "warning", "load_from uses an unknown URL scheme",
    why="MMEngine's checkpoint loader dispatches on the prefix (http://, https://, "
    "torchvision://, open-mmlab://, openmmlab://, mmcls://, pavi://, s3://, ...); an "
    "unknown one falls through to a local path lookup that fails.",
    example="load_from: htps://download.openmmlab.com/model.pth",
    fix="Use a supported scheme or a local path.",
)
define(
    "IC314", "info", "A backbone Pretrained checkpoint is overwritten by load_from",
    why="The Runner loads load_from after init_weights, so the backbone's Pretrained "
    "weights are downloaded and then replaced by the whole-model checkpoint.",
    example="load_from: detector.pth\nmodel:\n  backbone:\n    init_cfg: "
    "{type: Pretrained, checkpoint: torchvision://resnet50}",
    fix="Set model.backbone.init_cfg=None to skip the wasted download.",
)
define(
    "IC315", "error", "A misspelt top-level Runner key is ignored",
    why="The Runner reads its settings with `cfg.get(...)`, so `load_form` or "
    "`param_schedular` is silently dropped and the run goes on without it.",
    example="load_form: checkpoints/detector.pth",
    fix="Use the key the hint names.",
)
define(
    "IC316", "error", "An argument inherited from the base does not fit the new optimizer",
    why="`_base_` merging keeps the base optimizer's keys when the child changes `type` "
    "(SGD -> Adam keeps `momentum`), and torch raises 'unexpected keyword argument'.",
    example="_base_: sgd_base.py\noptim_wrapper:\n  optimizer: {type: Adam, lr: 0.001}",
    fix="Add `_delete_=True` to the child's optimizer dict so the base's keys are dropped.",
)
define(
    "IC317", "info", "resume=True without load_from resumes from work_dir",
    why="With no load_from, the Runner looks for the latest checkpoint in work_dir; if "
    "there is none it silently starts from scratch.",
    example="resume: true",
    fix="Set load_from to the checkpoint to resume from, if that is what you meant.",
)
define(
    "IC318", "info", "auto_scale_lr changes the learning rate",
    why="With auto_scale_lr.enable=True the Runner multiplies lr by the real batch size "
    "over base_batch_size, so the lr written in the config is not the one used.",
    example="optim_wrapper:\n  optimizer: {type: SGD, lr: 0.02}\n"
    "auto_scale_lr: {enable: true, base_batch_size: 16}",
    fix="Nothing to fix; check that the effective lr in the message is what you want.",
)
define(
    "IC319", "error", "A dataloader setting has an invalid value",
    why="The Runner builds a torch DataLoader from the dict: a dataloader or sampler that "
    "is not a dict, a batch_size that is not an integer >= 1 or a negative num_workers "
    "raises there (TypeError or ValueError) when the run starts, not when it is written.",
    example="train_dataloader:\n  batch_size: 0\n  dataset: {type: ImageNet}",
    fix="Use a dict, batch_size >= 1 and num_workers >= 0.",
)
define(
    "IC320", "error", "A dataloader has no dataset",
    why="Runner.build_dataloader pops `dataset` from the dict and raises KeyError without "
    "one, and `initcfg train` refuses it. `validate` reports it for the configs initcfg's "
    "own loop trains (model.type a 'module:callable' factory), as it does IC321; short "
    "registry configs that show one setting often leave the dataset out.",
    example="model: {type: 'my_project.model:build'}\ntrain_dataloader:\n  batch_size: 8",
    fix="Add dataset=dict(type=...).",
)
define(
    "IC321", "error", "A factory initcfg's own loop builds does not name module:callable",
    why="When model.type is a 'module:callable' factory, `initcfg train` runs its own loop "
    "and builds the datasets, the evaluator and the model by calling the factories the "
    "config names; a registry name (or a value that is not a dict) cannot be called. "
    "Configs whose model is a registry type go to MMEngine's Runner and are not checked "
    "for this.",
    example="model: {type: 'my_project.model:build'}\n"
    "train_dataloader:\n  batch_size: 8\n  dataset: {type: ShapesDataset}",
    fix="Name the factory as type='package.module:callable' (or a path to a .py file "
    "beside the config, then ':callable').",
)
define(
    "IC322", "error", "work_dir is not a path",
    why="The Runner calls osp.abspath(work_dir) and raises TypeError for anything but a "
    "string.",
    example="work_dir: 5",
    fix="Give the folder as a string.",
)
define(
    "IC323", "error", "The logger's interval is not an integer",
    why="LoggerHook logs every `interval` iterations by taking the iteration count modulo "
    "it; a string or a bool raises TypeError (or logs at the wrong times) when the run "
    "starts.",
    example="default_hooks:\n  logger: {type: LoggerHook, interval: '50'}",
    fix="Write the interval as an integer.",
)
define(
    "IC324", "warning", "Settings the Runner takes together are only partly set",
    why="MMEngine's Runner raises ValueError when it is built unless train_dataloader, "
    "train_cfg and optim_wrapper are all set or all None (the same for the val_ and "
    "test_ dataloader, cfg and evaluator), and when param_scheduler is set without "
    "optim_wrapper. A warning, not an error: a config that sets only some of them may be "
    "a base that another completes. Only configs the Runner builds from an OpenMMLab "
    "registry are checked: those with a model and a default_scope.",
    example="default_scope: mmpretrain\nmodel: {type: ImageClassifier}\n"
    "val_cfg: {type: ValLoop}\nval_dataloader: null\nval_evaluator: null",
    fix="Set the missing ones, or set the group's others to None as well.",
)
define(
    "IC325", "warning", "A MultiStepLR milestone is written more than once",
    why="MMEngine counts the milestones rather than sorting them: their order does not "
    "matter, but a milestone written twice multiplies the lr by gamma twice at that step "
    "(gamma squared, 0.01 for the default 0.1) instead of once. A copied list edited by "
    "hand ([8, 11] turned into [8, 8]) does this silently.",
    example="train_cfg: {type: EpochBasedTrainLoop, max_epochs: 12}\n"
    "param_scheduler:\n  - {type: MultiStepLR, milestones: [8, 8], by_epoch: true}",
    fix="Write each milestone once; for a larger drop at one step, lower gamma instead.",
)
define(
    "IC326", "warning", "An MMCV 1.x setting that MMEngine no longer reads",
    why="MMDetection 2.x and MMClassification configs (MMCV 1.x) set the schedule, the "
    "checkpoints, the batch size and resuming through top-level keys that MMEngine's "
    "Runner never looks at: `lr_config`, `optimizer_config`, `checkpoint_config`, "
    "`log_config`, `runner`, `evaluation`, `data=dict(samples_per_gpu=...)`, "
    "`resume_from`, `cudnn_benchmark` and more. A snippet copied from an old config, or a "
    "key left over from a migration, is silently dropped: the run keeps a constant lr, "
    "the base's batch size, or starts from scratch instead of resuming. A Python config "
    "that keeps such a name as a variable and passes its value on to where MMEngine reads "
    "it (`total_epochs = 15` with `train_cfg = dict(max_epochs=total_epochs)`) is not "
    "reported.",
    example="data:\n  samples_per_gpu: 64",
    fix="Write the setting where MMEngine reads it (the hint names the place), or delete "
    "the key.",
)
define(
    "IC327", "warning", "An epoch-based CheckpointHook in an iteration run saves only at its end",
    why="MMEngine's CheckpointHook counts epochs unless by_epoch=False, and an "
    "IterBasedTrainLoop runs the whole training as one epoch: the hook saves once, after "
    "the last iteration. A run that crashes or is stopped at iteration 80,000 of 90,000 "
    "leaves no checkpoint to resume from. The usual cause: default_runtime's "
    "`checkpoint=dict(type='CheckpointHook', interval=1)` kept in an iteration-based "
    "config.",
    example="train_cfg: {type: IterBasedTrainLoop, max_iters: 90000}\n"
    "default_hooks:\n  checkpoint: {type: CheckpointHook, interval: 5000}",
    fix="Set by_epoch=False on default_hooks.checkpoint and give interval in iterations.",
)
define(
    "IC328", "warning", "A cosine's T_max is shorter than the span it acts over",
    why="CosineAnnealingLR follows a cosine of period 2 * T_max, in MMEngine as in torch: "
    "after begin + T_max steps the lr has reached eta_min and climbs back, reaching the "
    "base lr again at begin + 2 * T_max. With T_max below end - begin (or below the run "
    "when end is unset), the end of training runs at a rising lr. The usual cause: "
    "max_epochs raised while a hard-coded T_max stayed.",
    example="train_cfg: {type: EpochBasedTrainLoop, max_epochs: 200}\n"
    "param_scheduler:\n  - {type: CosineAnnealingLR, T_max: 100, by_epoch: true}",
    fix="Set T_max to end - begin (or leave it out, which means the same), or end the "
    "scheduler at begin + T_max.",
)
define(
    "IC329", "error", "An endless sampler in an epoch-based run: the first epoch never ends",
    why="EpochBasedTrainLoop runs each epoch as one pass over the train dataloader, and "
    "an InfiniteSampler (or MMDetection's MultiSourceSampler) never ends its pass: the "
    "run trains on without validating, saving an epoch checkpoint or stepping an "
    "epoch-based scheduler, and never stops by itself. MMEngine does not complain. The "
    "usual cause: a dataloader copied from an iteration-based config.",
    example="train_cfg: {type: EpochBasedTrainLoop, max_epochs: 12}\n"
    "train_dataloader:\n  sampler: {type: InfiniteSampler}",
    fix="Use DefaultSampler with an epoch loop, or an IterBasedTrainLoop with the "
    "endless sampler.",
)
define(
    "IC330", "warning", "A switch planned for part of the run falls outside it",
    why="Some settings change the run part way: a `dynamic_intervals` milestone makes "
    "validation more frequent, MMDetection's PipelineSwitchHook swaps in the second "
    "train pipeline (RTMDet's last 20 epochs without mosaic), YOLOXModeSwitchHook turns "
    "mosaic and mixup off for the last `num_last_epochs`. Written as numbers, or "
    "computed in a base from the base's max_epochs, they stay where they were when a "
    "fine-tune shortens the run: the switch silently never happens, or (YOLOX) happens "
    "before the first epoch.",
    example="train_cfg: {type: EpochBasedTrainLoop, max_epochs: 36}\n"
    "custom_hooks:\n  - {type: PipelineSwitchHook, switch_epoch: 280, switch_pipeline: []}",
    fix="Move the switch inside the run, computed from the child's max_epochs.",
)
define(
    "IC331", "warning", "save_best in a run that never validates keeps no checkpoint",
    why="MMEngine's CheckpointHook compares the metric after each validation and keeps "
    "the best checkpoint then. A complete config with no validation loop (no "
    "val_dataloader, val_cfg or val_evaluator) never validates, so `save_best` silently "
    "keeps nothing, and a script that picks `best_*.pth` afterwards finds none.",
    example="model: {type: RetinaNet}\ndefault_scope: mmdet\n"
    "default_hooks:\n  checkpoint: {type: CheckpointHook, interval: 1, save_best: auto}",
    fix="Configure validation (val_dataloader, val_cfg, val_evaluator), or remove save_best.",
)
define(
    "IC332", "error", "The one-hot targets count other classes than the head",
    why="MMPretrain's data preprocessor turns labels into one-hot targets of its own "
    "`num_classes` when the model mixes batches (`model.train_cfg.augments`: Mixup, "
    "CutMix) or `to_onehot` is set. Its `num_classes` sits in the dataset base "
    "(`data_preprocessor = dict(num_classes=1000, ...)`), apart from the head's: a "
    "fine-tune that changes only the head feeds 5 logits and 1000-class targets to the "
    "loss, which raises a size mismatch at the first iteration, after the model, the "
    "data and the checkpoint have been loaded.",
    example="model:\n  head: {type: LinearClsHead, num_classes: 5, in_channels: 768}\n"
    "  train_cfg:\n    augments: [{type: Mixup, alpha: 0.8}]\n"
    "data_preprocessor: {num_classes: 1000}",
    fix="Set data_preprocessor.num_classes to the head's num_classes.",
)
define(
    "IC333", "warning", "A head keeps the base's num_classes while another was changed",
    why="Two-stage and multi-task detectors count the classes in more than one head "
    "(Mask R-CNN's bbox_head and mask_head, HTC's three stages). A fine-tune that sets "
    "num_classes on one of them leaves the others at the base's 80: they train and "
    "predict for COCO's classes, silently, when the dataset does not name its classes "
    "(then IC309 compares each head with the dataset). A tracker's re-ID head (it counts "
    "identities) and the task heads of MMPretrain's MultiTaskHead (each task has its own "
    "labels) are left out.",
    example="_base_: mask_rcnn_coco.yaml\nmodel:\n  roi_head:\n    bbox_head: "
    "{num_classes: 3}",
    fix="Set the same num_classes on every head.",
)
define(
    "IC334", "error", "Top-k accuracy asks for more classes than the head has",
    why="MMPretrain's ImageNet dataset bases evaluate with `Accuracy(topk=(1, 5))`. A "
    "fine-tune to fewer than 5 classes keeps that evaluator, and MMPretrain's Accuracy "
    "raises ValueError('Top-5 accuracy is unavailable since the number of categories "
    "is 3') at the first validation, after a whole interval of training.",
    example="model:\n  head: {type: LinearClsHead, num_classes: 3}\n"
    "val_evaluator: {type: Accuracy, topk: [1, 5]}",
    fix="Use topk values of at most num_classes (topk=(1,) for a 3-class task).",
)
define(
    "IC335", "warning", "A Pretrained checkpoint is named for another depth",
    why="A config that raises a ResNet backbone's depth (50 to 101) and inherits its "
    "init_cfg keeps loading `torchvision://resnet50`. MMEngine loads checkpoints with "
    "strict=False: the stem and the blocks the two share get ResNet-50's weights, "
    "layer3's extra blocks keep their fresh initialization, and the missing keys only "
    "show in the log.",
    example="model:\n  backbone:\n    type: ResNet\n    depth: 101\n    init_cfg: "
    "{type: Pretrained, checkpoint: 'torchvision://resnet50'}",
    fix="Load the checkpoint of the depth you build (torchvision://resnet101).",
)
define(
    "IC336", "warning", "An EMA momentum that keeps almost none of the average",
    why="MMEngine's EMAHook averages with `average = (1 - momentum) * average + momentum "
    "* current` (ExponentialMovingAverage and its subclasses MomentumAnnealingEMA, "
    "MMDetection's ExpMomentumEMA, MMPretrain's CosineEMA), so its momentum is small "
    "(OpenMMLab's configs use 4e-5 to 5e-4). A momentum above 0.5 is usually the decay "
    "of timm's or YOLOv5's EMA (0.9998) carried over: the average then keeps 0.0002 of "
    "itself per update, the EMA model is the current model, and the checkpoint and the "
    "validation it is used for gain nothing. MMEngine only logs a warning.",
    example="custom_hooks:\n  - {type: EMAHook, momentum: 0.9998}",
    fix="Write 1 - decay: momentum=0.0002 for a decay of 0.9998.",
)
define(
    "IC337", "warning", "An auto_scale_lr key is ignored",
    why="The Runner's scale_lr reads `auto_scale_lr.get('enable', False)` and then "
    "`base_batch_size`, nothing else: a misspelt switch (`enabled: true`) leaves the lr "
    "unscaled without a word, and any other key (`base_lr`, `by_epoch`) does nothing.",
    example="auto_scale_lr: {enabled: true, base_batch_size: 16}",
    fix="Spell it enable (and base_batch_size); remove other keys.",
)
define(
    "IC338", "warning", "resume=True with a released checkpoint as load_from",
    why="With resume=True the Runner resumes from load_from: it restores the loop "
    "position, the message hub, the optimizer and the schedulers from the file. "
    "OpenMMLab's released checkpoints (download.openmmlab.com, torchvision://, "
    "open-mmlab://) hold only the weights and meta (publish_model keeps meta and "
    "state_dict), so the Runner raises KeyError after building the model and the data. "
    "The usual cause is a fine-tune that sets resume=True meaning 'start from these "
    "weights', which load_from alone does.",
    example="model: {type: RetinaNet}\ndefault_scope: mmdet\nresume: true\n"
    "load_from: https://download.openmmlab.com/mmdetection/v2.0/retinanet/"
    "retinanet_r50_fpn_1x_coco/retinanet_r50_fpn_1x_coco_20200130-c2398f9e.pth",
    fix="Set resume=False to fine-tune from the released weights; resume only from a "
    "checkpoint a run of yours saved.",
)
define(
    "IC339", "warning", "flat_decay_mult without optimizer.weight_decay does nothing",
    why="MMEngine's DefaultOptimWrapperConstructor applies the decay multipliers only when "
    "optim_wrapper.optimizer writes weight_decay. They refuse bias_decay_mult, "
    "norm_decay_mult and dwconv_decay_mult without it (IC451) but drop flat_decay_mult "
    "without a word, and the optimizer then decays the one-dimensional parameters with "
    "its own default: AdamW's is 0.01, so `flat_decay_mult=0` on an AdamW that relies on "
    "its default weight decay still decays every norm and bias. Not reported where the "
    "default already gives what the multiplier asks (SGD and Adam default to 0), nor for "
    "the layer-decay constructors (MMDetection's zeroes it itself, MMPretrain's raises "
    "without weight_decay: IC303).",
    example="optim_wrapper:\n  optimizer: {type: AdamW, lr: 0.0001}\n"
    "  paramwise_cfg: {flat_decay_mult: 0.0}",
    fix="Write optimizer.weight_decay (AdamW: weight_decay=0.01 keeps its default).",
)
define(
    "IC340", "error", "A label-smoothing loss counts other classes than its head",
    why="MMPretrain's `LabelSmoothLoss` may write its own `num_classes`; it then asserts "
    "at every call that the count equals the width of the head's scores. A fine-tune "
    "that changes the head's `num_classes` and inherits a loss written for the base's "
    "classes stops with an AssertionError at the first iteration, after the model, the "
    "data and the checkpoint have been loaded.",
    example="model:\n  head:\n    type: LinearClsHead\n    num_classes: 5\n"
    "    in_channels: 512\n    loss: {type: LabelSmoothLoss, label_smooth_val: 0.1, "
    "num_classes: 1000}",
    fix="Set the loss's num_classes to the head's, or leave it out: without it the loss "
    "takes the width of the scores.",
)
define(
    "IC341", "warning", "The run never saves a checkpoint",
    why="With `save_last=False`, MMEngine's CheckpointHook saves only every `interval` "
    "epochs (iterations) from `save_begin` on: at `save_begin` itself when it is 1 or "
    "more, else after `interval`, `2 * interval`... An interval of -1 (the hook's "
    "default), or an interval copied from a long schedule into a short fine-tune "
    "(`interval=50` in a 20-epoch run), saves nothing at all, and the trained weights "
    "are lost when the run ends without a word.",
    example="train_cfg: {type: EpochBasedTrainLoop, max_epochs: 20}\n"
    "default_hooks:\n  checkpoint: {type: CheckpointHook, interval: 50, save_last: false}",
    fix="Keep save_last=True (the default), or use an interval within the run.",
)
