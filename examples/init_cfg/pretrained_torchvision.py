# expect: valid
# Tutorial: load the backbone from a torchvision checkpoint.
model = dict(
    type='Detector',
    backbone=dict(
        type='ResNet',
        depth=50,
        init_cfg=dict(type='Pretrained', checkpoint='torchvision://resnet50'),
    ),
)
