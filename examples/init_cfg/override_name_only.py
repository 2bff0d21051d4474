# expect: valid
# Tutorial: no layer; a name-only override reuses the entry's type and arguments, so
# only 'reg' is initialized (val=1, bias=2).
model = dict(
    type='Detector',
    roi_head=dict(
        type='RoIHead',
        bbox_head=dict(
            type='BBoxHead',
            num_classes=80,
            init_cfg=dict(type='Constant', val=1, bias=2, override=dict(name='reg')),
        ),
    ),
)
