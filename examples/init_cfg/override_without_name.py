# expect: IC109
# where: IC109@model.roi_head.bbox_head.init_cfg.override
# Tutorial: an override must name the submodule it initializes.
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
                override=dict(type='Constant', val=3, bias=4),
            ),
        ),
    ),
)
