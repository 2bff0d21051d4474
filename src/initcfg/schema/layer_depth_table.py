"""Which MMPretrain 1.2.0 models and backbones have ``get_layer_depth``, the method its
``LearningRateDecayOptimWrapperConstructor`` asks the model for.

Written from the installed MMPretrain's ``MODELS`` registry (its backbones,
classifiers and self-supervised algorithms); ``tests/parity/test_layer_decay_constructors.py``
fails while this table differs from it. Names are registry names, without a scope.
"""

from __future__ import annotations

__all__ = ["DELEGATES_TO_BACKBONE", "DEPTH_18_RESNETS", "HAS_LAYER_DEPTH", "NO_LAYER_DEPTH"]

HAS_LAYER_DEPTH: frozenset[str] = frozenset({
    'BEiTPretrainViT', 'BEiTViT', 'CAEPretrainViT', 'ConvNeXt', 'DeiT3',
    'DistilledVisionTransformer', 'HiViT', 'MAEHiViT', 'MAEViT', 'MFFViT', 'MILANViT',
    'MaskFeatViT', 'MixMIMPretrainTransformer', 'MixMIMTransformer', 'MoCoV3ViT',
    'RegNet', 'Res2Net', 'ResNeSt', 'ResNeXt', 'ResNet', 'ResNetV1c', 'ResNetV1d',
    'ResNet_CIFAR', 'SEResNeXt', 'SEResNet', 'SimMIMSwinTransformer', 'SparseConvNeXt',
    'SparseResNet', 'SwinTransformer', 'ViTEVA02', 'ViTSAM', 'VisionTransformer',
    'iTPNHiViT',
})
"""Backbones with a depth map of their own."""

DELEGATES_TO_BACKBONE: frozenset[str] = frozenset({
    'BEiT', 'BYOL', 'BarlowTwins', 'CAE', 'DenseCL', 'EVA', 'ImageClassifier', 'MAE',
    'MFF', 'MILAN', 'MaskFeat', 'MixMIM', 'MoCo', 'MoCoV3', 'SimCLR', 'SimMIM',
    'SimSiam', 'SparK', 'SwAV', 'iTPN',
})
"""Models whose ``get_layer_depth`` asks ``self.backbone`` (``ImageClassifier``'s and
``BaseSelfSupervisor``'s), raising NotImplementedError for a backbone without one."""

NO_LAYER_DEPTH: frozenset[str] = frozenset({
    'AlexNet', 'CLIPGenerator', 'CSPDarkNet', 'CSPResNeXt', 'CSPResNet', 'Conformer',
    'ConvMixer', 'DALL-E', 'DaViT', 'DenseNet', 'EdgeNeXt', 'EfficientFormer',
    'EfficientNet', 'EfficientNetV2', 'HOGGenerator', 'HRNet', 'HorNet',
    'HuggingFaceClassifier', 'ImageToImageRetriever', 'InceptionV3', 'LeNet5', 'LeViT',
    'MViT', 'MlpMixer', 'MobileNetV2', 'MobileNetV3', 'MobileOne', 'MobileViT', 'PCPVT',
    'PoolFormer', 'PyramidVig', 'RIFormer', 'RepLKNet', 'RepMLPNet', 'RepVGG',
    'RevVisionTransformer', 'SVT', 'ShuffleNetV1', 'ShuffleNetV2', 'SwinTransformerV2',
    'T2T_ViT', 'TIMMBackbone', 'TNT', 'TimmClassifier', 'TinyViT', 'VAN', 'VGG', 'VQKD',
    'Vig', 'XCiT',
})
"""Backbones and models without ``get_layer_depth``: the constructor raises
NotImplementedError for a model that is one, or whose backbone is one."""

DEPTH_18_RESNETS: frozenset[str] = frozenset({
    "ResNet", "ResNetV1c", "ResNetV1d", "ResNet_CIFAR", "SparseResNet",
})
"""Backbones that build ``depth=18`` and use ResNet's ``get_layer_depth``, which maps
the stage blocks of depths 34 to 200 only: ResNet-18's ``[2, 2, 2, 2]`` raises
NotImplementedError."""
