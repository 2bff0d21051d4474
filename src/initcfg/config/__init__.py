"""Loaders: YAML, JSON and Python configs with `_base_` inheritance, never executed.

The first stage of the pipeline: a config file and its bases become a
:class:`~initcfg.config.tree.ConfigTree` (plain merged values and a source map from key
paths to ``file:line:col``). This package imports only itself and the diagnostic types.

- :mod:`~initcfg.config.load`: the entry points, ``load_config`` and ``load_tree``;
- :mod:`~initcfg.config.tree`: :class:`~initcfg.config.tree.ConfigTree`;
- :mod:`~initcfg.config.source`: locations and the key-path source map;
- :mod:`~initcfg.config.files`: reading a config file's text;
- :mod:`~initcfg.config.yaml_loader`: YAML, with locations; :mod:`~initcfg.config.json_loader`:
  JSON, read by `json` and placed by the YAML reader;
- :mod:`~initcfg.config.evaluator`: the safe evaluator of Python configs (a package: values,
  locations, operators, callables, statements, imports, expressions, calls, containers);
- :mod:`~initcfg.config.loader`: the :class:`~initcfg.config.loader.Loader`, which reads a
  file and, recursively, its bases;
- :mod:`~initcfg.config.loaded`: what a load gives, and the process-wide cache;
- :mod:`~initcfg.config.bases`: ``_base_`` entries resolved, bases loaded and merged;
- :mod:`~initcfg.config.merge`: a file's values merged into its bases', bases shared or copied;
- :mod:`~initcfg.config.placeholders`: ``{{fileDirname}}``, ``{{$ENV:default}}``,
  ``{{_base_.a.b}}``;
- :mod:`~initcfg.config.trusted`: executing a config, only with ``trust=True``;
- :mod:`~initcfg.config.budget`: the bounds on what one load may build;
- :mod:`~initcfg.config.suppress`: inline ``# initcfg: ignore[CODE]`` comments;
- :mod:`~initcfg.config.atomic`: the one atomic writer of plans and checkpoints.

``python_loader`` and ``inherit`` are the old names of the evaluator and the loader, kept
as re-exports.
"""
