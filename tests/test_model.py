"""SE-GAN networks: shapes for every preset, ablations that really remove parts, heatmaps."""

import dataclasses

import pytest
import torch

from segan_core.config import ModelConfig
from segan_core.model.segan import Discriminator, Generator, count_parameters
from segan_core.model.skeleton_gan import SkeletonGenerator
from segan_core.training.presets import PRESETS


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_every_module_shape_for_every_preset(preset: str):
    model, _ = PRESETS[preset]
    small = dataclasses.replace(model, image_size=32)  # same widths and depths, small images
    g = Generator(small).eval()
    x = torch.randn(2, 1, 32, 32)
    with torch.no_grad():
        out = g(x, x)
        assert out.image.shape == (2, 1, 32, 32)
        assert out.image.abs().max() <= 1
        assert out.cam_logit.shape == (2, 2)
        assert set(out.heatmaps) == {"cam", "sram", "cram"}
        assert all(h.shape == (2, 1, 8, 8) for h in out.heatmaps.values())
        patch, cam_logit, heatmap = Discriminator(small.ndf, min(small.discriminator_layers, 4))(x)
        assert patch.shape[:2] == (2, 1) and cam_logit.shape == (2, 2) and heatmap.shape[1] == 1
        assert SkeletonGenerator(small.skeleton_gan_ngf, small.skeleton_gan_res_blocks)(x).shape == x.shape
        assert g.classify(x).shape == (2, 2)


def test_encoders_have_four_residual_blocks_by_default():
    g = Generator(ModelConfig())
    from segan_core.model.segan import ResBlock

    assert sum(isinstance(m, ResBlock) for m in g.image_encoder.modules()) == 4
    assert sum(isinstance(m, ResBlock) for m in g.skeleton_encoder.modules()) == 4


def test_ablations_change_parameter_counts():
    full = count_parameters(Generator(ModelConfig(attention="cram")))
    sram = count_parameters(Generator(ModelConfig(attention="sram")))
    cam = count_parameters(Generator(ModelConfig(attention="cam")))
    no_es = count_parameters(Generator(ModelConfig(skeleton_encoder=False, attention="sram")))
    assert full > sram > cam
    assert no_es < sram
    assert Generator(ModelConfig(skeleton_encoder=False, attention="sram")).skeleton_encoder is None
    with pytest.raises(ValueError, match="CRAM needs the skeleton encoder"):
        ModelConfig(skeleton_encoder=False, attention="cram")
    cam_only = Generator(ModelConfig(attention="cam")).eval()
    with torch.no_grad():
        out = cam_only(torch.randn(1, 1, 32, 32), torch.randn(1, 1, 32, 32))
    assert set(out.heatmaps) == {"cam"}


def test_rho_is_clipped_to_unit_interval():
    g = Generator(ModelConfig(ngf=8, attention_channels=4))
    from segan_core.model.segan import LIN, AdaLIN

    norms = [m for m in g.modules() if isinstance(m, (AdaLIN, LIN))]
    for i, m in enumerate(norms):
        m.rho.data.fill_(-1.0 if i % 2 else 2.0)
    g.clip_rho()
    assert all(0.0 <= float(m.rho.detach().min()) and float(m.rho.detach().max()) <= 1.0 for m in norms)


@pytest.mark.parametrize("kind", ["none", "image", "skeleton"])
def test_skips_give_the_decoder_a_path_around_the_bottleneck(kind: str):
    """With skips, the tapped encoder's stem reaches the output even when the bottleneck path is cut."""
    torch.manual_seed(0)
    g = Generator(ModelConfig(ngf=8, attention_channels=4, skips=kind))
    encoder = g.skeleton_encoder if kind == "skeleton" else g.image_encoder
    # cut the encoder after its stem: later stages see a detached copy, so gradient to the stem can
    # only come through a skip
    encoder.net[4].register_forward_pre_hook(lambda _module, args: (args[0].detach(),))
    x, s = torch.randn(2, 1, 32, 32), torch.randn(2, 1, 32, 32)
    g(x, s).image.square().sum().backward()
    stem_grad = encoder.net[1].weight.grad
    if kind == "none":
        assert stem_grad is None
    else:
        assert stem_grad is not None and stem_grad.abs().sum() > 0
    first_up_conv = g.decoder.up[2]
    assert first_up_conv.in_channels == 32 + (16 if kind != "none" else 0)


def test_skeleton_skips_need_the_skeleton_encoder():
    with pytest.raises(ValueError, match="skeleton skips need the skeleton encoder"):
        ModelConfig(skeleton_encoder=False, attention="sram", skips="skeleton")
    with pytest.raises(ValueError, match="skips must be one of"):
        ModelConfig(skips="both")


def test_ink_dice_is_zero_for_a_perfect_match_and_rewards_overlap():
    from segan_core.model.losses import ink_dice

    target = torch.full((2, 1, 16, 16), -1.0)
    target[:, :, 4:8, :] = 1.0  # a horizontal stroke
    paper = torch.full_like(target, -1.0)
    thin = paper.clone()
    thin[:, :, 5:7, :] = 1.0  # half the stroke
    assert ink_dice(target, target).item() == pytest.approx(0.0, abs=1e-6)
    assert ink_dice(paper, target).item() > ink_dice(thin, target).item() > 0.25
    grad_input = thin.clone().requires_grad_(True)
    ink_dice(grad_input, target).backward()
    # the missing half of the stroke is pulled towards ink, the paper outside it is not
    assert grad_input.grad[:, :, 4].mean() < 0 and grad_input.grad[:, :, 12].mean() >= 0
