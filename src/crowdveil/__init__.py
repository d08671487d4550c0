"""crowdveil: find every face in a photo, destroy it, write a file that carries only pixels."""

__version__ = "0.1.0"
