# Pretraining on filled shapes (circle, square, triangle, cross): 12 epochs from a
# Kaiming initialization. `initcfg train examples/shapes/pretrain.py` runs it; run it
# from the repository root so that `examples.shapes.*` can be imported.
#
# Factories are named `module:callable`: the module is imported (from the current
# directory when it is not installed) and the callable is called with the other keys.

model = dict(
    type='examples.shapes.model:build_model',
    backbone=dict(
        channels=(16, 32, 32),
        init_cfg=[
            dict(type='Kaiming', layer='Conv2d', mode='fan_out', nonlinearity='relu'),
            dict(type='Constant', layer='BatchNorm2d', val=1, bias=0),
        ],
    ),
    neck=dict(),
    head=dict(num_classes=4, init_cfg=dict(type='Normal', layer='Linear', std=0.01)),
)

classes = ('circle', 'square', 'triangle', 'cross')

train_dataloader = dict(
    batch_size=32,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='examples.shapes.data:ShapesDataset', split='train', classes=classes, size=640
    ),
)
val_dataloader = dict(
    batch_size=128,
    num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='examples.shapes.data:ShapesDataset', split='val', classes=classes, size=256
    ),
)
val_evaluator = dict(type='examples.shapes.metric:Accuracy')

train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=12, val_begin=1, val_interval=1)
val_cfg = dict(type='ValLoop')

optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.05, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(norm_decay_mult=0.0),
    clip_grad=dict(max_norm=10.0, norm_type=2),
)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=20),
    dict(type='MultiStepLR', by_epoch=True, milestones=[8, 11], gamma=0.1),
]

default_hooks = dict(
    logger=dict(type='LoggerHook', interval=10),
    checkpoint=dict(type='CheckpointHook', interval=4, max_keep_ckpts=2),
)
randomness = dict(seed=0)
work_dir = 'work_dirs/shapes_pretrain'
load_from = None
resume = False
