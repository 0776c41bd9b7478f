"""Emoji morph: the text-conditioned gan-emoji draws each prompt and morphs into the next, in a seamless loop.

Prompts are read by the text conditioner (MiniLM with the text extra, the built-in tiny transformer without
it), so any wording works, not only emoji names. Prompts are separated by "|":

    genart run sketches/emoji_morph.py                                   # a cat -> a rocket -> a red heart
    genart run sketches/emoji_morph.py -p prompts="a slice of pizza | a birthday cake | a cup of coffee"

The last prompt fades back into the first and the style drifts along a closed noise loop, so the GIF loops
without a jump.
"""

import genart_kit as ga
from genart_kit.sketch import Param

PARAMS = {
    "prompts": Param("a cat | a rocket | a red heart", help="prompts separated by '|', in order"),
    "model": Param("gan-emoji", help="a text-conditioned model"),
    "encoder": Param("", help="text encoder: minilm, tiny, or empty for the best installed"),
    "hold": Param(0.4, min=0.0, max=0.95, help="fraction of each prompt's time held before morphing"),
    "drift": Param(0.6, min=0.0, max=2.0, help="how far the style wanders along its loop"),
    "caption": Param(False, help="write the current prompt at the top"),
}
DEFAULTS = {"frames": 72, "fps": 12, "size": 256}


def sketch(p, seed, frames, size):
    model = ga.model(p.model)
    texts = [t.strip() for t in p.prompts.split("|") if t.strip()]
    if not texts:
        raise ga.errors.InvalidInputError('give at least one prompt: -p prompts="a cat | a rocket"')
    style = ga.latent.noise_loop(model, frames, seed=seed, harmonics=2, radius=p.drift)
    path = ga.latent.prompt_morph(model, texts, frames, latents=style, hold=p.hold, loop=True,
                                  encoder=p.encoder or None)
    morph = path.condition
    clip = path | model | ga.render.upscale(size)
    if p.caption:
        clip = clip | ga.render.caption(lambda i: texts[morph.strongest(i)], position="top-left",
                                        background_alpha=0.5)
    return clip
