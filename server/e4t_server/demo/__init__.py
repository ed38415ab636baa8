"""A self-made mini face domain: procedural renderer, dataset writer and evaluation metrics.

No pretrained Stable Diffusion weights are available offline, so e4t proves its E4T
implementation on procedurally rendered faces. This package is independent of the engine:
the identity and context metrics here are trained only on renders, never on anything the
diffusion pipeline produces or trains on.
"""
