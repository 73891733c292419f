# Put first on PYTHONPATH by the report tests: makes `import matplotlib` fail as on a machine without it.
raise ImportError("No module named 'matplotlib' (hidden by the gradscope report tests)")
