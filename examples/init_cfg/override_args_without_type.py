# expect: IC110
# where: IC110@model.roi_head.bbox_head.init_cfg.override
# Tutorial: an override with arguments but no type is an error; only a name-only
# override inherits the parent type.
model = dict(
    type='Detector',
    roi_head=dict(
        type='RoIHead',
        bbox_head=dict(
            type='BBoxHead',
            num_classes=80,
            init_cfg=dict(
                type='Constant',
                layer=['Conv1d', 'Conv2d'],
                val=1,
                bias=2,
                override=dict(name='reg', val=3, bias=4),
            ),
        ),
    ),
)
