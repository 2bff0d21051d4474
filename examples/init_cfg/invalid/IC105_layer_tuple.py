# expect: IC105
# where: IC105@model.backbone.init_cfg.layer
# layer must be a str or a list; MMEngine raises TypeError on a tuple.
model = dict(
    type='Detector',
    backbone=dict(
        type='ResNet',
        depth=50,
        init_cfg=dict(type='Normal', layer=('Conv2d', 'Linear'), std=0.01),
    ),
)
