"""Low-level numerical helpers shared by the model layer and the theory engine.

Nothing here imports from the rest of :mod:`rafmodel`, so any layer may use it.
"""
