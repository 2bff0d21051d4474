# expect: valid
# Tutorial: a list of entries, one value per layer type.
model = dict(
    type='Detector',
    backbone=dict(
        type='ResNet',
        depth=50,
        init_cfg=[
            dict(type='Constant', layer='Conv1d', val=1),
            dict(type='Constant', layer='Conv2d', val=2),
            dict(type='Constant', layer='Linear', val=3),
        ],
    ),
)
