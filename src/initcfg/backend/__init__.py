"""Backends execute what the planners in :mod:`initcfg.plan` decided.

``initcfg.backend.torch`` is the one backend: it runs init plans on torch tensors
(bit-exact with MMEngine 0.10.7), reads and writes checkpoints, and runs the fine-tune
loop, on one process or under ``torchrun``. Nothing below this layer imports it.
"""
