"""Pure token arithmetic: rate-card models, the estimate grammar, estimate() and explain().

Nothing here reads files, clocks or the environment; callers pass the rate card in.
"""
