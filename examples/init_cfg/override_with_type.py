# expect: valid
# Tutorial: layer entry plus an override that initializes the submodule 'reg' with its
# own type and values.
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
                override=dict(type='Constant', name='reg', val=3, bias=4),
            ),
        ),
    ),
)
