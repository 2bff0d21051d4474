# The same plan as faster_rcnn.yaml, as an MMEngine-style Python config, plus two
# mistakes the planner reports: a layer name that matches nothing and an init_cfg that
# MMEngine never reaches (neck.fpn_convs is a plain nn.ModuleList).
#   initcfg plan examples/plan/faster_rcnn.py --model examples.models:build_detector
model = dict(
    type='FasterRCNN',
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='examples/plan/pretrained_detector.pth',
            prefix='backbone.')),
    neck=dict(
        init_cfg=dict(type='Xavier', layer='Conv2d', distribution='uniform'),
        fpn_convs=[
            dict(init_cfg=dict(type='Kaiming', layer='Conv2d')),
            dict(init_cfg=dict(type='Kaiming', layer='Conv2d')),
        ]),
    rpn_head=dict(
        init_cfg=[
            dict(type='Normal', layer='Conv2d', std=0.01),
            dict(type='Constant', layer='Conv2D', val=0),  # typo: matches nothing
        ]),
    roi_head=dict(
        bbox_head=dict(
            num_classes=6,
            init_cfg=[
                dict(type='Normal', std=0.01, override=dict(name='fc_cls')),
                dict(type='Normal', std=0.001, override=dict(name='fc_reg')),
                dict(
                    type='Xavier',
                    distribution='uniform',
                    override=[dict(name='shared_fcs')]),
            ])))
load_from = None
