"""The SE-GAN model (Yuan et al., 2022), its skeleton GAN, losses, configuration and checkpoints."""
