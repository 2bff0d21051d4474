# expect: IC116
# where: IC116@model.encoder.init_cfg.layer
# Tutorial: MultiheadAttention has no weight or bias, so the entry initializes nothing
# (its out_proj is a Linear).
model = dict(
    type='Detector',
    encoder=dict(
        type='TransformerEncoder',
        init_cfg=dict(type='Xavier', layer='MultiheadAttention'),
    ),
)
