"""MMEngine 0.10.7's lr schedulers replayed step by step: building and running them."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass

from initcfg.plan.lr_schedule_types import INF, SchedulerEntry, _SchedulerError


@dataclass(slots=True)
class _Runtime:
    """One scheduler in motion over all tracks (the optimizer's param groups)."""

    spec: SchedulerEntry
    begin: int
    end: int
    by_epoch: bool
    groups: list[dict[str, float]]
    milestones: Counter[int]
    step_size: int
    t_max: int
    total_iters: int
    total_steps: int
    periods: tuple[int, ...]
    cumulative: list[int]
    base_values: list[float]
    last_step: int = -1
    global_step: int = -1

    def step(self) -> None:
        self.global_step += 1
        if self.begin <= self.global_step < self.end:
            self.last_step += 1
            try:
                values = self._values()
            except _SchedulerError as error:
                raise _SchedulerError(str(error), self.spec.path) from error
            for group, value in zip(self.groups, values, strict=True):
                group["lr"] = value

    def _eta_min(self, base: float) -> float:
        spec = self.spec
        if spec.arg("eta_min_ratio") is None:
            return 0.0 if spec.arg("eta_min") is None else spec.arg("eta_min")
        return float(base * spec.arg("eta_min_ratio"))

    def _values(self) -> list[float]:
        spec, kind, ls = self.spec, self.spec.type, self.last_step
        cur = [group["lr"] for group in self.groups]
        try:
            if kind == "StepLR":
                gamma = spec.arg("gamma")
                if ls == 0 or ls % self.step_size != 0:
                    return cur
                return [v * gamma for v in cur]
            if kind == "MultiStepLR":
                gamma = spec.arg("gamma")
                if ls not in self.milestones:
                    return cur
                return [v * gamma ** self.milestones[ls] for v in cur]
            if kind == "ConstantLR":
                factor = spec.arg("factor")
                if ls == 0:
                    return [v * factor for v in cur]
                if ls != self.total_iters:
                    return cur
                return [v * (1.0 / factor) for v in cur]
            if kind == "ExponentialLR":
                if ls == 0:
                    return cur
                assert spec.arg("gamma") is not None
                return [v * spec.arg("gamma") for v in cur]
            if kind == "LinearLR":
                start = spec.arg("start_factor")
                stop = spec.arg("end_factor")
                if ls == 0:
                    return [v * start for v in cur]
                span = self.total_iters * start + (ls - 1) * (stop - start)
                ratio = 1.0 + (stop - start) / span
                return [v * ratio for v in cur]
            if kind == "PolyLR":
                eta_min = spec.arg("eta_min")
                power = spec.arg("power")
                if ls == 0:
                    return cur
                decay = (1 - 1 / (self.total_iters - ls + 1)) ** power
                return [(v - eta_min) * decay + eta_min for v in cur]
            if kind == "CosineAnnealingLR":
                return self._cosine(cur)
            if kind == "OneCycleLR":
                return self._one_cycle()
            if kind == "CosineRestartLR":
                return self._cosine_restart(cur)
        except ZeroDivisionError as exc:
            raise _SchedulerError(
                f"{kind} divides by zero at its step {ls} (MMEngine raises ZeroDivisionError)"
            ) from exc
        except KeyError as exc:
            raise _SchedulerError(
                f"{kind} at its step {ls} reads {exc} from the param groups, which no "
                "scheduler set (MMEngine raises KeyError)"
            ) from exc
        raise _SchedulerError(f"{kind} is not an lr scheduler")  # pragma: no cover

    def _cosine(self, cur: list[float]) -> list[float]:
        ls, t_max = self.last_step, self.t_max
        if ls == 0:
            return cur
        if (ls - 1 - t_max) % (2 * t_max) == 0:
            return [
                v + (base - self._eta_min(base)) * (1 - math.cos(math.pi / t_max)) / 2
                for base, v in zip(self.base_values, cur, strict=True)
            ]
        ratio = (1 + math.cos(math.pi * ls / t_max)) / (1 + math.cos(math.pi * (ls - 1) / t_max))
        return [
            ratio * (v - self._eta_min(base)) + self._eta_min(base)
            for base, v in zip(self.base_values, cur, strict=True)
        ]

    def _one_cycle(self) -> list[float]:
        spec, ls = self.spec, self.last_step
        if ls > self.total_steps:
            raise _SchedulerError(
                f"OneCycleLR is stepped {ls + 1} times but its total steps are "
                f"{self.total_steps} (MMEngine raises ValueError)"
            )
        pct_start = spec.arg("pct_start")
        total = self.total_steps
        if spec.arg("three_phase"):
            phases = [
                (float(pct_start * total) - 1, "initial_lr", "max_lr"),
                (float(2 * pct_start * total) - 2, "max_lr", "initial_lr"),
                (total - 1, "initial_lr", "min_lr"),
            ]
        else:
            phases = [
                (float(pct_start * total) - 1, "initial_lr", "max_lr"),
                (total - 1, "max_lr", "min_lr"),
            ]
        linear = spec.arg("anneal_strategy") == "linear"
        out: list[float] = []
        for group in self.groups:
            start_step: float = 0
            for index, (end_step, first, last) in enumerate(phases):
                if ls <= end_step or index == len(phases) - 1:
                    pct = (ls - start_step) / (end_step - start_step)
                    begin_value, end_value = group[first], group[last]
                    if linear:
                        out.append((end_value - begin_value) * pct + begin_value)
                    else:
                        cos_out = math.cos(math.pi * pct) + 1
                        out.append(end_value + (begin_value - end_value) / 2.0 * cos_out)
                    break
                start_step = end_step
        return out

    def _cosine_restart(self, cur: list[float]) -> list[float]:
        spec, ls = self.spec, self.last_step
        index = next((i for i, edge in enumerate(self.cumulative) if ls < edge), None)
        if index is None:
            return cur
        weights = spec.arg("restart_weights")
        weight = weights[index]
        restart = 0 if index == 0 else self.cumulative[index - 1]
        period = self.periods[index]
        step = ls - restart
        out: list[float] = []
        for base, v in zip(self.base_values, cur, strict=True):
            eta_max = base * weight
            ratio = spec.arg("eta_min_ratio")
            eta_min = base * ratio if ratio is not None else spec.arg("eta_min")
            assert eta_min is not None
            if step == 0:
                out.append(eta_max)
            else:
                out.append(
                    (1 + math.cos(math.pi * step / period))
                    / (1 + math.cos(math.pi * (step - 1) / period))
                    * (v - eta_min)
                    + eta_min
                )
        return out


def _build(
    spec: SchedulerEntry,
    groups: list[dict[str, float]],
    *,
    default_end: int | None,
    iters_per_epoch: int | None,
) -> _Runtime:
    """Build one scheduler as MMEngine's registry would (this also takes its first step)."""
    kind = spec.type
    written_end = spec.written("end")
    end = written_end if written_end is not None else (
        default_end if default_end is not None else INF
    )
    begin = spec.args.begin
    by_epoch = spec.args.by_epoch
    milestones = list(spec.arg("milestones") or ())
    step_size = spec.arg("step_size")
    t_max = spec.arg("T_max")
    total_steps = spec.arg("total_steps")
    periods = tuple(spec.arg("periods") or ())
    if spec.args.convert_to_iter_based:
        if not by_epoch:
            raise _SchedulerError(
                "convert_to_iter_based needs by_epoch=True (MMEngine asserts it)"
            )
        if not iters_per_epoch:
            raise _SchedulerError("convert_to_iter_based needs the iterations per epoch")
        length = iters_per_epoch
        by_epoch = False
        begin = int(begin * length)
        if end != INF:
            end = int(end * length)
        if kind == "MultiStepLR":
            milestones = [m * length for m in milestones]
        if kind == "StepLR" and step_size is not None:
            step_size = step_size * length
        if kind == "CosineAnnealingLR" and t_max is not None:
            t_max = t_max * length
        if kind == "OneCycleLR" and total_steps is not None:
            total_steps = total_steps * length
        if kind == "CosineRestartLR":
            periods = tuple(p * length for p in periods)
    _check_args(spec, kind)
    if end <= begin:
        raise _SchedulerError(f"end should be larger than begin, but got begin={begin}, end={end}")

    if spec.args.last_step < -1:
        raise _SchedulerError(f"last_step must be -1 or more (got {spec.args.last_step})")
    if kind == "OneCycleLR":
        if total_steps is not None and total_steps <= 0:
            raise _SchedulerError(f"Expected positive integer total_steps, but got {total_steps}")
        eta_max = spec.arg("eta_max")
        div = spec.arg("div_factor")
        final_div = spec.arg("final_div_factor")
        if spec.args.last_step == -1:
            for group in groups:
                group["initial_lr"] = eta_max / div
                group["max_lr"] = eta_max
                group["min_lr"] = group["initial_lr"] / final_div
    if spec.args.last_step == -1:
        for group in groups:
            group.setdefault("initial_lr", group["lr"])
    elif any("initial_lr" not in group for group in groups):
        # Resuming without a state dict needs a scheduler built before it.
        raise _SchedulerError(
            f"{kind} with last_step={spec.args.last_step} needs 'initial_lr' in the param groups "
            "(MMEngine raises KeyError)"
        )
    runtime = _Runtime(
        spec=spec,
        begin=begin,
        end=end,
        by_epoch=by_epoch,
        groups=groups,
        milestones=Counter(milestones),
        step_size=step_size or 1,
        t_max=t_max or (end - begin),
        total_iters=end - begin - 1,
        total_steps=total_steps if total_steps is not None else end - begin,
        periods=periods,
        cumulative=[sum(periods[: i + 1]) for i in range(len(periods))],
        base_values=[group["initial_lr"] for group in groups],
        last_step=spec.args.last_step,
    )
    runtime.step()
    return runtime


def _check_args(spec: SchedulerEntry, kind: str) -> None:
    # The checks MMEngine makes in the constructors, so the plan fails where it would.
    def in_unit(name: str, value: float | None) -> None:
        if value is not None and not 0 <= value <= 1:
            raise _SchedulerError(f"{kind} `{name}` must be between 0 and 1 (got {value})")

    if kind == "ConstantLR":
        in_unit("factor", spec.arg("factor"))
    elif kind == "LinearLR":
        in_unit("start_factor", spec.arg("start_factor"))
        in_unit("end_factor", spec.arg("end_factor"))
    elif kind == "MultiStepLR" and spec.arg("milestones") is None:
        raise _SchedulerError("MultiStepLR needs `milestones`")
    elif kind == "StepLR" and not spec.arg("step_size"):
        raise _SchedulerError("StepLR needs a positive `step_size`")
    elif kind == "ExponentialLR" and spec.arg("gamma") is None:
        raise _SchedulerError("ExponentialLR needs `gamma`")
    elif kind == "CosineAnnealingLR":
        if spec.arg("eta_min") is not None and spec.arg("eta_min_ratio") is not None:
            raise _SchedulerError("CosineAnnealingLR takes `eta_min` or `eta_min_ratio`, not both")
    elif kind == "CosineRestartLR":
        if (spec.arg("eta_min") is None) == (spec.arg("eta_min_ratio") is None):
            raise _SchedulerError("CosineRestartLR needs exactly one of `eta_min`, `eta_min_ratio`")
        if spec.arg("periods") is None:
            raise _SchedulerError("CosineRestartLR needs `periods`")
        if len(spec.arg("periods")) != len(spec.arg("restart_weights")):
            raise _SchedulerError(
                "CosineRestartLR `periods` and `restart_weights` differ in length"
            )
    elif kind == "OneCycleLR":
        pct = spec.arg("pct_start")
        if not isinstance(pct, float) or not 0 <= pct <= 1:
            raise _SchedulerError(f"OneCycleLR `pct_start` must be a float in [0, 1] (got {pct})")
        strategy = spec.arg("anneal_strategy")
        if strategy not in (None, "cos", "linear"):
            raise _SchedulerError(
                f"OneCycleLR `anneal_strategy` must be 'cos' or 'linear' "
                f"(got {strategy!r})"
            )
