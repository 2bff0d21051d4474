# expect: IC107
# where: IC107@model.roi_head.bbox_head.init_cfg
# Tutorial: neither layer nor override, so the entry initializes nothing.
model = dict(
    type='Detector',
    roi_head=dict(
        type='RoIHead',
        bbox_head=dict(
            type='BBoxHead',
            num_classes=80,
            init_cfg=dict(type='Constant', val=1, bias=2),
        ),
    ),
)
