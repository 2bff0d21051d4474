# expect: valid
# Kaiming for convolutions and Constant for norm layers, as separate entries (fan-based
# types cannot initialize a 1-D weight).
model = dict(
    type='Detector',
    backbone=dict(
        type='ResNet',
        depth=50,
        init_cfg=[
            dict(type='Kaiming', layer='Conv2d'),
            dict(
                type='Constant',
                val=1,
                bias=0,
                layer=['_BatchNorm', 'GroupNorm'],
            ),
        ],
    ),
)
