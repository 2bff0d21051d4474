# Fine-tune the base Faster R-CNN from a COCO-trained detector on a 3-class dataset,
# following MMDetection's fine-tuning recipe: fewer epochs, a smaller learning rate,
# load_from a pre-trained detector, and num_classes matching the new dataset.
# `initcfg validate` reports exactly: IC306 twice (the base's milestones [8, 11] are
# never reached in an 8-epoch run) and IC314 (the backbone's torchvision checkpoint is
# downloaded and then overwritten by load_from).
_base_ = './_base_/faster_rcnn_base.py'

classes = ('balloon', 'kangaroo', 'lighthouse')

model = dict(roi_head=dict(bbox_head=dict(num_classes=3)))

data_root = 'data/balloon/'
train_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        metainfo=dict(classes=classes),
        ann_file='train/annotation_coco.json',
        data_prefix=dict(img='train/')))
val_dataloader = dict(
    dataset=dict(
        data_root=data_root,
        metainfo=dict(classes=classes),
        ann_file='val/annotation_coco.json',
        data_prefix=dict(img='val/')))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'val/annotation_coco.json')
test_evaluator = val_evaluator

# 12 epochs -> 8
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=8, val_interval=1)

# lr 0.02 -> 0.01
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0001))

load_from = ('https://download.openmmlab.com/mmdetection/v2.0/faster_rcnn/'
             'faster_rcnn_r50_fpn_mstrain_3x_coco/'
             'faster_rcnn_r50_fpn_mstrain_3x_coco_20210524_110822-e10bd31c.pth')
