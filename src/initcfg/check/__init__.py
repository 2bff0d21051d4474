"""The rules over a typed config: each rule's text beside its check, the runner that
applies them to files and folders, project settings, and the renderers (text, JSON,
GitHub annotations, SARIF).

``check`` reads the :class:`~initcfg.schema.Document` and never torch; what it finds
are :class:`~initcfg.diagnostics.Diagnostic` values placed at file:line:column.
"""
