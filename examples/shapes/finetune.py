# Fine-tuning on outlined shapes (ring, frame, chevron) from the pretrained weights,
# inherited the MMDetection way: only what changes is written here.

_base_ = './pretrain.py'

classes = ('ring', 'frame', 'chevron')

model = dict(
    head=dict(
        num_classes=3,
        # The new head starts from a small normal draw; `override` names its `fc`.
        init_cfg=dict(
            type='Normal', layer='Linear', std=0.01,
            override=dict(name='fc', type='Normal', std=0.01),
        ),
    ),
)

train_dataloader = dict(dataset=dict(classes=classes, size=192))
val_dataloader = dict(dataset=dict(classes=classes, size=192))

train_cfg = dict(max_epochs=8)
optim_wrapper = dict(optimizer=dict(lr=0.01))
param_scheduler = [
    dict(type='LinearLR', start_factor=0.1, by_epoch=False, begin=0, end=6),
    dict(type='MultiStepLR', by_epoch=True, milestones=[6], gamma=0.1),
]
default_hooks = dict(checkpoint=dict(interval=2, max_keep_ckpts=2))

# The checkpoint pretrain.py writes after its last epoch; the head's weights do not
# fit the new number of classes and keep their fresh initialization.
load_from = 'work_dirs/shapes_pretrain/epoch_12.pth'
work_dir = 'work_dirs/shapes_finetune'
