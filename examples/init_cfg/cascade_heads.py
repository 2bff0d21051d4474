# expect: IC109
# where: IC109@model.roi_head.bbox_head[1].init_cfg.override
# init_cfg is found at any depth, list items included: the second of three cascade heads
# has an override without a name.
model = dict(
    type='CascadeRCNN',
    roi_head=dict(
        type='CascadeRoIHead',
        bbox_head=[
            dict(
                type='Shared2FCBBoxHead',
                init_cfg=[
                    dict(type='Xavier', layer='Linear', distribution='uniform'),
                    dict(type='Normal', std=0.01, override=dict(name='fc_cls')),
                ],
            ),
            dict(
                type='Shared2FCBBoxHead',
                init_cfg=dict(
                    type='Normal',
                    layer='Linear',
                    std=0.01,
                    override=dict(type='Normal', std=0.001),
                ),
            ),
            dict(
                type='Shared2FCBBoxHead',
                init_cfg=dict(type='Kaiming', layer='Linear', mode='fan_in', a=1),
            ),
        ],
    ),
)
