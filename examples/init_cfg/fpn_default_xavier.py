# expect: valid
# Tutorial: FPN's default init_cfg.
model = dict(
    type='Detector',
    neck=dict(
        type='FPN',
        in_channels=[256, 512, 1024, 2048],
        out_channels=256,
        num_outs=5,
        init_cfg=dict(type='Xavier', layer='Conv2d', distribution='uniform'),
    ),
)
