# expect: valid
# RetinaNet's head: Normal on every Conv2d, and the classifier's bias from a prior
# probability.
model = dict(
    type='RetinaNet',
    bbox_head=dict(
        type='RetinaHead',
        num_classes=80,
        init_cfg=dict(
            type='Normal',
            layer='Conv2d',
            std=0.01,
            override=dict(type='Normal', name='retina_cls', std=0.01, bias_prob=0.01),
        ),
    ),
)
