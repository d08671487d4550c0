"""crowdveil-gui: a desktop window over the same pipeline the command line uses.

Nothing in this package detects, redacts or writes by itself; it calls `crowdveil.pipeline`.
"""
