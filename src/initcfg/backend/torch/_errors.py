"""Old import path; use :mod:`initcfg.errors`."""

from __future__ import annotations

from initcfg.errors import CheckpointError as CheckpointError
from initcfg.errors import InitCfgError as InitCfgError
from initcfg.errors import InitCfgKeyError as InitCfgKeyError
from initcfg.errors import InitError as InitError
