"""Prompt morph: a conditional model draws what each text prompt says and morphs from one to the next.

The prompts are read by the text conditioner (MiniLM with the text extra, the built-in tiny transformer
without it); the handwriting style drifts in a slow noise loop. Prompts are separated by "|":

    genart run sketches/prompt_morph.py -p prompts="a handwritten zero | half three, half eight | a sloppy nine"
    genart run sketches/prompt_morph.py -p prompt="a bold seven"       # one prompt, held

Each frame's caption shows the prompt it is closest to.
"""

import genart_kit as ga
from genart_kit.sketch import Param

PARAMS = {
    "prompts": Param("a handwritten zero | the number three | half five, half eight | a sloppy seven",
                     help="prompts separated by '|', in order"),
    "prompt": Param("", help="one prompt held for the whole clip (overrides prompts)"),
    "model": Param("cgan-mnist", help="a conditional model (cgan-mnist, cvae-mnist)"),
    "encoder": Param("", help="text encoder: minilm, tiny, or empty for the best installed"),
    "hold": Param(0.35, min=0.0, max=0.95, help="fraction of each prompt's time held before morphing"),
    "drift": Param(0.5, min=0.0, max=2.0, help="how far the style wanders"),
    "caption": Param(True, help="write the current prompt at the top"),
    "colormap": Param("magma", help="colour map"),
}
DEFAULTS = {"frames": 96, "fps": 12, "size": 256}


def sketch(p, seed, frames, size):
    model = ga.model(p.model)
    texts = [p.prompt.strip()] if p.prompt.strip() else [t.strip() for t in p.prompts.split("|") if t.strip()]
    if not texts:
        raise ga.errors.InvalidInputError("give at least one prompt: -p prompts=\"a zero | a nine\"")
    style = ga.latent.noise_loop(model, frames, seed=seed, harmonics=2, radius=p.drift)
    path = ga.latent.prompt_morph(model, texts, frames, latents=style, hold=p.hold, encoder=p.encoder or None)
    morph = path.condition
    clip = path | model | ga.render.upscale(size) | ga.render.colormap(p.colormap)
    if p.caption:
        clip = clip | ga.render.caption(lambda i: texts[morph.strongest(i)], position="top-left",
                                        background_alpha=0.5)
    return clip
