# expect: valid
# Tutorial: one Constant entry for several layer types.
model = dict(
    type='Detector',
    backbone=dict(
        type='ResNet',
        depth=50,
        init_cfg=dict(type='Constant', layer=['Conv1d', 'Conv2d', 'Linear'], val=1),
    ),
)
