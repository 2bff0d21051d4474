"""Differential: the loop's updates equal MMEngine 0.10.7's ``OptimWrapper`` and parameter
schedulers driven the way its runner drives them (accumulation, clipping, lr per
iteration and per epoch), on the same model, data order and initial weights."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("mmengine")

from examples.shapes.data import ShapesDataset  # noqa: E402
from examples.shapes.model import build_model  # noqa: E402
from mmengine.optim import LinearLR, MultiStepLR, OptimWrapper  # noqa: E402
from test_train_helpers import shapes_config, single_thread  # noqa: E402
from torch.nn import functional as F  # noqa: E402

from initcfg.backend.torch.train import TrainOptions, train  # noqa: E402
from initcfg.config.load import tree_from_mapping  # noqa: E402


@pytest.fixture(autouse=True)
def _one_thread() -> Iterator[None]:
    yield from single_thread()


@pytest.mark.parametrize(("accumulate", "max_norm"), [(1, None), (3, 1.0), (2, 0.05)])
def test_updates_equal_mmengine_optim_wrapper(
    tmp_path: Path, accumulate: int, max_norm: float | None
) -> None:
    seed, epochs, size, batch = 3, 4, 64, 16
    optim_wrapper: dict[str, object] = {
        "optimizer": {"type": "SGD", "lr": 0.05, "momentum": 0.9, "weight_decay": 1e-4},
        "accumulative_counts": accumulate,
    }
    if max_norm is not None:
        optim_wrapper["clip_grad"] = {"max_norm": max_norm, "norm_type": 2}
    config = shapes_config(
        size=size, batch_size=batch, max_epochs=epochs, optim_wrapper=optim_wrapper
    )
    tree = tree_from_mapping(config)
    start = train(tree, TrainOptions(work_dir=tmp_path / "start", progress=False, stop_after=0))
    initial = torch.load(start.last_checkpoint, weights_only=True)["state_dict"]
    ours = train(tree, TrainOptions(work_dir=tmp_path / "ours", progress=False)).model

    # MMEngine: the same initial weights and batches; OptimWrapper.update_params per
    # iteration, iteration schedulers after each iteration, epoch ones after each epoch.
    model = build_model(**{k: v for k, v in config["model"].items() if k != "type"})
    model.load_state_dict(initial)
    model.train()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    clip = None if max_norm is None else {"max_norm": max_norm, "norm_type": 2}
    wrapper = OptimWrapper(optimizer, accumulative_counts=accumulate, clip_grad=clip)
    iters_per_epoch = size // batch
    wrapper.initialize_count_status(model, 0, epochs * iters_per_epoch)
    warmup = LinearLR(wrapper, start_factor=0.2, by_epoch=False, begin=0, end=5)
    steps = MultiStepLR(wrapper, milestones=[3], gamma=0.1, by_epoch=True)
    classes = config["train_dataloader"]["dataset"]["classes"]
    dataset = ShapesDataset(split="train", classes=classes, size=size)
    for epoch in range(epochs):
        generator = torch.Generator()
        generator.manual_seed(seed + epoch)
        order = torch.randperm(size, generator=generator).tolist()
        for index in range(iters_per_epoch):
            items = [dataset[i] for i in order[index * batch : (index + 1) * batch]]
            inputs = torch.stack([image for image, _ in items])
            targets = torch.tensor([label for _, label in items])
            with wrapper.optim_context(model):
                loss = F.cross_entropy(model(inputs), targets)
            wrapper.update_params(loss)
            warmup.step()
        steps.step()

    expected = model.state_dict()
    for key, value in ours.state_dict().items():
        torch.testing.assert_close(value, expected[key], rtol=1e-6, atol=1e-7, msg=key)
    # The runs moved the weights: the comparison is not of two untouched models.
    first = "backbone.layers.0.weight"
    assert not torch.equal(initial[first], expected[first])


def test_clip_grad_error_if_nonfinite_stops_the_run_as_mmengine_does(tmp_path: Path) -> None:
    # An lr of 1e30 makes the second iteration's gradients non-finite. MMEngine passes
    # every clip_grad argument to clip_grad_norm_, which then raises; the loop passed only
    # max_norm and norm_type, and trained on.
    clip = {"max_norm": 1.0, "error_if_nonfinite": True}
    layer = torch.nn.Linear(2, 1)
    for param in layer.parameters():
        param.grad = torch.full_like(param, float("inf"))
    wrapper = OptimWrapper(torch.optim.SGD(layer.parameters(), lr=0.1), clip_grad=dict(clip))
    with pytest.raises(RuntimeError, match="non-finite"):
        wrapper.step()
    config = shapes_config(
        size=32, batch_size=16, max_epochs=2,
        optim_wrapper={"optimizer": {"type": "SGD", "lr": 1e30}, "clip_grad": clip},
    )
    with pytest.raises(RuntimeError, match="non-finite"):
        train(tree_from_mapping(config), TrainOptions(work_dir=tmp_path, progress=False))
