"""Baselines that SE-GAN is measured against, trained and evaluated through the same code paths.

``zi2zi``: a paired pix2pix translator in the style of zi2zi (U-Net generator, conditional PatchGAN,
L1 weight 100, optional category embedding, constancy loss on the encoding). Its configuration is
:class:`segan_core.config.BaselineConfig`; its training step is :mod:`segan_core.training.zi2zi_step`
(this package sits below the training engine: it holds networks only).
"""
