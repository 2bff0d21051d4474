"""Old import path; use :mod:`initcfg.config.loader` (and its neighbours)."""

from __future__ import annotations

from initcfg.config.base_statement import BASE_KEY as BASE_KEY
from initcfg.config.bases import _PACKAGE_BASE as _PACKAGE_BASE
from initcfg.config.bases import DATA_SUFFIXES as DATA_SUFFIXES
from initcfg.config.bases import _near_files as _near_files
from initcfg.config.bases import module_path as module_path
from initcfg.config.bases import package_root as package_root
from initcfg.config.loaded import Loaded as Loaded
from initcfg.config.loaded import _cache as _cache
from initcfg.config.loaded import _Context as _Context
from initcfg.config.loaded import clear_cache as clear_cache
from initcfg.config.loader import DEPRECATION_KEY as DEPRECATION_KEY
from initcfg.config.loader import Loader as Loader
from initcfg.config.loader import _first_location as _first_location
from initcfg.config.loader import _oversized as _oversized
from initcfg.config.loader import _refusal as _refusal
from initcfg.config.loader import _Stop as _Stop
from initcfg.config.merge import _MUTATING_CALL as _MUTATING_CALL
from initcfg.config.merge import _MUTATING_METHODS as _MUTATING_METHODS
from initcfg.config.merge import DELETE_KEY as DELETE_KEY
from initcfg.config.merge import _mutating_statements as _mutating_statements
from initcfg.config.merge import _without_delete as _without_delete
from initcfg.config.merge import _writes_into as _writes_into
from initcfg.config.merge import add_scope as add_scope
from initcfg.config.merge import merge_into as merge_into
from initcfg.config.merge import mutates as mutates
from initcfg.config.merge import share_or_copy as share_or_copy
from initcfg.config.merge import unshare as unshare
from initcfg.config.placeholders import _BASE_VAR as _BASE_VAR
from initcfg.config.placeholders import _ENVIRON as _ENVIRON
from initcfg.config.placeholders import _PREDEFINED as _PREDEFINED
from initcfg.config.placeholders import Placeholder as Placeholder
from initcfg.config.placeholders import _offset_location as _offset_location
from initcfg.config.placeholders import preprocess as preprocess
from initcfg.config.placeholders import substitute as substitute
from initcfg.config.trusted import _as_nodes as _as_nodes
from initcfg.config.trusted import _assignment_locations as _assignment_locations
from initcfg.config.trusted import _execute_with_mmengine as _execute_with_mmengine
from initcfg.config.trusted import _failing_line as _failing_line
